import type { Command } from 'commander';
import { UserFacingError, type TabDumpResponse__Output } from '@drover/contract';
import { withApi } from '../run.js';
import { printJson } from '../output.js';
import { callTables, checkOutput, parseAssignments, runTableVerb } from './tables-common.js';

/**
 * xCAT's table CSV: a `#col,col,...` header, then one line per row with every set value in
 * double quotes (a quote inside doubled) and unset values empty.
 */
export function toCsv(columns: readonly string[], rows: readonly (readonly string[])[]): string {
  const lines = [`#${columns.join(',')}`];
  for (const r of rows) lines.push(r.map((v) => (v === '' ? '' : `"${v.replace(/"/g, '""')}"`)).join(','));
  return lines.join('\n') + '\n';
}

function printDump(r: TabDumpResponse__Output, output: string): void {
  if (output === 'json') {
    printJson({ table: r.table, rows: r.rows.map((row) => Object.fromEntries(r.columns.map((c, i) => [c, row.values[i] ?? '']))) });
    return;
  }
  process.stdout.write(
    toCsv(
      r.columns,
      r.rows.map((x) => x.values),
    ),
  );
}

export function register(program: Command): void {
  program
    .command('tabdump')
    .description('print a table as CSV (xCAT format); without a table, list the tables')
    .argument(
      '[table]',
      'nodelist, vm, nodehm, nodetype, noderes, mac, hosts, hypervisor, site, networks, storage, operations, operation_steps',
    )
    .option('-o, --output <format>', 'text (CSV) or json', 'text')
    .action(async (table: string | undefined, o: { output: string }) =>
      runTableVerb(() =>
        withApi(async (api) => {
          checkOutput(o.output);
          const r = await callTables(api, 'TabDump', { table: table ?? '' });
          if (!table) {
            if (o.output === 'json') return printJson(r.rows.map((x) => x.values[0]));
            process.stdout.write(r.rows.map((x) => x.values[0]).join('\n') + '\n');
            return;
          }
          printDump(r, o.output);
        }),
      ),
    );

  program
    .command('chtab')
    .description(
      'set (or with -d delete) one table row: chtab key=master site.value=10.0.0.1; chtab url=nfs://filer/vm storage.shared=1 storage.hosts=hv01,hv02',
    )
    .argument(
      '<key>',
      'KEYCOLUMN=VALUE: node=hv01 (hypervisor), key=NAME (site), netname=NAME (networks), url=URL (storage), node=NODE (node tables)',
    )
    .argument('[values...]', 'table.column=value pairs, all of one table (with -d: the table name)')
    .option('-d, --delete', 'delete the row')
    .option('-o, --output <format>', 'text (CSV) or json', 'text')
    .action(async (key: string, values: string[], o: { output: string; delete?: boolean }) =>
      runTableVerb(() =>
        withApi(async (api) => {
          checkOutput(o.output);
          const keyPair = parseAssignments([key], 'key column');
          let table: string;
          let set: Record<string, string> = {};
          if (o.delete) {
            if (values.length !== 1 || values[0]!.includes('='))
              throw new UserFacingError('chtab -d takes the key and the table name: chtab -d netname=lab networks', 2);
            table = values[0]!;
          } else {
            set = parseAssignments(values, 'table.column');
            const tables = new Set(Object.keys(set).map((k) => (k.includes('.') ? k.slice(0, k.indexOf('.')) : '')));
            if (tables.size !== 1 || tables.has(''))
              throw new UserFacingError('give table.column=value pairs, all of one table (one chtab per table)', 2);
            table = [...tables][0]!;
          }
          const r = await callTables(api, 'TabSet', { table, key: keyPair, values: set, delete: !!o.delete });
          printDump(r, o.output);
        }),
      ),
    );
}
