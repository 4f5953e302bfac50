import type { Command } from 'commander';
import { UserFacingError } from '@drover/contract';
import { withApi } from '../run.js';
import { printJson } from '../output.js';
import { inlineNoderangeFiles } from './noderange-file.js';
import { callTables, checkOutput, runTableVerb, TABLE_VERB_HELP } from './tables-common.js';

/** lsdef shows attributes table by table, in this order, columns alphabetically within a table. */
const TABLE_ORDER = ['nodelist', 'vm', 'nodehm', 'nodetype', 'noderes', 'mac', 'hosts'];

export function attrOrder(a: string, b: string): number {
  const ta = TABLE_ORDER.indexOf(a.split('.')[0]!);
  const tb = TABLE_ORDER.indexOf(b.split('.')[0]!);
  return ta - tb || (a < b ? -1 : a > b ? 1 : 0);
}

export function register(program: Command): void {
  program
    .command('lsdef')
    .description(
      'list node definitions in xCAT stanza format (all nodes without a noderange); attributes changed since a guest was defined are marked (pending)',
    )
    .argument('[noderange]', 'nodes to show (default: all)')
    .option('-i <attrs>', 'only these attributes (comma-separated)')
    .option('-t, --type <type>', 'object type (only node)', 'node')
    .option('-o, --output <format>', 'text or json', 'text')
    .addHelpText('after', TABLE_VERB_HELP)
    .action(async (noderange: string | undefined, o: { output: string; i?: string; type: string }) =>
      runTableVerb(() =>
        withApi(async (api) => {
          checkOutput(o.output);
          if (o.type !== 'node') throw new UserFacingError(`-t ${o.type}: drover's lsdef lists nodes only (tables: tabdump)`, 2);
          const req = {
            noderange: noderange ? inlineNoderangeFiles(noderange) : '',
            attrs: o.i
              ? o.i
                  .split(',')
                  .map((s) => s.trim())
                  .filter(Boolean)
              : [],
          };
          const r = await callTables(api, 'LsDef', req);
          if (o.output === 'json') {
            return printJson(
              r.nodes.map((n) => ({ node: n.node, attrs: sortedAttrs(n.attrs), pending: n.pending, unmanaged: n.unmanaged })),
            );
          }
          if (r.nodes.length === 0) {
            process.stdout.write('Could not find any object definitions to display.\n');
            return;
          }
          const out: string[] = [];
          for (const n of r.nodes) {
            out.push(`Object name: ${n.node}`);
            if (n.unmanaged) out.push('    (unmanaged: found on a host, not created by drover)');
            for (const [k, v] of Object.entries(sortedAttrs(n.attrs)))
              out.push(`    ${k}=${v}${n.pending.includes(k) ? ' (pending)' : ''}`);
            for (const p of n.pending) if (!(p in n.attrs)) out.push(`    ${p}= (pending: cleared)`);
          }
          process.stdout.write(out.join('\n') + '\n');
        }),
      ),
    );
}

function sortedAttrs(attrs: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(attrs).sort(([a], [b]) => attrOrder(a, b)));
}
