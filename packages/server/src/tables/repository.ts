/**
 * The node tables over SQLite: typed reads per node, validated writes of many nodes in one
 * transaction, noderange expansion against the tables, and tabdump/chtab for every table.
 *
 * Writes check everything first (attribute names, every value of every node, uniqueness, name
 * clashes) and only then touch the database, inside one transaction: a command either applies
 * to every node of its noderange or to none.
 */
import { createHash } from 'node:crypto';
import type { Statement } from 'better-sqlite3';
import {
  AttrError,
  formatNicList,
  formatStorageList,
  isValidNodeName,
  NODE_NAME_SYNTAX,
  parseBootOrder,
  parseMemoryMiB,
  parseNicList,
  parseStorageList,
} from '@drover/contract';
import type { Db } from '../db/database.js';
import { compareNodeNames, expandNoderange, NoderangeError, sortNodes, type NoderangeContext } from '../noderange/index.js';
import { TablesError, type Failure } from './errors.js';
import { NODE_TABLES, resolveNodeAttr, SITE_KEYS, tableDef, type ColumnDef, type NodeAttr, type TableDef } from './schema.js';
import type { Syntax } from './syntax.js';

/** A node's attributes, `table.column` -> value; unset attributes are absent. */
export type NodeAttrs = Record<string, string>;

/** How chdef combines a value with what is stored: replace it, or add/remove list items (-p/-m). */
export type EditMode = 'set' | 'plus' | 'minus';

export interface ExpandOpts {
  /** Unknown names are an error (every verb but nodeadd). */
  requireKnown?: boolean;
  /** An empty noderange means every node (lsdef, nodels); otherwise it is an error. */
  emptyIsAll?: boolean;
}

/** A table's rows as text: unset values are ''. */
export interface TableDump {
  table: string;
  columns: string[];
  rows: string[][];
}

/** Attributes that make up a guest's definition on its host: a change to one is pending until the guest is defined again. */
export const DEFINITION_ATTRS = [
  'vm.host',
  'vm.storage',
  'vm.nics',
  'vm.memory',
  'vm.cpus',
  'vm.bootorder',
  'nodehm.serialport',
  'nodehm.serialspeed',
] as const;

/** Values that must not be shared by two nodes. */
const UNIQUE_ATTRS = ['mac.mac', 'hosts.ip', 'vm.uuid'];

interface Change {
  attr: NodeAttr;
  /** null: clear. */
  value: string | null;
  mode: EditMode;
}

export class Tables {
  private readonly stmts = new Map<string, Statement>();

  constructor(readonly db: Db) {}

  private stmt(sql: string): Statement {
    let s = this.stmts.get(sql);
    if (!s) {
      s = this.db.prepare(sql);
      this.stmts.set(sql, s);
    }
    return s;
  }

  // -------------------------------------------------------------------------------------------
  // Reading

  /**
   * Node names (natural order) and groups, read once and kept until the node tables change: every
   * write of this class bumps `gen`, and SQLite's data_version moves when another connection (a
   * `drover-server` command on the same file) commits. Expanding a noderange over 40,000 nodes
   * then costs a lookup, not a full read and a natural sort of nodelist per call.
   */
  private nodeView: { stamp: string; names: string[]; groups: Map<string, string[]> } | undefined;
  private gen = 0;
  private dataVersion: Statement | undefined;

  private stamp(): string {
    this.dataVersion ??= this.db.prepare('PRAGMA data_version').pluck();
    return `${this.gen}/${String(this.dataVersion.get())}`;
  }

  /** Drops the cached node names and groups (after any write to the node tables). */
  private changed(): void {
    this.gen++;
    this.nodeView = undefined;
  }

  private view(): { names: string[]; groups: Map<string, string[]> } {
    const stamp = this.stamp();
    if (this.nodeView && this.nodeView.stamp === stamp) return this.nodeView;
    const v = { stamp, names: sortNodes(this.stmt('SELECT node FROM nodelist').pluck().all() as string[]), groups: this.readGroups() };
    // Inside a transaction the rows read may still be rolled back: use them, do not keep them.
    if (!this.db.inTransaction) this.nodeView = v;
    return v;
  }

