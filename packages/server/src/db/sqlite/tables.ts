/** The xCAT tables on SQLite: node rows (one table per concern, keyed by node) and keyed tables. */
import { tableDef, type TableDef } from '../../tables/schema.js';
import { UniqueViolation, type Cell, type NodeWrite, type TableStore } from '../stores.js';
import type { Sql } from './sql.js';

/** The table's definition; refuses names that are not drover's (SQL is built from these names). */
function def(table: string): TableDef {
  const d = tableDef(table);
  if (!d) throw new Error(`unknown table '${table}'`);
  return d;
}

function col(table: string, column: string): string {
  if (!def(table).columns.some((c) => c.name === column)) throw new Error(`unknown column '${table}.${column}'`);
  return `"${column}"`;
}

const cols = (table: string, columns: readonly string[]): string => columns.map((c) => col(table, c)).join(', ');

/** Runs a write; a unique or primary key refusal becomes UniqueViolation (with SQLite's message). */
function unique<T>(fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    const code = (e as { code?: string }).code;
    if (code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY') throw new UniqueViolation((e as Error).message);
    throw e;
  }
}

function chunks<T>(list: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < list.length; i += size) out.push(list.slice(i, i + size));
  return out;
}

export class SqliteTableStore implements TableStore {
  constructor(private readonly sql: Sql) {}

  changeStamp(): Promise<string> {
    return this.sql.run(() => `${this.sql.writes}/${String(this.sql.stmt('PRAGMA data_version').pluck().get())}`);
  }

  nodeNames(): Promise<string[]> {
    return this.sql.run(() => this.sql.stmt('SELECT node FROM nodelist').pluck().all() as string[]);
  }

  nodeGroups(): Promise<{ node: string; groups: string }[]> {
    return this.sql.run(
      () => this.sql.stmt('SELECT node, groups FROM nodelist WHERE groups IS NOT NULL').all() as { node: string; groups: string }[],
    );
  }

  nodeExists(node: string): Promise<boolean> {
    return this.sql.run(() => this.sql.stmt('SELECT 1 FROM nodelist WHERE node = ?').pluck().get(node) !== undefined);
  }

  columnValues(table: string, column: string): Promise<Map<string, string>> {
    return this.sql.run(() => {
      const c = col(table, column);
      const rows = this.sql.stmt(`SELECT node, ${c} AS v FROM "${def(table).name}" WHERE ${c} IS NOT NULL`).all() as {
        node: string;
        v: unknown;
      }[];
      return new Map(rows.map((r) => [r.node, String(r.v)]));
    });
  }

  nodeValue(table: string, column: string, node: string): Promise<string | undefined> {
    return this.sql.run(() => {
      const v = this.sql
        .stmt(`SELECT ${col(table, column)} FROM "${def(table).name}" WHERE node = ?`)
        .pluck()
        .get(node) as unknown;
      return v === null || v === undefined ? undefined : String(v);
    });
  }

  nodeRows(table: string, columns: readonly string[], nodes?: readonly string[]): Promise<Record<string, Cell>[]> {
    return this.sql.run(() => {
      const sel = `SELECT node${columns.length ? `, ${cols(table, columns)}` : ''} FROM "${def(table).name}"`;
      const text = (r: Record<string, unknown>): Record<string, Cell> => {
        for (const c of columns) if (r[c] !== null && typeof r[c] !== 'string') r[c] = String(r[c]);
        return r as Record<string, Cell>;
      };
      // Many nodes: one pass over the table beats thousands of IN (...) lookups.
      if (!nodes || nodes.length > 2000) {
        const rows = this.sql.stmt(sel).all() as Record<string, unknown>[];
        if (!nodes) return rows.map(text);
        const want = new Set(nodes);
        return rows.filter((r) => want.has(r.node as string)).map(text);
      }
      return chunks(nodes, 500).flatMap((chunk) =>
        (this.sql.stmt(`${sel} WHERE node IN (${chunk.map(() => '?').join(',')})`).all(...chunk) as Record<string, unknown>[]).map(text),
      );
    });
  }

  nodesWithValue(table: string, column: string, value: string): Promise<string[]> {
    return this.sql.run(
      () =>
        this.sql
          .stmt(`SELECT node FROM "${def(table).name}" WHERE ${col(table, column)} = ?`)
          .pluck()
          .all(value) as string[],
    );
  }

  writeNodes(rows: readonly NodeWrite[], opts: { create: boolean }): Promise<void> {
    return this.sql.run(() => {
      const { db } = this.sql;
      // Statements per (table, set of columns): a command sets the same attributes on every node.
      const byTable = new Map<string, string[]>();
      for (const name of rows[0]?.values.keys() ?? []) {
        const [t, c] = name.split('.') as [string, string];
        col(t, c);
        byTable.set(t, [...(byTable.get(t) ?? []), c]);
      }
      const insertNode = this.sql.stmt('INSERT INTO nodelist(node) VALUES (?)');
      const upserts = [...byTable].map(([t, names]) => {
        const q = names.map((n) => `"${n}"`);
        const up = this.sql.stmt(
          `INSERT INTO "${t}"(node, ${q.join(', ')}) VALUES (?, ${names.map(() => '?').join(', ')}) ON CONFLICT(node) DO UPDATE SET ${q.map((n) => `${n} = excluded.${n}`).join(', ')}`,
        );
        const others = def(t)
          .columns.filter((c) => c.name !== 'node')
          .map((c) => `"${c.name}" IS NULL`)
          .join(' AND ');
        const prune = t === 'nodelist' ? undefined : this.sql.stmt(`DELETE FROM "${t}" WHERE node = ? AND ${others}`);
        return { t, names, up, prune };
      });
      this.sql.wrote();
      unique(() =>
        db.transaction(() => {
          for (const r of rows) {
            if (opts.create) insertNode.run(r.node);
            for (const u of upserts) {
              u.up.run(r.node, ...u.names.map((c) => r.values.get(`${u.t}.${c}`) ?? null));
              u.prune?.run(r.node);
            }
          }
        })(),
      );
    });
  }

