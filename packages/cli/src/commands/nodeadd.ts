import type { Command } from 'commander';
import { withApi } from '../run.js';
import { inlineNoderangeFiles } from './noderange-file.js';
import { callTables, checkOutput, parseAssignments, printResults, runTableVerb, TABLE_VERB_HELP } from './tables-common.js';

export function register(program: Command): void {
  program
    .command('nodeadd')
    .description('define new nodes: nodeadd vm[01-10] groups=web vm.host=hv01 vm.memory=2G (all or nothing)')
    .argument('<noderange>', 'the new nodes (ranges, ^file); none of them may exist yet')
    .argument('[attrs...]', 'attr=value pairs (groups defaults to all)')
    .option('-o, --output <format>', 'text or json', 'text')
    .addHelpText('after', TABLE_VERB_HELP)
    .action(async (noderange: string, attrs: string[], o: { output: string }) =>
      runTableVerb(() =>
        withApi(async (api) => {
          checkOutput(o.output);
          const req = { noderange: inlineNoderangeFiles(noderange), attrs: parseAssignments(attrs) };
          return printResults(await callTables(api, 'NodeAdd', req), o.output);
        }),
      ),
    );
}
