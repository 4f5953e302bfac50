/** The operations journal on SQLite: `operations` and `operation_steps`, JSON columns as text. */
import type { OperationRecord, OperationStore, StepRecord } from '../stores.js';
import type { Sql } from './sql.js';

type Row = Record<string, unknown>;

/** JSON text back to a value; undefined when absent or unreadable (the caller falls back). */
function parse(v: unknown): unknown {
  if (v === null || v === undefined) return undefined;
  try {
    return JSON.parse(String(v)) as unknown;
  } catch {
    return undefined;
  }
}

function toOperation(r: Row): OperationRecord {
  return {
    id: String(r.id),
    kind: String(r.kind),
    state: String(r.state),
    requestedBy: String(r.requested_by),
    createdMs: Number(r.created_ms),
    updatedMs: Number(r.updated_ms ?? 0),
    finishedMs: Number(r.finished_ms ?? 0),
    host: String(r.host ?? ''),
    summary: String(r.summary ?? ''),
    plan: parse(r.plan),
    checks: parse(r.checks),
    unplaced: parse(r.unplaced),
    options: parse(r.options),
  };
}

function toStep(r: Row): StepRecord {
  return {
    opId: String(r.op_id),
    stepId: String(r.step_id),
    seq: Number(r.seq),
    guest: String(r.guest),
    source: String(r.source),
    dest: String(r.dest),
    state: String(r.state),
    attempt: Number(r.attempt),
    error: String(r.error ?? ''),
    jobId: String(r.job_id ?? ''),
    startedMs: Number(r.started_ms ?? 0),
    finishedMs: Number(r.finished_ms ?? 0),
    detail: parse(r.detail),
  };
}

const INSERT_STEP =
  'INSERT INTO operation_steps(op_id, step_id, seq, guest, source, dest, state, attempt, detail) VALUES (?,?,?,?,?,?,?,?,?)';

export class SqliteOperationStore implements OperationStore {
  constructor(private readonly sql: Sql) {}

  create(op: OperationRecord, steps: readonly StepRecord[]): Promise<void> {
    return this.sql.run(() =>
      this.sql.db.transaction(() => {
        this.sql
          .stmt(
            'INSERT INTO operations(id, kind, state, requested_by, created_ms, updated_ms, finished_ms, target, summary, plan, checks, unplaced, options, host) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)',
          )
          .run(
            op.id,
            op.kind,
            op.state,
            op.requestedBy,
            op.createdMs,
            op.updatedMs,
            op.finishedMs || null,
            op.host,
            op.summary,
            JSON.stringify(op.plan),
            JSON.stringify(op.checks),
            JSON.stringify(op.unplaced),
            JSON.stringify(op.options),
            op.host,
          );
        const ins = this.sql.stmt(INSERT_STEP);
        for (const s of steps) ins.run(op.id, s.stepId, s.seq, s.guest, s.source, s.dest, s.state, s.attempt, JSON.stringify(s.detail));
      })(),
    );
  }

  addStep(s: StepRecord): Promise<void> {
    return this.sql.run(() => {
      this.sql.stmt(INSERT_STEP).run(s.opId, s.stepId, s.seq, s.guest, s.source, s.dest, s.state, s.attempt, JSON.stringify(s.detail));
    });
  }

  saveStep(s: StepRecord): Promise<void> {
    return this.sql.run(() => {
      this.sql
        .stmt(
          'UPDATE operation_steps SET state = ?, error = ?, job_id = ?, started_ms = ?, finished_ms = ?, detail = ? WHERE op_id = ? AND step_id = ?',
        )
        .run(s.state, s.error, s.jobId, s.startedMs || null, s.finishedMs || null, JSON.stringify(s.detail), s.opId, s.stepId);
    });
  }

  finish(id: string, state: string, finishedMs: number, summary: string): Promise<void> {
    return this.sql.run(() => {
      this.sql
        .stmt('UPDATE operations SET state = ?, finished_ms = ?, updated_ms = ?, summary = ? WHERE id = ?')
        .run(state, finishedMs, finishedMs, summary, id);
    });
  }

  get(id: string): Promise<OperationRecord | undefined> {
    return this.sql.run(() => {
      const r = this.sql.stmt('SELECT * FROM operations WHERE id = ?').get(id) as Row | undefined;
      return r ? toOperation(r) : undefined;
    });
  }

  list(opts: { since?: number; limit: number }): Promise<OperationRecord[]> {
    return this.sql.run(() => {
      const rows =
        opts.since === undefined
          ? this.sql.stmt('SELECT * FROM operations ORDER BY created_ms DESC LIMIT ?').all(opts.limit)
          : this.sql
              .stmt("SELECT * FROM operations WHERE state IN ('running', 'planned') OR created_ms > ? ORDER BY created_ms DESC LIMIT ?")
              .all(opts.since, opts.limit);
      return (rows as Row[]).map(toOperation);
    });
  }

  inState(state: string): Promise<OperationRecord[]> {
    return this.sql.run(() => (this.sql.stmt('SELECT * FROM operations WHERE state = ?').all(state) as Row[]).map(toOperation));
  }

  steps(opId: string): Promise<StepRecord[]> {
    return this.sql.run(() => (this.sql.stmt('SELECT * FROM operation_steps WHERE op_id = ? ORDER BY seq').all(opId) as Row[]).map(toStep));
  }

  latestOn(host: string, kinds: readonly string[], states: readonly string[]): Promise<OperationRecord | undefined> {
    return this.sql.run(() => {
      const r = this.sql
        .stmt(
          `SELECT * FROM operations WHERE kind IN (${kinds.map(() => '?').join(',')}) AND host = ? AND state IN (${states.map(() => '?').join(',')}) ORDER BY created_ms DESC LIMIT 1`,
        )
        .get(...kinds, host, ...states) as Row | undefined;
      return r ? toOperation(r) : undefined;
    });
  }
}
