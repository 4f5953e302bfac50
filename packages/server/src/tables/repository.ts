/**
 * The node tables as the API handlers use them: typed reads per node, validated writes of many
 * nodes in one transaction, noderange expansion against the tables, tabdump/chtab for every
 * table, and the record of what each guest was last defined from.
 *
 * Writes check everything first (attributes.ts resolves names, checks.ts checks values) and write
 * through the table store in the same transaction: a command either applies to every node of its
 * noderange or to none.
 */
import type { Stores, TableStore } from '../db/stores.js';
import { UniqueViolation } from '../db/stores.js';
import { compareNodeNames, sortNodes } from '../noderange/index.js';
import { TablesError } from './errors.js';
import { resolveNodeAttr, tableDef, NODE_TABLES, type NodeAttr, type TableDef } from './schema.js';
import {
  changedSince,
  definitionAttrs,
  definitionOf,
  definitionRecord,
  parseChanges,
  recordWithHost,
  tableNames,
  type Change,
  type EditMode,
  type NodeAttrs,
} from './attributes.js';
import { checkNewNames, crossChecks, finalValues, rowKey, rowRequest, rowValues } from './checks.js';
import { expandAgainst, type ExpandOpts } from './expand.js';
import type { Failure } from './errors.js';

export { DEFINITION_ATTRS, tableNames, type EditMode, type NodeAttrs } from './attributes.js';
export type { ExpandOpts } from './expand.js';

/** A table's rows as text: unset values are ''. */
export interface TableDump {
  table: string;
  columns: string[];
  rows: string[][];
}

/** Node names and groups, kept until the store's change stamp moves. */
interface NodeView {
  stamp: string;
  names: string[];
  groups: Map<string, string[]>;
}

export class Tables {
  private readonly store: TableStore;

  /**
   * `cache` is shared with the Tables bound to transactions (see in()): node names and groups
   * read once and kept until the node tables change, so expanding a noderange over 40,000 nodes
   * costs a lookup, not a full read and a natural sort of nodelist per call.
   */
  constructor(
    readonly stores: Stores,
    private readonly cache: { view?: NodeView } = {},
  ) {
    this.store = stores.tables;
  }

  /** These tables inside a transaction of the stores (`tx` from Stores.transaction). */
  in(tx: Stores): Tables {
    return tx === this.stores ? this : new Tables(tx, this.cache);
  }

  /** Runs `fn` on these tables in one transaction (the current one when already inside one). */
  private tx<T>(fn: (t: Tables) => Promise<T>): Promise<T> {
    return this.stores.transaction((tx) => fn(this.in(tx)));
  }

  // -------------------------------------------------------------------------------------------
  // Reading

  private async view(): Promise<NodeView> {
    const stamp = await this.store.changeStamp();
    const cached = this.cache.view;
    if (cached && cached.stamp === stamp) return cached;
    const [names, groups] = await Promise.all([this.store.nodeNames(), this.readGroups()]);
    const v = { stamp, names: sortNodes(names), groups };
    // Inside a transaction the rows read may still be rolled back: use them, do not keep them.
    if (!this.stores.inTransaction) this.cache.view = v;
    return v;
  }

  /** Every node, in natural order. */
  async nodeNames(): Promise<string[]> {
    return [...(await this.view()).names];
  }

  exists(node: string): Promise<boolean> {
    return this.store.nodeExists(node);
  }

  /** Group name -> members (natural order), from nodelist.groups. */
  async groups(): Promise<Map<string, string[]>> {
    return new Map([...(await this.view()).groups].map(([g, m]) => [g, [...m]]));
  }

  private async readGroups(): Promise<Map<string, string[]>> {
    const out = new Map<string, string[]>();
    for (const r of await this.store.nodeGroups()) {
      for (const g of r.groups.split(',')) {
        if (g === '') continue;
        let m = out.get(g);
        if (!m) out.set(g, (m = []));
        m.push(r.node);
      }
    }
    for (const m of out.values()) m.sort(compareNodeNames);
    return out;
  }

