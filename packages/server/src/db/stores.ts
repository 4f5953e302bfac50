/**
 * What drover-server keeps in its database, behind one interface per concern: the xCAT tables,
 * the operations journal, host states, the PKI's records, the audit log and install tokens.
 *
 * Every method returns a Promise and no SQL crosses these interfaces, so an implementation on
 * another database (PostgreSQL, through an asynchronous client) can sit behind them. The SQLite
 * implementation (db/sqlite/) is synchronous inside: its promises are already settled when they
 * are returned, so a caller that awaits one write after another sees the same order as before.
 *
 * Table and column names given to TableStore come from tables/schema.ts (never from admin
 * input); implementations check them against it.
 */

export interface Stores {
  readonly tables: TableStore;
  readonly operations: OperationStore;
  readonly hosts: HostStore;
  readonly pki: PkiStore;
  readonly audit: AuditStore;
  readonly installTokens: InstallTokenStore;
  /**
   * Runs `fn` in one transaction: what it writes through `tx` commits when its promise resolves
   * and is rolled back when it rejects (the rejection is passed on). Inside, use `tx` only: the
   * outer stores' calls wait until the transaction ends (SQLite serialises them), so a call
   * through them from inside `fn` would never return. Keep `fn` to database work: no RPC, no
   * timers. `tx.transaction(g)` runs `g` inside the same transaction.
   */
  transaction<T>(fn: (tx: Stores) => Promise<T>): Promise<T>;
  /** Whether these stores are bound to an open transaction (rows read may still roll back). */
  readonly inTransaction: boolean;
  close(): Promise<void>;
}

/** A write refused by a unique key (two rows would hold one value that must be unique). */
export class UniqueViolation extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UniqueViolation';
  }
}

// ---------------------------------------------------------------------------------------------
// The xCAT tables

/** A stored value as text; null is unset. */
export type Cell = string | null;

/** The values one node gets in one write: `table.column` -> value (null clears it). */
export interface NodeWrite {
  node: string;
  values: ReadonlyMap<string, Cell>;
}

export interface TableStore {
  /**
   * Changes whenever the node tables may have changed: this process's writes and commits made by
   * any other connection (a `drover-server` command on the same database). Caches key on it.
   */
  changeStamp(): Promise<string>;
  /** Every node name (in no particular order). */
  nodeNames(): Promise<string[]>;
  /** nodelist.groups of every node that has groups. */
  nodeGroups(): Promise<{ node: string; groups: string }[]>;
  nodeExists(node: string): Promise<boolean>;
  /** node -> value of `table.column`, for every row where it is set. */
  columnValues(table: string, column: string): Promise<Map<string, string>>;
  /** `table.column` of one node (undefined when unset or no row). */
  nodeValue(table: string, column: string, node: string): Promise<string | undefined>;
  /** Rows of a node table with `columns` (and `node`), for `nodes` (every row when undefined). */
  nodeRows(table: string, columns: readonly string[], nodes?: readonly string[]): Promise<Record<string, Cell>[]>;
  /** Nodes whose `table.column` equals `value`. */
  nodesWithValue(table: string, column: string, value: string): Promise<string[]>;
  /**
   * Writes node attributes, every node the same columns. With `create`, each node's nodelist row
   * is inserted first. A row left with no value but its key is removed (nodelist rows stay).
   * Throws UniqueViolation when a unique value would be held twice.
   */
  writeNodes(rows: readonly NodeWrite[], opts: { create: boolean }): Promise<void>;
  /** Removes nodes (and, by cascade, their rows in every node table). Returns how many were removed. */
  removeNodes(nodes: readonly string[]): Promise<number>;
  /**
   * Sets `table.column` of `node` unless it is already set; returns the value now stored. A row
   * created for it also gets `onInsert` (column -> value). Throws UniqueViolation.
   */
  claimNodeValue(table: string, column: string, node: string, value: string, onInsert?: Readonly<Record<string, string>>): Promise<string>;
  /** vm.host of a guest, written after a migration moved it. */
  setVmHost(node: string, host: string): Promise<void>;
  /** The record of what a guest was last defined from (hash and per-attribute hashes, JSON); null clears it. */
  setDefined(node: string, record: { hash: string; attrs: string } | null): Promise<void>;
  /** Replaces the per-attribute hashes of a guest's record, keeping its definition hash (a move). */
  setDefinedAttrs(node: string, attrs: string): Promise<void>;
  /** Per-attribute hashes (JSON) recorded for the nodes that have one. */
  definedAttrs(nodes: readonly string[]): Promise<Map<string, string>>;
  /** Every row of a table, `columns` in order. */
  rows(table: string, columns: readonly string[]): Promise<Cell[][]>;
  /** The row of a table whose `keyColumn` is `key`, `columns` in order. */
  row(table: string, keyColumn: string, key: string, columns: readonly string[]): Promise<Cell[] | undefined>;
  /** Inserts or updates the row keyed `keyColumn` = `key` with `values` (column -> value). */
  upsertRow(table: string, keyColumn: string, key: string, values: ReadonlyMap<string, Cell>): Promise<void>;
  /** Deletes the row keyed `keyColumn` = `key`. */
  deleteRow(table: string, keyColumn: string, key: string): Promise<void>;
}

