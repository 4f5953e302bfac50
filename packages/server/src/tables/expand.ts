/**
 * Noderange expansion against the tables. The noderange module is pure and synchronous; the
 * tables are read asynchronously. So the expression is parsed first, the attributes its
 * selectors name (table.column==value, ...) are read, and then it is evaluated.
 */
import { evaluateNoderange, NoderangeError, parseNoderange, type ListNode, type Primary } from '../noderange/index.js';
import { NODE_TABLES, tableDef } from './schema.js';

export interface ExpandOpts {
  /** Unknown names are an error (every verb but nodeadd). */
  requireKnown?: boolean;
  /** An empty noderange means every node (lsdef, nodels); otherwise it is an error. */
  emptyIsAll?: boolean;
}

/** What expansion reads. */
export interface ExpandReads {
  view(): Promise<{ names: readonly string[]; groups: ReadonlyMap<string, readonly string[]> }>;
  columnValues(table: string, column: string): Promise<Map<string, string>>;
}

/** Expands `expr`; see ExpandOpts. Throws NoderangeError. */
export async function expandAgainst(expr: string, opts: ExpandOpts, reads: ExpandReads): Promise<string[]> {
  if (expr.trim() === '') {
    if (opts.emptyIsAll) return [...(await reads.view()).names];
    throw new NoderangeError('NODERANGE_SYNTAX', 'a noderange is required (e.g. node01, node[01-10], a group)');
  }
  const ast = parseNoderange(expr);
  const values = new Map<string, Map<string, string>>();
  for (const key of selectorAttrs(ast)) {
    const [table, column] = key.split('.') as [string, string];
    // An unknown attribute is refused where the evaluation meets it (below), as any other error.
    if (isNodeColumn(table, column)) values.set(key, await reads.columnValues(table, column));
  }
  const v = await reads.view();
  return evaluateNoderange(
    ast,
    {
      nodes: v.names,
      groups: v.groups,
      attr: (node, table, column) => {
        const key = `${table.toLowerCase()}.${column.toLowerCase()}`;
        const m = values.get(key);
        if (!m)
          throw new NoderangeError(
            'NODERANGE_SYNTAX',
            `unknown attribute '${key}' in a selector; ${NODE_TABLES.map((t) => t.name).join(', ')} are the node tables (see tabdump <table> for columns)`,
          );
        return m.get(node);
      },
    },
    { requireKnown: opts.requireKnown ?? true },
  );
}

function isNodeColumn(table: string, column: string): boolean {
  const def = tableDef(table);
  return !!def && def.kind === 'node' && def.columns.some((c) => c.name === column);
}

/** `table.column` (lower case) of every selector in the expression. */
function selectorAttrs(list: ListNode): Set<string> {
  const out = new Set<string>();
  const primary = (p: Primary): void => {
    if (p.kind === 'list') for (const item of p.items) expr(item.expr);
    else if (p.kind === 'selector') out.add(`${p.table.toLowerCase()}.${p.column.toLowerCase()}`);
  };
  const expr = (e: ListNode['items'][number]['expr']): void => {
    if (e.kind === 'intersect') for (const o of e.operands) primary(o);
    else primary(e);
  };
  primary(list);
  return out;
}