  /** Expands a noderange against the tables; see ExpandOpts. Throws NoderangeError. */
  async expand(expr: string, opts: ExpandOpts = {}): Promise<string[]> {
    return expandAgainst(expr, opts, {
      view: () => this.view(),
      columnValues: (table, column) => this.store.columnValues(table, column),
    });
  }

  /** Attributes of nodes (all node tables, or only `only`), hidden columns left out. */
  async nodeAttrs(nodes: readonly string[], only?: readonly NodeAttr[]): Promise<Map<string, NodeAttrs>> {
    const out = new Map<string, NodeAttrs>(nodes.map((n) => [n, {}]));
    const tables = only ? [...new Set(only.map((a) => a.table))] : NODE_TABLES;
    for (const t of tables) {
      const cols = t.columns.filter((c) => c.name !== 'node' && !c.hidden && (!only || only.some((a) => a.table === t && a.column === c)));
      if (cols.length === 0 || nodes.length === 0) continue;
      const rows = await this.store.nodeRows(
        t.name,
        cols.map((c) => c.name),
        nodes,
      );
      for (const r of rows) {
        const attrs = out.get(r.node!);
        if (!attrs) continue;
        for (const c of cols) {
          const v = r[c.name];
          if (v !== null && v !== undefined) attrs[`${t.name}.${c.name}`] = v;
        }
      }
    }
    return out;
  }

  /** One attribute of one node, or undefined when unset. */
  get(node: string, attribute: string): Promise<string | undefined> {
    const a = this.attr(attribute, node);
    return this.store.nodeValue(a.table.name, a.column.name, node);
  }

  /** One attribute of many nodes (node -> value; unset values absent), in one pass when there are many. */
  async getMany(nodes: readonly string[], attribute: string): Promise<Map<string, string>> {
    const a = this.attr(attribute, nodes[0] ?? '');
    const out = new Map<string, string>();
    if (nodes.length > 200) {
      const all = await this.store.columnValues(a.table.name, a.column.name);
      for (const n of nodes) {
        const v = all.get(n);
        if (v !== undefined) out.set(n, v);
      }
      return out;
    }
    for (const n of nodes) {
      const v = await this.store.nodeValue(a.table.name, a.column.name, n);
      if (v !== undefined) out.set(n, v);
    }
    return out;
  }

  /** One attribute of every node that has it set (node -> value). */
  values(attribute: string): Promise<Map<string, string>> {
    const a = this.attr(attribute, '');
    return this.store.columnValues(a.table.name, a.column.name);
  }

  private attr(attribute: string, node: string): NodeAttr {
    const a = resolveNodeAttr(attribute);
    if (typeof a === 'string') throw new TablesError('ATTR_UNKNOWN', [{ node, message: a }]);
    return a;
  }

  // -------------------------------------------------------------------------------------------
  // Writing node attributes

  /**
   * nodeadd: creates `nodes` with `attrs`. Every node must be new and a DNS label; groups default
   * to `all`. Throws TablesError (nothing written) listing every refused node.
   */
  addNodes(nodes: readonly string[], attrs: Readonly<Record<string, string>>): Promise<void> {
    return this.writing((t) => t.addNodesNow(nodes, attrs));
  }

  private async addNodesNow(nodes: readonly string[], attrs: Readonly<Record<string, string>>): Promise<void> {
    const { changes, problems } = parseChanges(attrs, [], 'set');
    const existing = new Set(await this.store.nodeNames());
    const failures = checkNewNames(nodes, existing, await this.groups());
    for (const p of problems) for (const n of nodes) failures.push({ node: n, code: 'ATTR_UNKNOWN', message: p });
    if (!changes.has('nodelist.groups')) {
      changes.set('nodelist.groups', { attr: resolveNodeAttr('nodelist.groups') as NodeAttr, value: 'all', mode: 'set' });
    }
    await this.apply(nodes, changes, failures, true);
  }

