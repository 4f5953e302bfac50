import type { Command } from 'commander';
import { UserFacingError } from '@drover/contract';
import { withApi } from '../run.js';
import { inlineNoderangeFiles } from './noderange-file.js';
import { callTables, checkOutput, parseAssignments, printResults, runTableVerb, TABLE_VERB_HELP } from './tables-common.js';

export function register(program: Command): void {
  program
    .command('chdef')
    .description('change attributes of nodes: chdef compute vm.memory=4G (all or nothing; attr= clears)')
    .argument('<noderange>', 'existing nodes')
    .argument('<attrs...>', 'attr=value pairs')
    .option('-p, --plus', 'add the given items to list attributes (groups, vm.migrationdest, vm.nics, ...)')
    .option('-m, --minus', 'remove the given items from list attributes')
    .option('-t, --type <type>', 'object type (only node)', 'node')
    .option('-o, --output <format>', 'text or json', 'text')
    .addHelpText('after', TABLE_VERB_HELP)
    .action(async (noderange: string, attrs: string[], o: { output: string; plus?: boolean; minus?: boolean; type: string }) =>
      runTableVerb(() =>
        withApi(async (api) => {
          checkOutput(o.output);
          if (o.type !== 'node') throw new UserFacingError(`-t ${o.type}: drover's chdef changes nodes only (tables: chtab)`, 2);
          if (o.plus && o.minus) throw new UserFacingError('give -p or -m, not both', 2);
          const req = {
            noderange: inlineNoderangeFiles(noderange),
            attrs: parseAssignments(attrs),
            remove: [],
            plus: !!o.plus,
            minus: !!o.minus,
          };
          return printResults(await callTables(api, 'ChDef', req), o.output);
        }),
      ),
    );
}
