/**
 * The checks a write passes before anything is written: node names, every value against its
 * attribute's syntax, values that must be unique, groups that are not node names, and chtab's
 * key and columns. Each adds the refused nodes (or rows) to `failures` or throws TablesError.
 */
import { AttrError, isValidNodeName, NODE_NAME_SYNTAX } from '@drover/contract';
import { TablesError, type Failure } from './errors.js';
import { editList, stripTable, tableNames, type Change, type NodeAttrs } from './attributes.js';
import { SITE_KEYS, tableDef, type TableDef } from './schema.js';
import type { Syntax } from './syntax.js';
import type { Cell } from '../db/stores.js';

/** Values that must not be shared by two nodes. */
const UNIQUE_ATTRS = ['mac.mac', 'hosts.ip', 'vm.uuid'];

/** A node's final values after a command: `table.column` -> value (null clears). */
export type Finals = Map<string, Map<string, Cell>>;

/** What the cross checks read from the tables (within the command's transaction). */
export interface CheckReads {
  nodeNames(): Promise<string[]>;
  nodesWithValue(table: string, column: string, value: string): Promise<string[]>;
}

/** nodeadd: every name must be a DNS label, new, and not a group's name. */
export function checkNewNames(nodes: readonly string[], existing: ReadonlySet<string>, groups: ReadonlyMap<string, string[]>): Failure[] {
  const failures: Failure[] = [];
  for (const n of nodes) {
    if (!isValidNodeName(n)) failures.push({ node: n, code: 'NODE_NAME', message: `not a valid node name; accepted: ${NODE_NAME_SYNTAX}` });
    else if (existing.has(n))
      failures.push({ node: n, code: 'NODE_EXISTS', message: 'node already exists (change it with chdef, or rmdef it first)' });
    else if (groups.has(n))
      failures.push({
        node: n,
        code: 'NODE_EXISTS',
        message: `is the name of a group (members: ${groups.get(n)!.slice(0, 5).join(',')}${groups.get(n)!.length > 5 ? ',...' : ''}); pick another node name`,
      });
  }
  return failures;
}

/** Each node's final values: list edits applied to `current`, every value normalised by its syntax. */
export function finalValues(
  nodes: readonly string[],
  changes: ReadonlyMap<string, Change>,
  current: ReadonlyMap<string, NodeAttrs>,
  failures: Failure[],
): Finals {
  const cache = new Map<string, string | AttrError>();
  const finals: Finals = new Map();
  for (const node of nodes) {
    const values = new Map<string, Cell>();
    for (const [name, ch] of changes) {
      let v = ch.value;
      if (ch.mode !== 'set' && v !== null) v = editList(current.get(node)?.[name], v, ch.mode);
      if (v !== null) {
        const key = `${name}\u0000${v}`;
        let r = cache.get(key);
        if (r === undefined) {
          try {
            r = ch.attr.column.syntax!.normalise(v, name);
          } catch (e) {
            if (!(e instanceof AttrError)) throw e;
            r = e;
          }
          cache.set(key, r);
        }
        if (r instanceof AttrError) {
          failures.push({ node, message: r.message });
          continue;
        }
        v = r === '' ? null : r;
      }
      values.set(name, v);
    }
    finals.set(node, values);
  }
  return finals;
}

/** Checks that need every node's final values: unique values, and groups that are not node names. */
export async function crossChecks(
  nodes: readonly string[],
  finals: Finals,
  failures: Failure[],
  creating: boolean,
  reads: CheckReads,
): Promise<void> {
  const inCommand = new Set(nodes);
  let nodeSet: Set<string> | undefined;
  for (const node of nodes) {
    const groups = finals.get(node)!.get('nodelist.groups');
    if (!groups) continue;
    nodeSet ??= new Set([...(await reads.nodeNames()), ...(creating ? nodes : [])]);
    for (const g of groups.split(',')) {
      if (nodeSet.has(g))
        failures.push({
          node,
          code: 'ATTR_CONFLICT',
          message: `nodelist.groups: '${g}' is a node name, so it cannot also be a group; accepted: group names that are not node names`,
        });
    }
  }
  for (const name of UNIQUE_ATTRS) {
    const byValue = new Map<string, string[]>();
    for (const node of nodes) {
      const v = finals.get(node)!.get(name);
      if (v === undefined || v === null) continue;
      const list = byValue.get(v) ?? [];
      list.push(node);
      byValue.set(v, list);
    }
    const [table, column] = name.split('.') as [string, string];
    for (const [v, owners] of byValue) {
      if (owners.length > 1) {
        for (const node of owners)
          failures.push({
            node,
            code: 'ATTR_CONFLICT',
            message: `${name}: '${v}': the same value for ${owners.length} nodes of this command; accepted: a value no other node has`,
          });
        continue;
      }
      const other = (await reads.nodesWithValue(table, column, v)).filter((o) => !inCommand.has(o));
      if (other.length > 0)
        failures.push({
          node: owners[0]!,
          code: 'ATTR_CONFLICT',
          message: `${name}: '${v}': ${other[0]} already has this value; accepted: a value no other node has`,
        });
    }
  }
}

