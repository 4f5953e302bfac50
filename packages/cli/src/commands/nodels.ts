import type { Command } from 'commander';
import { withApi } from '../run.js';
import { printJson } from '../output.js';
import { inlineNoderangeFiles } from './noderange-file.js';
import { callTables, checkOutput, runTableVerb, NODERANGE_HELP } from './tables-common.js';

export function register(program: Command): void {
  program
    .command('nodels')
    .description('list the nodes of a noderange, optionally with attributes: nodels compute vm.host')
    .argument('[noderange]', 'nodes to list (default: all)')
    .argument('[columns...]', 'table.column (or short names) to show')
    .option('-o, --output <format>', 'text or json', 'text')
    .addHelpText('after', `\n${NODERANGE_HELP}`)
    .action(async (noderange: string | undefined, columns: string[], o: { output: string }) =>
      runTableVerb(() =>
        withApi(async (api) => {
          checkOutput(o.output);
          const req = { noderange: noderange ? inlineNoderangeFiles(noderange) : '', columns };
          const r = await callTables(api, 'NodeLs', req);
          if (o.output === 'json') {
            return printJson(columns.length ? r.nodes.map((n) => ({ node: n.node, attrs: n.attrs })) : r.nodes.map((n) => n.node));
          }
          const out: string[] = [];
          for (const n of r.nodes) {
            if (columns.length === 0) {
              out.push(n.node);
              continue;
            }
            const keys = columnKeys(columns);
            if (keys.length === 1) out.push(`${n.node}: ${valueOf(n.attrs, keys[0]!)}`);
            else for (const k of keys) out.push(`${n.node}: ${k}: ${valueOf(n.attrs, k)}`);
          }
          if (out.length) process.stdout.write(out.join('\n') + '\n');
        }),
      ),
    );
}

function columnKeys(columns: string[]): string[] {
  return columns
    .flatMap((c) => c.split(','))
    .map((c) => c.trim())
    .filter(Boolean);
}

/** The server keys nodels attributes by the names as asked (short or table.column). */
function valueOf(attrs: Record<string, string>, key: string): string {
  return attrs[key] ?? '';
}
