/** What every SQLite store is given (see stores.ts). */
import type { Statement } from 'better-sqlite3';
import type { Db } from './database.js';

/** What every SQLite store gets: the connection, a statement cache and the executor of its calls. */
export interface Sql {
  readonly db: Db;
  /** A prepared statement, prepared once per SQL text. */
  stmt(sql: string): Statement;
  /** Runs `fn` now (or after the open transaction, for calls from outside it); its result as a promise. */
  run<T>(fn: () => T): Promise<T>;
  /** Counts writes, for TableStore.changeStamp. */
  wrote(): void;
  readonly writes: number;
}
