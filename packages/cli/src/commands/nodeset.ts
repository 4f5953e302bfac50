import type { Command } from 'commander';
import { withApi } from '../run.js';
import { streamResults } from './fanout.js';
import { inlineNoderangeFiles } from './noderange-file.js';
import { checkOutput, runTableVerb, NODERANGE_HELP } from './tables-common.js';

const HELP = `
Targets

  install   write the node's network-install files (iPXE script, pxelinux config,
            kickstart or preseed with a one-time token) from nodetype.os,
            nodetype.arch and nodetype.profile, and set the guest's boot order to
            network,disk on its host (vm.host); the guest installs on its next start
            (rinstall starts it now). The installer's callback runs "nodeset boot".
  boot      write local-boot files and set the boot order back to vm.bootorder
            (default: disk).

Prints "node: <what was set>" or "node: <reason>"; exits 1 when any node failed.
${NODERANGE_HELP}`;

export function register(program: Command): void {
  program
    .command('nodeset')
    .description('set what nodes boot next: nodeset <noderange> install|boot')
    .argument('<noderange>', 'the nodes')
    .argument('<target>', 'install or boot')
    .option('-o, --output <format>', 'text or json', 'text')
    .addHelpText('after', HELP)
    .action(async (noderange: string, target: string, o: { output: string }) =>
      runTableVerb(() =>
        withApi(async (api) => {
          checkOutput(o.output);
          return streamResults(api, 'NodeSet', { noderange: inlineNoderangeFiles(noderange), target }, o.output);
        }),
      ),
    );
}