// ---------------------------------------------------------------------------------------------
// The operations journal

/** JSON values (plan, checks, options, step detail) are passed as values; the store encodes them. */
export interface OperationRecord {
  id: string;
  kind: string;
  state: string;
  requestedBy: string;
  createdMs: number;
  updatedMs: number;
  /** 0 while running */
  finishedMs: number;
  /** the host (maintenance, evacuate, a migration's destination) or '' */
  host: string;
  summary: string;
  plan: unknown;
  checks: unknown;
  unplaced: unknown;
  options: unknown;
}

export interface StepRecord {
  opId: string;
  stepId: string;
  seq: number;
  guest: string;
  source: string;
  dest: string;
  state: string;
  attempt: number;
  error: string;
  jobId: string;
  /** 0 when not yet */
  startedMs: number;
  finishedMs: number;
  detail: unknown;
}

export interface OperationStore {
  /** Journals a new operation and its steps together. */
  create(op: OperationRecord, steps: readonly StepRecord[]): Promise<void>;
  addStep(step: StepRecord): Promise<void>;
  /** Writes a step's state, error, job id, times and detail. */
  saveStep(step: StepRecord): Promise<void>;
  finish(id: string, state: string, finishedMs: number, summary: string): Promise<void>;
  get(id: string): Promise<OperationRecord | undefined>;
  /** Newest first: every operation, or (with `since`) those running or planned or created after it. */
  list(opts: { since?: number; limit: number }): Promise<OperationRecord[]>;
  /** Operations in one state (recovery takes back the running ones). */
  inState(state: string): Promise<OperationRecord[]>;
  steps(opId: string): Promise<StepRecord[]>;
  /** The newest operation of one of `kinds` on `host` that ended in one of `states`. */
  latestOn(host: string, kinds: readonly string[], states: readonly string[]): Promise<OperationRecord | undefined>;
}

// ---------------------------------------------------------------------------------------------
// Host states

export interface HostRecord {
  host: string;
  address: string;
  state: string;
  lastSeenMs: number;
  bootId: string;
  libvirtReachable: boolean;
  libvirtError: string;
  /** HostFacts, protobuf-encoded */
  facts: Uint8Array | null;
  maintenance: boolean;
  simulated: boolean;
}

export interface HostStore {
  all(): Promise<HostRecord[]>;
  /** Writes the latest heartbeat of each host (maintenance is kept as stored). */
  saveHeartbeats(rows: readonly HostRecord[]): Promise<void>;
  setStates(changes: readonly { host: string; state: string }[]): Promise<void>;
  /** Records an enrolment (the row is created down, or its enrolment time updated). */
  enrolled(host: string, atMs: number): Promise<void>;
  remove(host: string): Promise<void>;
  setMaintenance(host: string, on: boolean): Promise<void>;
}

// ---------------------------------------------------------------------------------------------
// PKI records

export interface EnrollTokenRecord {
  secretSha256: string;
  host: string;
  expiresMs: number;
  /** null while unused */
  usedMs: number | null;
}

export interface PkiStore {
  recordCert(c: { serial: string; kind: string; name: string; issuedMs: number; notAfterMs: number }): Promise<void>;
  /** Serials of the unrevoked certificates of `name` with one of `kinds`. */
  validSerials(name: string, kinds: readonly string[]): Promise<string[]>;
  /** Revokes every unrevoked certificate of `name` with one of `kinds`; returns how many. */
  revokeCerts(name: string, kinds: readonly string[], atMs: number): Promise<number>;
  revokeSerial(serial: string, atMs: number): Promise<void>;
  isRevoked(serial: string): Promise<boolean>;
  /** Records (or replaces, unrevoked) a program's NATS key. */
  setNatsUser(name: string, kind: string, nkey: string): Promise<void>;
  revokeNatsUser(name: string, kind: string, atMs: number): Promise<void>;
  /** Unrevoked NATS users of one kind, by name. */
  natsUsers(kind: string): Promise<{ name: string; nkey: string }[]>;
  addEnrollToken(t: { id: string; secretSha256: string; host: string; createdMs: number; expiresMs: number }): Promise<void>;
  enrollToken(id: string): Promise<EnrollTokenRecord | undefined>;
  markEnrollTokenUsed(id: string, atMs: number): Promise<void>;
}

// ---------------------------------------------------------------------------------------------
// Audit log and install tokens

export interface AuditRecord {
  timeMs: number;
  who: string;
  role: string;
  action: string;
  target: string;
  args: string;
  outcome: 'ok' | 'failed';
  error: string;
}

export interface AuditStore {
  record(r: AuditRecord): Promise<void>;
}

export interface InstallTokenRecord {
  tokenSha256: string;
  expiresMs: number;
  usedMs: number | null;
}

export interface InstallTokenStore {
  /** The node's token, replacing any earlier one (unused). */
  put(node: string, t: { tokenSha256: string; createdMs: number; expiresMs: number }): Promise<void>;
  get(node: string): Promise<InstallTokenRecord | undefined>;
  /** Marks the token used if it is the node's, unused and unexpired at `atMs`; returns whether it was. */
  markUsed(node: string, tokenSha256: string, atMs: number): Promise<boolean>;
  remove(node: string): Promise<void>;
}