/** A chtab request read against its table: the table, its key column and value as given, and the columns to set. */
export interface RowRequest {
  def: TableDef;
  keyName: string;
  rawKey: string;
  cols: Map<string, string>;
}

/** Checks chtab's table, key and column names. Throws TablesError. */
export function rowRequest(table: string, key: Readonly<Record<string, string>>, values: Readonly<Record<string, string>>): RowRequest {
  const def = tableDef(table.trim().toLowerCase());
  if (!def || def.kind === 'journal') {
    throw new TablesError(
      'TABLE_UNKNOWN',
      [],
      def ? `table ${def.name} is written by drover-server only` : `unknown table '${table}'; tables: ${tableNames().join(', ')}`,
    );
  }
  const keyName = def.key[0]!;
  const keyEntries = Object.entries(key).map(([k, v]) => [stripTable(k, def), v] as const);
  if (keyEntries.length !== 1 || keyEntries[0]![0] !== keyName) {
    throw new TablesError(
      'KEY_INVALID',
      [],
      `table ${def.name} is keyed by ${keyName}: write ${keyName}=VALUE before the table.column=value pairs`,
    );
  }
  const rawKey = keyEntries[0]![1];
  const cols = new Map<string, string>();
  const problems: string[] = [];
  for (const [k, v] of Object.entries(values)) {
    const c = stripTable(k, def);
    if (c === null) problems.push(`'${k}' is not a column of ${def.name}; write all columns of one table per chtab`);
    else if (cols.has(c)) problems.push(`column ${def.name}.${c} given twice`);
    else cols.set(c, v);
  }
  // refused rows are named by their key, as nodes are by name
  if (problems.length)
    throw new TablesError(
      'ATTR_UNKNOWN',
      problems.map((message) => ({ node: rawKey, message })),
    );
  return { def, keyName, rawKey, cols };
}

/** The key of a keyed table's row in its stored form. Throws TablesError. */
export function rowKey(r: RowRequest): string {
  const keySyntax = r.def.keySyntax?.[r.keyName];
  try {
    return keySyntax ? keySyntax.normalise(r.rawKey, `${r.def.name}.${r.keyName}`) : r.rawKey;
  } catch (e) {
    if (e instanceof AttrError) throw new TablesError('KEY_INVALID', [{ node: r.rawKey, message: e.message }]);
    throw e;
  }
}

/** The values of a keyed table's row, each checked by its column's syntax (site values by their key's). Throws TablesError. */
export function rowValues(r: RowRequest, keyValue: string): Map<string, Cell> {
  const { def, cols, rawKey: subject } = r;
  if (cols.size === 0) throw new TablesError('ATTR_UNKNOWN', [], `nothing to set: give ${def.name}.column=value pairs`);
  const failures: Failure[] = [];
  const stored = new Map<string, Cell>();
  for (const [c, v] of cols) {
    const col = def.columns.find((x) => x.name === c)!;
    const syntax: Syntax | undefined =
      def.name === 'site' && c === 'value' && Object.hasOwn(SITE_KEYS, keyValue) ? SITE_KEYS[keyValue] : col.syntax;
    if (!syntax) {
      failures.push({ node: subject, message: `${def.name}.${c} is the key or is set by drover, not by chtab` });
      continue;
    }
    if (v.trim() === '') {
      stored.set(c, null);
      continue;
    }
    try {
      stored.set(c, syntax.normalise(v, def.name === 'site' && c === 'value' ? `site.${keyValue}` : `${def.name}.${c}`));
    } catch (e) {
      if (!(e instanceof AttrError)) throw e;
      failures.push({ node: subject, message: e.message });
    }
  }
  if (failures.length) throw new TablesError('ATTR_INVALID', failures);
  return stored;
}