  /** Every node, in natural order. */
  nodeNames(): string[] {
    return [...this.view().names];
  }

  exists(node: string): boolean {
    return this.stmt('SELECT 1 FROM nodelist WHERE node = ?').pluck().get(node) !== undefined;
  }

  /** Group name -> members (natural order), from nodelist.groups. */
  groups(): Map<string, string[]> {
    return new Map([...this.view().groups].map(([g, m]) => [g, [...m]]));
  }

  private readGroups(): Map<string, string[]> {
    const out = new Map<string, string[]>();
    for (const r of this.stmt('SELECT node, groups FROM nodelist WHERE groups IS NOT NULL').all() as { node: string; groups: string }[]) {
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

  /** The context a noderange expands in: nodes, groups, and attributes for selectors (read on first use, per table). */
  noderangeContext(): NoderangeContext {
    const cache = new Map<string, Map<string, string>>();
    const columnValues = (table: string, column: string): Map<string, string> => {
      const key = `${table}.${column}`;
      let m = cache.get(key);
      if (m) return m;
      const def = tableDef(table);
      if (!def || def.kind !== 'node' || !def.columns.some((c) => c.name === column)) {
        throw new NoderangeError(
          'NODERANGE_SYNTAX',
          `unknown attribute '${key}' in a selector; ${NODE_TABLES.map((t) => t.name).join(', ')} are the node tables (see tabdump <table> for columns)`,
        );
      }
      m = new Map();
      for (const r of this.db.prepare(`SELECT node, "${column}" AS v FROM "${table}" WHERE "${column}" IS NOT NULL`).all() as {
        node: string;
        v: string;
      }[])
        m.set(r.node, r.v);
      cache.set(key, m);
      return m;
    };
    const v = this.view();
    return {
      nodes: v.names,
      groups: v.groups,
      attr: (node, table, column) => columnValues(table.toLowerCase(), column.toLowerCase()).get(node),
    };
  }

  /** Expands a noderange against the tables; see ExpandOpts. Throws NoderangeError. */
  expand(expr: string, opts: ExpandOpts = {}): string[] {
    if (expr.trim() === '') {
      if (opts.emptyIsAll) return this.nodeNames();
      throw new NoderangeError('NODERANGE_SYNTAX', 'a noderange is required (e.g. node01, node[01-10], a group)');
    }
    return expandNoderange(expr, this.noderangeContext(), { requireKnown: opts.requireKnown ?? true });
  }

  /** Attributes of nodes (all node tables, or only `only`), hidden columns left out. */
  nodeAttrs(nodes: readonly string[], only?: readonly NodeAttr[]): Map<string, NodeAttrs> {
    const out = new Map<string, NodeAttrs>(nodes.map((n) => [n, {}]));
    const tables = only ? [...new Set(only.map((a) => a.table))] : NODE_TABLES;
    for (const t of tables) {
      const cols = t.columns.filter((c) => c.name !== 'node' && !c.hidden && (!only || only.some((a) => a.table === t && a.column === c)));
      if (cols.length === 0) continue;
      const sel = cols.map((c) => `"${c.name}"`).join(', ');
      // Many nodes: one pass over the table beats thousands of IN (...) lookups.
      const parts = nodes.length > 2000 ? [[]] : chunks(nodes, 500);
      for (const chunk of parts) {
        const rows = (
          chunk.length
            ? this.stmt(`SELECT node, ${sel} FROM "${t.name}" WHERE node IN (${chunk.map(() => '?').join(',')})`).all(...chunk)
            : this.stmt(`SELECT node, ${sel} FROM "${t.name}"`).all()
        ) as Record<string, string | null>[];
        for (const r of rows) {
          const attrs = out.get(r.node!);
          if (!attrs) continue;
          for (const c of cols) {
            const v = r[c.name];
            if (v !== null && v !== undefined) attrs[`${t.name}.${c.name}`] = String(v);
          }
        }
      }
    }
    return out;
  }

  /** One attribute of one node, or undefined when unset. */
  get(node: string, attribute: string): string | undefined {
    const a = resolveNodeAttr(attribute);
    if (typeof a === 'string') throw new TablesError('ATTR_UNKNOWN', [{ node, message: a }]);
    const v = this.stmt(`SELECT "${a.column.name}" FROM "${a.table.name}" WHERE node = ?`).pluck().get(node) as string | null | undefined;
    return v ?? undefined;
  }

  /** One attribute of many nodes (node -> value; unset values absent), in one pass when there are many. */
  getMany(nodes: readonly string[], attribute: string): Map<string, string> {
    const a = resolveNodeAttr(attribute);
    if (typeof a === 'string') throw new TablesError('ATTR_UNKNOWN', [{ node: nodes[0] ?? '', message: a }]);
    const out = new Map<string, string>();
    if (nodes.length > 200) {
      const want = new Set(nodes);
      for (const r of this.stmt(
        `SELECT node, "${a.column.name}" AS v FROM "${a.table.name}" WHERE "${a.column.name}" IS NOT NULL`,
      ).all() as { node: string; v: string }[]) {
        if (want.has(r.node)) out.set(r.node, String(r.v));
      }
      return out;
    }
    for (const n of nodes) {
      const v = this.get(n, attribute);
      if (v !== undefined) out.set(n, v);
    }
    return out;
  }

  // -------------------------------------------------------------------------------------------
  // Writing node attributes

  /**
   * nodeadd: creates `nodes` with `attrs`. Every node must be new and a DNS label; groups default
   * to `all`. Throws TablesError (nothing written) listing every refused node.
   */
  addNodes(nodes: readonly string[], attrs: Readonly<Record<string, string>>): void {
    const failures: Failure[] = [];
    const { changes, problems } = parseChanges(attrs, [], 'set');
    const existing = new Set(this.db.prepare('SELECT node FROM nodelist').pluck().all() as string[]);
    const groups = this.groups();
    for (const n of nodes) {
      if (!isValidNodeName(n))
        failures.push({ node: n, code: 'NODE_NAME', message: `not a valid node name; accepted: ${NODE_NAME_SYNTAX}` });
      else if (existing.has(n))
        failures.push({ node: n, code: 'NODE_EXISTS', message: 'node already exists (change it with chdef, or rmdef it first)' });
      else if (groups.has(n))
        failures.push({
          node: n,
          code: 'NODE_EXISTS',
          message: `is the name of a group (members: ${groups.get(n)!.slice(0, 5).join(',')}${groups.get(n)!.length > 5 ? ',...' : ''}); pick another node name`,
        });
    }
    for (const p of problems) for (const n of nodes) failures.push({ node: n, code: 'ATTR_UNKNOWN', message: p });
    if (!changes.has('nodelist.groups')) {
      changes.set('nodelist.groups', { attr: resolveNodeAttr('nodelist.groups') as NodeAttr, value: 'all', mode: 'set' });
    }
    this.apply(nodes, changes, failures, { creating: true });
  }

  /**
   * chdef: changes attributes of existing nodes. `remove` lists attributes to clear; `mode` plus
   * or minus adds or removes items of list attributes. Throws TablesError (nothing written).
   */
  changeNodes(
    nodes: readonly string[],
    attrs: Readonly<Record<string, string>>,
    opts: { remove?: readonly string[]; mode?: EditMode } = {},
  ): void {
    const failures: Failure[] = [];
    const { changes, problems } = parseChanges(attrs, opts.remove ?? [], opts.mode ?? 'set');
    for (const n of nodes)
      if (!this.exists(n)) failures.push({ node: n, code: 'NOT_FOUND', message: 'no such node (add it with nodeadd)' });
    for (const p of problems) for (const n of nodes) failures.push({ node: n, code: 'ATTR_UNKNOWN', message: p });
    if (changes.size === 0 && problems.length === 0) {
      throw new TablesError('ATTR_UNKNOWN', [], 'nothing to change: give attr=value pairs (or attributes to clear)');
    }
    this.apply(nodes, changes, failures, { creating: false });
  }

  /** rmdef: removes nodes and every row of theirs in the node tables. Returns how many were removed. */
  removeNodes(nodes: readonly string[]): number {
    const del = this.stmt('DELETE FROM nodelist WHERE node = ?');
    try {
      return this.db.transaction(() => nodes.reduce((n, node) => n + del.run(node).changes, 0))();
    } finally {
      this.changed();
    }
  }

  private apply(nodes: readonly string[], changes: Map<string, Change>, failures: Failure[], opts: { creating: boolean }): void {
    const current = opts.creating
      ? new Map<string, NodeAttrs>()
      : this.nodeAttrs(
          nodes,
          [...changes.values()].filter((c) => c.mode !== 'set').map((c) => c.attr),
        );
    const cache = new Map<string, string | AttrError>();
    const finals = new Map<string, Map<string, string | null>>();
    for (const node of nodes) {
      const values = new Map<string, string | null>();
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
    this.crossChecks(nodes, finals, failures, opts.creating);
    if (failures.length > 0) throw new TablesError(undefined, failures);
    this.write(nodes, finals, opts.creating);
  }

  /** Checks that need every node's final values: unique values, and groups that are not node names. */
  private crossChecks(
    nodes: readonly string[],
    finals: Map<string, Map<string, string | null>>,
    failures: Failure[],
    creating: boolean,
  ): void {
    const inCommand = new Set(nodes);
    let nodeSet: Set<string> | undefined;
    for (const node of nodes) {
      const groups = finals.get(node)!.get('nodelist.groups');
      if (!groups) continue;
      nodeSet ??= new Set([...(this.db.prepare('SELECT node FROM nodelist').pluck().all() as string[]), ...(creating ? nodes : [])]);
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
        const other = (this.db.prepare(`SELECT node FROM "${table}" WHERE "${column}" = ?`).pluck().all(v) as string[]).filter(
          (o) => !inCommand.has(o),
        );
        if (other.length > 0)
          failures.push({
            node: owners[0]!,
            code: 'ATTR_CONFLICT',
            message: `${name}: '${v}': ${other[0]} already has this value; accepted: a value no other node has`,
          });
      }
    }
  }

  private write(nodes: readonly string[], finals: Map<string, Map<string, string | null>>, creating: boolean): void {
    // Statements per (table, set of columns): a command sets the same attributes on every node.
    const byTable = new Map<string, string[]>();
    const anyValues = finals.values().next().value as Map<string, string | null> | undefined;
    for (const name of anyValues?.keys() ?? []) {
      const [t, c] = name.split('.') as [string, string];
      byTable.set(t, [...(byTable.get(t) ?? []), c]);
    }
    const insertNode = this.stmt('INSERT INTO nodelist(node) VALUES (?)');
    const upserts = [...byTable].map(([t, cols]) => {
      const def = tableDef(t)!;
      const names = cols.map((c) => `"${c}"`);
      const up = this.db.prepare(
        `INSERT INTO "${t}"(node, ${names.join(', ')}) VALUES (?, ${cols.map(() => '?').join(', ')}) ON CONFLICT(node) DO UPDATE SET ${names.map((n) => `${n} = excluded.${n}`).join(', ')}`,
      );
      const others = def.columns
        .filter((c) => c.name !== 'node')
        .map((c) => `"${c.name}" IS NULL`)
        .join(' AND ');
      const prune = t === 'nodelist' ? undefined : this.db.prepare(`DELETE FROM "${t}" WHERE node = ? AND ${others}`);
      return { t, cols, up, prune };
    });
    // Only new nodes or nodelist columns (groups) change the cached names and groups.
    const touchesNodes = creating || byTable.has('nodelist');
    if (touchesNodes) this.changed();
    try {
      this.db.transaction(() => {
        for (const node of nodes) {
          if (creating) insertNode.run(node);
          const values = finals.get(node)!;
          for (const u of upserts) {
            u.up.run(node, ...u.cols.map((c) => values.get(`${u.t}.${c}`) ?? null));
            u.prune?.run(node);
          }
        }
      })();
    } catch (e) {
      // Unique values exchanged between nodes of one command pass the checks but collide row by row.
      if (
        (e as { code?: string }).code === 'SQLITE_CONSTRAINT_UNIQUE' ||
        (e as { code?: string }).code === 'SQLITE_CONSTRAINT_PRIMARYKEY'
      ) {
        throw new TablesError(
          'ATTR_CONFLICT',
          [],
          `${(e as Error).message}: a unique value (mac.mac, hosts.ip, vm.uuid) would be held by two nodes at once; clear it on one node first`,
        );
      }
      throw e;
    } finally {
      if (touchesNodes) this.changed();
    }
  }

  // -------------------------------------------------------------------------------------------
  // Pending changes

  /** The canonical definition of a node: its definition attributes in one stored form each. */
  definitionOf(node: string): Record<string, string> {
    const all = this.nodeAttrs([node]).get(node) ?? {};
    const out: Record<string, string> = {};
    for (const a of DEFINITION_ATTRS) {
      const v = all[a];
      if (v !== undefined) out[a] = canonical(a, v);
    }
    return out;
  }

  /** Records that `node`'s guest was just defined from the current tables (mkvm, chvm, a migration). Returns the definition's hash. */
  markDefined(node: string): string {
    const def = this.definitionOf(node);
    const attrs = Object.fromEntries(DEFINITION_ATTRS.map((a) => [a, shortHash(def[a] ?? '')]));
    const hash = sha256(JSON.stringify(DEFINITION_ATTRS.map((a) => [a, def[a] ?? ''])));
    this.stmt(
      'INSERT INTO vm(node, defined_hash, defined_attrs) VALUES (?, ?, ?) ON CONFLICT(node) DO UPDATE SET defined_hash = excluded.defined_hash, defined_attrs = excluded.defined_attrs',
    ).run(node, hash, JSON.stringify(attrs));
    return hash;
  }

  /**
   * A migration moved `node`'s guest to `host`: writes vm.host, and in the record of what was
   * defined changes vm.host's value alone (the guest is defined on `host` now, as it was defined
   * before), so vm.host is not pending after a move while any other pending change stays pending.
   */
  recordMove(node: string, host: string): void {
    this.stmt('INSERT INTO vm(node, host) VALUES (?, ?) ON CONFLICT(node) DO UPDATE SET host = excluded.host').run(node, host);
    const rec = this.stmt('SELECT defined_attrs FROM vm WHERE node = ?').pluck().get(node) as string | null | undefined;
    if (!rec) return;
    let attrs: Record<string, string>;
    try {
      attrs = JSON.parse(rec) as Record<string, string>;
    } catch {
      return;
    }
    attrs['vm.host'] = shortHash(canonical('vm.host', host));
    this.stmt('UPDATE vm SET defined_attrs = ? WHERE node = ?').run(JSON.stringify(attrs), node);
  }

  /** Definition attributes changed since the guest was last defined ([] when it never was). */
  pending(nodes: readonly string[]): Map<string, string[]> {
    const out = new Map<string, string[]>();
    const recorded = new Map<string, Record<string, string>>();
    for (const chunk of chunks(nodes, 500)) {
      const rows = this.db
        .prepare(`SELECT node, defined_attrs FROM vm WHERE defined_attrs IS NOT NULL AND node IN (${chunk.map(() => '?').join(',')})`)
        .all(...chunk) as { node: string; defined_attrs: string }[];
      for (const r of rows) {
        try {
          recorded.set(r.node, JSON.parse(r.defined_attrs) as Record<string, string>);
        } catch {
          recorded.set(r.node, {});
        }
      }
    }
    if (recorded.size === 0) return out;
    const attrs = this.nodeAttrs(
      [...recorded.keys()],
      DEFINITION_ATTRS.map((a) => resolveNodeAttr(a) as NodeAttr),
    );
    for (const [node, rec] of recorded) {
      const cur = attrs.get(node) ?? {};
      const changed = DEFINITION_ATTRS.filter((a) => shortHash(cur[a] === undefined ? '' : canonical(a, cur[a])) !== rec[a]);
      if (changed.length) out.set(node, [...changed]);
    }
    return out;
  }

  // -------------------------------------------------------------------------------------------
  // Whole tables

  /** tabdump: every row of a table in key order; unset values are ''. */
  dump(table: string): TableDump {
    const def = tableDef(table.trim().toLowerCase());
    if (!def) throw new TablesError('TABLE_UNKNOWN', [], `unknown table '${table}'; tables: ${tableNames().join(', ')}`);
    const cols = def.columns.map((c) => c.name);
    const rows = this.db
      .prepare(`SELECT ${cols.map((c) => `"${c}"`).join(', ')} FROM "${def.name}"`)
      .raw()
      .all() as unknown[][];
    const text = rows.map((r) => r.map((v) => (v === null || v === undefined ? '' : String(v))));
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
  setRow(table: string, key: Readonly<Record<string, string>>, values: Readonly<Record<string, string>>, del = false): TableDump {
    try {
      return this.writeRow(table, key, values, del);
    } finally {
      this.changed(); // nodelist.groups may have changed
    }
  }

  private writeRow(
    table: string,
    key: Readonly<Record<string, string>>,
    values: Readonly<Record<string, string>>,
    del: boolean,
  ): TableDump {
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
    const subject = rawKey; // refused rows are named by their key, as nodes are by name
    const cols = new Map<string, string>();
    const problems: string[] = [];
    for (const [k, v] of Object.entries(values)) {
      const c = stripTable(k, def);
      if (c === null) problems.push(`'${k}' is not a column of ${def.name}; write all columns of one table per chtab`);
      else if (cols.has(c)) problems.push(`column ${def.name}.${c} given twice`);
      else cols.set(c, v);
    }
    if (problems.length)
      throw new TablesError(
        'ATTR_UNKNOWN',
        problems.map((message) => ({ node: subject, message })),
      );

    if (def.kind === 'node') {
      if (!this.exists(rawKey))
        throw new TablesError('NOT_FOUND', [
          { node: rawKey, message: 'no such node (add it with nodeadd; chtab changes existing nodes only)' },
        ]);
      if (del) {
        if (def.name === 'nodelist') throw new TablesError('TABLE_UNKNOWN', [], 'remove nodes with rmdef, not chtab -d nodelist');
        this.db.prepare(`DELETE FROM "${def.name}" WHERE node = ?`).run(rawKey);
      } else {
        if (cols.size === 0) throw new TablesError('ATTR_UNKNOWN', [], `nothing to set: give ${def.name}.column=value pairs`);
        this.changeNodes([rawKey], Object.fromEntries([...cols].map(([c, v]) => [`${def.name}.${c}`, v])));
      }
      return this.rowDump(def, rawKey);
    }

    const keySyntax = def.keySyntax?.[keyName];
    let keyValue = rawKey;
    try {
      if (keySyntax) keyValue = keySyntax.normalise(rawKey, `${def.name}.${keyName}`);
    } catch (e) {
      if (e instanceof AttrError) throw new TablesError('KEY_INVALID', [{ node: subject, message: e.message }]);
      throw e;
    }
    if (del) {
      this.db.prepare(`DELETE FROM "${def.name}" WHERE "${keyName}" = ?`).run(keyValue);
      return this.rowDump(def, keyValue);
    }
    if (cols.size === 0) throw new TablesError('ATTR_UNKNOWN', [], `nothing to set: give ${def.name}.column=value pairs`);
    const failures: Failure[] = [];
    const stored = new Map<string, string | null>();
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
    const names = [...stored.keys()];
    const q = names.map((n) => `"${n}"`);
    this.db
      .prepare(
        `INSERT INTO "${def.name}"("${keyName}", ${q.join(', ')}) VALUES (?, ${names.map(() => '?').join(', ')}) ON CONFLICT("${keyName}") DO UPDATE SET ${q.map((n) => `${n} = excluded.${n}`).join(', ')}`,
      )
      .run(keyValue, ...names.map((n) => stored.get(n) ?? null));
    return this.rowDump(def, keyValue);
  }

  private rowDump(def: TableDef, keyValue: string): TableDump {
    const cols = def.columns.map((c) => c.name);
    const row = this.db
      .prepare(`SELECT ${cols.map((c) => `"${c}"`).join(', ')} FROM "${def.name}" WHERE "${def.key[0]}" = ?`)
      .raw()
      .get(keyValue) as unknown[] | undefined;
    return { table: def.name, columns: cols, rows: row ? [row.map((v) => (v === null || v === undefined ? '' : String(v)))] : [] };
  }
}

/** Names of every table tabdump knows. */
export function tableNames(): string[] {
  return [
    'nodelist',
    'vm',
    'nodehm',
    'nodetype',
    'noderes',
    'mac',
    'hosts',
    'hypervisor',
    'site',
    'networks',
    'storage',
    'operations',
    'operation_steps',
  ];
}

/** Resolves attribute names to changes; problems are node-independent messages. */
function parseChanges(
  attrs: Readonly<Record<string, string>>,
  remove: readonly string[],
  mode: EditMode,
): { changes: Map<string, Change>; problems: string[] } {
  const changes = new Map<string, Change>();
  const problems: string[] = [];
  const add = (name: string, value: string | null, m: EditMode): void => {
    const a = resolveNodeAttr(name);
    if (typeof a === 'string') {
      problems.push(a);
      return;
    }
    if (!a.column.syntax) {
      problems.push(`${a.name} is set by drover, not by the admin`);
      return;
    }
    if (m !== 'set' && !a.column.list) {
      problems.push(`${a.name}: -p/-m work only on list attributes (${listAttrs().join(', ')})`);
      return;
    }
    if (changes.has(a.name)) {
      problems.push(`${a.name} is given twice (a short name and its table.column count as the same)`);
      return;
    }
    changes.set(a.name, { attr: a, value, mode: m });
  };
  for (const [k, v] of Object.entries(attrs)) add(k, v.trim() === '' ? null : v, v.trim() === '' ? 'set' : mode);
  for (const k of remove) add(k, null, 'set');
  return { changes, problems };
}

function listAttrs(): string[] {
  return NODE_TABLES.flatMap((t) => t.columns.filter((c: ColumnDef) => c.list).map((c) => `${t.name}.${c.name}`));
}

/** -p/-m on a comma list: add the items not there yet / remove the items given. null when nothing is left. */
function editList(current: string | undefined, items: string, mode: 'plus' | 'minus'): string | null {
  const split = (s: string): string[] =>
    s
      .split(/[\s,]+/)
      .map((x) => x.trim())
      .filter((x) => x !== '');
  const have = current ? split(current) : [];
  const given = split(items);
  const out = mode === 'plus' ? [...have, ...given.filter((g) => !have.includes(g))] : have.filter((h) => !given.includes(h));
  return out.length ? out.join(',') : null;
}

function stripTable(name: string, def: TableDef): string | null {
  const lower = name.trim().toLowerCase();
  const dot = lower.indexOf('.');
  if (dot >= 0 && lower.slice(0, dot) !== def.name) return null;
  const col = dot >= 0 ? lower.slice(dot + 1) : lower;
  return def.columns.some((c) => c.name === col) ? col : null;
}

/** One stored form per definition attribute, so that 2G and 2048 do not count as a change. */
function canonical(attr: string, v: string): string {
  try {
    switch (attr) {
      case 'vm.storage':
        return formatStorageList(parseStorageList(v));
      case 'vm.nics':
        return formatNicList(parseNicList(v));
      case 'vm.memory':
        return String(parseMemoryMiB(v));
      case 'vm.bootorder':
        return parseBootOrder(v).join(',');
      default:
        return v.trim();
    }
  } catch {
    return v;
  }
}

function sha256(s: string): string {
  return createHash('sha256').update(s).digest('hex');
}

function shortHash(s: string): string {
  return sha256(s).slice(0, 16);
}

function chunks<T>(list: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < list.length; i += size) out.push(list.slice(i, i + size));
  return out;
}
