/** Every CLI command module; each exports `register(program)`. Add new verbs here. */
import type { Command } from 'commander';
import { register as lshosts } from './lshosts.js';
import { register as nodeadd } from './nodeadd.js';
import { register as chdef } from './chdef.js';
import { register as lsdef } from './lsdef.js';
import { register as rmdef } from './rmdef.js';
import { register as nodels } from './nodels.js';
import { register as tabdump } from './tabdump.js';
import { register as makedhcp } from './makedhcp.js';
import { register as makehosts } from './makehosts.js';
import { register as nodeset } from './nodeset.js';
import { register as rinstall } from './rinstall.js';

import { register as rpower } from './rpower.js';
import { register as vms } from './vms.js';
import { register as rcons } from './rcons.js';
import { register as migrate } from './migrate.js';

export const COMMANDS: ((program: Command) => void)[] = [
  lshosts,
  nodeadd,
  chdef,
  lsdef,
  rmdef,
  nodels,
  tabdump,
  rpower,
  vms,
  rcons,
  migrate,
  makedhcp,
  makehosts,
  nodeset,
  rinstall,
];