  removeNodes(nodes: readonly string[]): Promise<number> {
    return this.sql.run(() => {
      const del = this.sql.stmt('DELETE FROM nodelist WHERE node = ?');
      this.sql.wrote();
      return this.sql.db.transaction(() => nodes.reduce((n, node) => n + del.run(node).changes, 0))();
    });
  }

  claimNodeValue(
    table: string,
    column: string,
    node: string,
    value: string,
    onInsert: Readonly<Record<string, string>> = {},
  ): Promise<string> {
    return this.sql.run(() => {
      const c = col(table, column);
      const extra = Object.keys(onInsert);
      const names = ['"node"', ...extra.map((e) => col(table, e)), c];
      this.sql.wrote();
      unique(() =>
        this.sql
          .stmt(
            `INSERT INTO "${def(table).name}"(${names.join(', ')}) VALUES (${names.map(() => '?').join(', ')}) ON CONFLICT(node) DO UPDATE SET ${c} = excluded.${c} WHERE ${c} IS NULL`,
          )
          .run(node, ...extra.map((e) => onInsert[e]!), value),
      );
      return String(
        this.sql
          .stmt(`SELECT ${c} FROM "${def(table).name}" WHERE node = ?`)
          .pluck()
          .get(node),
      );
    });
  }

  setVmHost(node: string, host: string): Promise<void> {
    return this.sql.run(() => {
      this.sql.wrote();
      this.sql.stmt('INSERT INTO vm(node, host) VALUES (?, ?) ON CONFLICT(node) DO UPDATE SET host = excluded.host').run(node, host);
    });
  }

  setDefined(node: string, record: { hash: string; attrs: string } | null): Promise<void> {
    return this.sql.run(() => {
      this.sql.wrote();
      if (!record) this.sql.stmt('UPDATE vm SET defined_hash = NULL, defined_attrs = NULL WHERE node = ?').run(node);
      else
        this.sql
          .stmt(
            'INSERT INTO vm(node, defined_hash, defined_attrs) VALUES (?, ?, ?) ON CONFLICT(node) DO UPDATE SET defined_hash = excluded.defined_hash, defined_attrs = excluded.defined_attrs',
          )
          .run(node, record.hash, record.attrs);
    });
  }

  setDefinedAttrs(node: string, attrs: string): Promise<void> {
    return this.sql.run(() => {
      this.sql.wrote();
      this.sql.stmt('UPDATE vm SET defined_attrs = ? WHERE node = ?').run(attrs, node);
    });
  }

  definedAttrs(nodes: readonly string[]): Promise<Map<string, string>> {
    return this.sql.run(() => {
      const out = new Map<string, string>();
      for (const chunk of chunks(nodes, 500)) {
        const rows = this.sql
          .stmt(`SELECT node, defined_attrs FROM vm WHERE defined_attrs IS NOT NULL AND node IN (${chunk.map(() => '?').join(',')})`)
          .all(...chunk) as { node: string; defined_attrs: string }[];
        for (const r of rows) out.set(r.node, r.defined_attrs);
      }
      return out;
    });
  }

  rows(table: string, columns: readonly string[]): Promise<Cell[][]> {
    return this.sql.run(() =>
      (
        this.sql
          .stmt(`SELECT ${cols(table, columns)} FROM "${def(table).name}"`)
          .raw()
          .all() as unknown[][]
      ).map(cells),
    );
  }

  row(table: string, keyColumn: string, key: string, columns: readonly string[]): Promise<Cell[] | undefined> {
    return this.sql.run(() => {
      const r = this.sql
        .stmt(`SELECT ${cols(table, columns)} FROM "${def(table).name}" WHERE ${col(table, keyColumn)} = ?`)
        .raw()
        .get(key) as unknown[] | undefined;
      return r ? cells(r) : undefined;
    });
  }

  upsertRow(table: string, keyColumn: string, key: string, values: ReadonlyMap<string, Cell>): Promise<void> {
    return this.sql.run(() => {
      const k = col(table, keyColumn);
      const names = [...values.keys()];
      const q = names.map((n) => col(table, n));
      this.sql.wrote();
      unique(() =>
        this.sql
          .stmt(
            `INSERT INTO "${def(table).name}"(${k}, ${q.join(', ')}) VALUES (?, ${names.map(() => '?').join(', ')}) ON CONFLICT(${k}) DO UPDATE SET ${q.map((n) => `${n} = excluded.${n}`).join(', ')}`,
          )
          .run(key, ...names.map((n) => values.get(n) ?? null)),
      );
    });
  }

  deleteRow(table: string, keyColumn: string, key: string): Promise<void> {
    return this.sql.run(() => {
      this.sql.wrote();
      this.sql.stmt(`DELETE FROM "${def(table).name}" WHERE ${col(table, keyColumn)} = ?`).run(key);
    });
  }
}

function cells(r: unknown[]): Cell[] {
  return r.map((v) => (v === null || v === undefined ? null : String(v)));
}