  /**
   * chdef: changes attributes of existing nodes. `remove` lists attributes to clear; `mode` plus
   * or minus adds or removes items of list attributes. Throws TablesError (nothing written).
   */
  changeNodes(
    nodes: readonly string[],
    attrs: Readonly<Record<string, string>>,
    opts: { remove?: readonly string[]; mode?: EditMode } = {},
  ): Promise<void> {
    return this.writing((t) => t.changeNodesNow(nodes, attrs, opts));
  }

  private async changeNodesNow(
    nodes: readonly string[],
    attrs: Readonly<Record<string, string>>,
    opts: { remove?: readonly string[]; mode?: EditMode },
  ): Promise<void> {
    const failures: Failure[] = [];
    const { changes, problems } = parseChanges(attrs, opts.remove ?? [], opts.mode ?? 'set');
    for (const n of nodes)
      if (!(await this.exists(n))) failures.push({ node: n, code: 'NOT_FOUND', message: 'no such node (add it with nodeadd)' });
    for (const p of problems) for (const n of nodes) failures.push({ node: n, code: 'ATTR_UNKNOWN', message: p });
    if (changes.size === 0 && problems.length === 0) {
      throw new TablesError('ATTR_UNKNOWN', [], 'nothing to change: give attr=value pairs (or attributes to clear)');
    }
    await this.apply(nodes, changes, failures, false);
  }

  /** rmdef: removes nodes and every row of theirs in the node tables. Returns how many were removed. */
  removeNodes(nodes: readonly string[]): Promise<number> {
    return this.writing((t) => t.store.removeNodes(nodes));
  }

  /** A write in one transaction; the cached node names and groups are dropped before and after. */
  private async writing<T>(fn: (t: Tables) => Promise<T>): Promise<T> {
    this.cache.view = undefined;
    try {
      return await this.tx(fn);
    } finally {
      this.cache.view = undefined;
    }
  }

  private async apply(nodes: readonly string[], changes: Map<string, Change>, failures: Failure[], creating: boolean): Promise<void> {
    const current = creating
      ? new Map<string, NodeAttrs>()
      : await this.nodeAttrs(
          nodes,
          [...changes.values()].filter((c) => c.mode !== 'set').map((c) => c.attr),
        );
    const finals = finalValues(nodes, changes, current, failures);
    await crossChecks(nodes, finals, failures, creating, this.store);
    if (failures.length > 0) throw new TablesError(undefined, failures);
    try {
      await this.store.writeNodes(
        nodes.map((node) => ({ node, values: finals.get(node)! })),
        { create: creating },
      );
    } catch (e) {
      // Unique values exchanged between nodes of one command pass the checks but collide row by row.
      if (e instanceof UniqueViolation) {
        throw new TablesError(
          'ATTR_CONFLICT',
          [],
          `${e.message}: a unique value (mac.mac, hosts.ip, vm.uuid) would be held by two nodes at once; clear it on one node first`,
        );
      }
      throw e;
    }
  }

  // -------------------------------------------------------------------------------------------
  // Definitions and pending changes

  /** The canonical definition of a node: its definition attributes in one stored form each. */
  async definitionOf(node: string): Promise<Record<string, string>> {
    return definitionOf((await this.nodeAttrs([node])).get(node) ?? {});
  }

  /** Records that `node`'s guest was just defined from the current tables (mkvm, chvm, a migration). Returns the definition's hash. */
  async markDefined(node: string): Promise<string> {
    const rec = definitionRecord((await this.nodeAttrs([node])).get(node) ?? {});
    await this.store.setDefined(node, rec);
    return rec.hash;
  }

  /** Forgets what `node`'s guest was defined from (rmvm: it is defined nowhere now). */
  clearDefined(node: string): Promise<void> {
    return this.store.setDefined(node, null);
  }

  /**
   * A migration moved `node`'s guest to `host`: writes vm.host, and in the record of what was
   * defined changes vm.host's value alone, so vm.host is not pending after a move while any other
   * pending change stays pending. A guest never defined through drover has no record: only vm.host
   * is written. Call it inside the transaction that marks the step done.
   */
  async recordMove(node: string, host: string): Promise<void> {
    await this.store.setVmHost(node, host);
    const rec = (await this.store.definedAttrs([node])).get(node);
    const moved = rec === undefined ? undefined : recordWithHost(rec, host);
    if (moved !== undefined) await this.store.setDefinedAttrs(node, moved);
  }

