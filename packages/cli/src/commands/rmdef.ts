import type { Command } from 'commander';
import { withApi } from '../run.js';
import { inlineNoderangeFiles } from './noderange-file.js';
import { callTables, checkOutput, printResults, runTableVerb, NODERANGE_HELP } from './tables-common.js';

export function register(program: Command): void {
  program
    .command('rmdef')
    .description('remove node definitions from every table (the guests themselves are left alone: rmvm removes those)')
    .argument('<noderange>', 'existing nodes')
    .option('-t, --type <type>', 'object type (only node)', 'node')
    .option('-o, --output <format>', 'text or json', 'text')
    .addHelpText('after', `\n${NODERANGE_HELP}`)
    .action(async (noderange: string, o: { output: string }) =>
      runTableVerb(() =>
        withApi(async (api) => {
          checkOutput(o.output);
          return printResults(await callTables(api, 'RmDef', { noderange: inlineNoderangeFiles(noderange) }), o.output);
        }),
      ),
    );
}
