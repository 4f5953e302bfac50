import type { AuditEntry } from '@drover/contract';
import type { AuditStore } from './db/stores.js';

/** Writes one audit row per finished mutating call: who, what, on which target, and the outcome. */
export function auditWriter(store: AuditStore): (e: AuditEntry) => Promise<void> {
  return (e) => {
    const req = (e.request ?? {}) as Record<string, unknown>;
    const target = String(req.noderange ?? req.host ?? req.guest ?? req.id ?? req.table ?? '');
    const args = JSON.stringify(req, (k, v: unknown) => (k === 'data' || k === 'password' || k === 'csrPem' ? undefined : v)).slice(
      0,
      2000,
    );
    return store.record({
      timeMs: Date.now(),
      who: e.caller?.name ?? `(unauthenticated ${e.peer})`,
      role: e.caller?.kind ?? '',
      action: `${e.method}`,
      target,
      args,
      outcome: e.ok ? 'ok' : 'failed',
      error: e.error ?? '',
    });
  };
}
