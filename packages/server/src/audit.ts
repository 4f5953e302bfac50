import type { AuditEntry } from '@drover/contract';
import type { Db } from './db/database.js';

/** Writes one audit row per finished mutating call: who, what, on which target, and the outcome. */
export function auditWriter(db: Db): (e: AuditEntry) => void {
  const stmt = db.prepare('INSERT INTO audit(time_ms, who, role, action, target, args, outcome, error) VALUES (?, ?, ?, ?, ?, ?, ?, ?)');
  return (e) => {
    const req = (e.request ?? {}) as Record<string, unknown>;
    const target = String(req.noderange ?? req.host ?? req.guest ?? req.id ?? req.table ?? '');
    const args = JSON.stringify(req, (k, v: unknown) => (k === 'data' || k === 'password' || k === 'csrPem' ? undefined : v)).slice(
      0,
      2000,
    );
    stmt.run(
      Date.now(),
      e.caller?.name ?? `(unauthenticated ${e.peer})`,
      e.caller?.kind ?? '',
      `${e.method}`,
      target,
      args,
      e.ok ? 'ok' : 'failed',
      e.error ?? '',
    );
  };
}
