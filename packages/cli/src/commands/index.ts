/** Every CLI command module; each exports `register(program)`. Add new verbs here. */
import type { Command } from 'commander';
import { register as lshosts } from './lshosts.js';

export const COMMANDS: ((program: Command) => void)[] = [lshosts];