  /** Definition attributes changed since the guest was last defined ([] when it never was). */
  async pending(nodes: readonly string[]): Promise<Map<string, string[]>> {
    const out = new Map<string, string[]>();
    const recorded = await this.store.definedAttrs(nodes);
    if (recorded.size === 0) return out;
    const attrs = await this.nodeAttrs([...recorded.keys()], definitionAttrs());
    for (const [node, rec] of recorded) {
      const changed = changedSince(rec, attrs.get(node) ?? {});
      if (changed.length) out.set(node, changed);
    }
    return out;
  }

  // -------------------------------------------------------------------------------------------
  // Whole tables

  /** tabdump: every row of a table in key order; unset values are ''. */
  async dump(table: string): Promise<TableDump> {
    const def = tableDef(table.trim().toLowerCase());
    if (!def) throw new TablesError('TABLE_UNKNOWN', [], `unknown table '${table}'; tables: ${tableNames().join(', ')}`);
    const cols = def.columns.map((c) => c.name);
    const text = (await this.store.rows(def.name, cols)).map((r) => r.map((v) => v ?? ''));
    const keyIdx = def.key.map((k) => cols.indexOf(k));
    text.sort((a, b) => {
      for (const i of keyIdx) {
        const c = compareNodeNames(a[i]!, b[i]!);
        if (c !== 0) return c;
      }
      return 0;
    });
    return { table: def.name, columns: cols, rows: text };
  }

  /**
   * chtab: sets (or with `del`, deletes) one row of a table. `key` names the key column; `values`
   * are columns of that table (`col` or `table.col`). Rows of node tables go through changeNodes,
   * so they follow the same checks; nodes are created only by nodeadd.
   */
  setRow(table: string, key: Readonly<Record<string, string>>, values: Readonly<Record<string, string>>, del = false): Promise<TableDump> {
    // nodelist.groups may change
    return this.writing((t) => t.writeRow(table, key, values, del));
  }

  private async writeRow(
    table: string,
    key: Readonly<Record<string, string>>,
    values: Readonly<Record<string, string>>,
    del: boolean,
  ): Promise<TableDump> {
    const r = rowRequest(table, key, values);
    const { def, rawKey, cols } = r;
    if (def.kind === 'node') {
      if (!(await this.exists(rawKey)))
        throw new TablesError('NOT_FOUND', [
          { node: rawKey, message: 'no such node (add it with nodeadd; chtab changes existing nodes only)' },
        ]);
      if (del) {
        if (def.name === 'nodelist') throw new TablesError('TABLE_UNKNOWN', [], 'remove nodes with rmdef, not chtab -d nodelist');
        await this.store.deleteRow(def.name, 'node', rawKey);
      } else {
        if (cols.size === 0) throw new TablesError('ATTR_UNKNOWN', [], `nothing to set: give ${def.name}.column=value pairs`);
        await this.changeNodesNow([rawKey], Object.fromEntries([...cols].map(([c, v]) => [`${def.name}.${c}`, v])), {});
      }
      return this.rowDump(def, rawKey);
    }
    const keyValue = rowKey(r);
    if (del) {
      await this.store.deleteRow(def.name, r.keyName, keyValue);
      return this.rowDump(def, keyValue);
    }
    await this.store.upsertRow(def.name, r.keyName, keyValue, rowValues(r, keyValue));
    return this.rowDump(def, keyValue);
  }

  private async rowDump(def: TableDef, keyValue: string): Promise<TableDump> {
    const cols = def.columns.map((c) => c.name);
    const row = await this.store.row(def.name, def.key[0]!, keyValue, cols);
    return { table: def.name, columns: cols, rows: row ? [row.map((v) => v ?? '')] : [] };
  }
}
