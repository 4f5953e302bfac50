/**
 * The stores on one SQLite file (better-sqlite3, synchronous). Each call runs at once and returns
 * a settled promise, except while a transaction is open: SQLite has one connection here, so
 * calls from outside the transaction wait until it ends instead of landing inside it.
 */
import type { Statement } from 'better-sqlite3';
import type { Sql } from './sql.js';
import type { Stores } from '../stores.js';
import { openDb, type Db } from './database.js';
import { SqliteTableStore } from './tables.js';
import { SqliteOperationStore } from './operations.js';
import { SqliteHostStore } from './hosts.js';
import { SqlitePkiStore } from './pki.js';
import { SqliteAuditStore, SqliteInstallTokenStore } from './small.js';

class Core {
  readonly stmts = new Map<string, Statement>();
  /** Settles when the open transaction ends; undefined when none is open. */
  busy: Promise<void> | undefined;
  writes = 0;
  savepoints = 0;
  constructor(readonly db: Db) {}
  stmt(sql: string): Statement {
    let s = this.stmts.get(sql);
    if (!s) {
      s = this.db.prepare(sql);
      this.stmts.set(sql, s);
    }
    return s;
  }
}

function settle<T>(fn: () => T): Promise<T> {
  try {
    return Promise.resolve(fn());
  } catch (e) {
    return Promise.reject(e as Error);
  }
}

export class SqliteStores implements Stores {
  readonly tables: SqliteTableStore;
  readonly operations: SqliteOperationStore;
  readonly hosts: SqliteHostStore;
  readonly pki: SqlitePkiStore;
  readonly audit: SqliteAuditStore;
  readonly installTokens: SqliteInstallTokenStore;

  /** Opens (creating and migrating) the database file; ':memory:' for a throw-away one. */
  static open(file: string): SqliteStores {
    return new SqliteStores(new Core(openDb(file)), undefined);
  }

  private constructor(
    private readonly core: Core,
    /** set when bound to a transaction; `open` turns false when it ends */
    private readonly tx: { open: boolean } | undefined,
  ) {
    const run = tx
      ? <T>(fn: () => T): Promise<T> =>
          tx.open ? settle(fn) : Promise.reject(new Error('database call through a transaction that has already ended'))
      : <T>(fn: () => T): Promise<T> => this.runOutside(fn);
    const sql: Sql = {
      db: core.db,
      stmt: (s) => core.stmt(s),
      run,
      wrote: () => {
        core.writes++;
      },
      get writes() {
        return core.writes;
      },
    };
    this.tables = new SqliteTableStore(sql);
    this.operations = new SqliteOperationStore(sql);
    this.hosts = new SqliteHostStore(sql);
    this.pki = new SqlitePkiStore(sql);
    this.audit = new SqliteAuditStore(sql);
    this.installTokens = new SqliteInstallTokenStore(sql);
  }

  /** The connection itself: for the online backup and for tests that look at rows directly. */
  get db(): Db {
    return this.core.db;
  }

  get inTransaction(): boolean {
    return this.tx !== undefined;
  }

  private runOutside<T>(fn: () => T): Promise<T> {
    const busy = this.core.busy;
    if (busy) return busy.then(() => this.runOutside(fn));
    return settle(fn);
  }

  async transaction<T>(fn: (tx: Stores) => Promise<T>): Promise<T> {
    const { core } = this;
    if (this.tx) {
      if (!this.tx.open) throw new Error('database transaction through a transaction that has already ended');
      // Nested: a savepoint, so that a failure inside undoes only what the inner part wrote.
      const name = `sp${++core.savepoints}`;
      core.db.exec(`SAVEPOINT ${name}`);
      try {
        const v = await fn(this);
        core.db.exec(`RELEASE ${name}`);
        return v;
      } catch (e) {
        core.db.exec(`ROLLBACK TO ${name}`);
        core.db.exec(`RELEASE ${name}`);
        throw e;
      }
    }
    while (core.busy) await core.busy;
    let release!: () => void;
    core.busy = new Promise((res) => (release = res));
    const state = { open: true };
    try {
      core.db.exec('BEGIN IMMEDIATE');
      const v = await fn(new SqliteStores(core, state));
      core.db.exec('COMMIT');
      return v;
    } catch (e) {
      if (core.db.inTransaction) core.db.exec('ROLLBACK');
      throw e;
    } finally {
      state.open = false;
      core.writes++;
      core.busy = undefined;
      release();
    }
  }

  async close(): Promise<void> {
    while (this.core.busy) await this.core.busy;
    this.core.db.close();
  }
}
