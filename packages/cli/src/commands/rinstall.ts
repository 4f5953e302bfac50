import type { Command } from 'commander';
import { withApi } from '../run.js';
import { inlineNoderangeFiles } from './noderange-file.js';
import { streamResults } from './fanout.js';
import { checkOutput, runTableVerb, NODERANGE_HELP } from './tables-common.js';

const HELP = `
rinstall is "nodeset <noderange> install" followed by a restart of each guest
(stop and start: a reset would keep the old boot order), or a start when it is
off. See "nodeset --help" for the attributes it reads.

Prints "node: install <os>-<arch>-<profile> (restarted)" or "node: <reason>";
exits 1 when any node failed.
${NODERANGE_HELP}`;

export function register(program: Command): void {
  program
    .command('rinstall')
    .description('network-install nodes now: nodeset install, then restart the guests')
    .argument('<noderange>', 'the nodes')
    .option('-o, --output <format>', 'text or json', 'text')
    .addHelpText('after', HELP)
    .action(async (noderange: string, o: { output: string }) =>
      runTableVerb(() =>
        withApi(async (api) => {
          checkOutput(o.output);
          return streamResults(api, 'RInstall', { noderange: inlineNoderangeFiles(noderange), target: 'install' }, o.output);
        }),
      ),
    );
}
