/** The audit log and install tokens on SQLite. */
import type { AuditRecord, AuditStore, InstallTokenRecord, InstallTokenStore } from '../stores.js';
import type { Sql } from './sql.js';

export class SqliteAuditStore implements AuditStore {
  constructor(private readonly sql: Sql) {}

  record(r: AuditRecord): Promise<void> {
    return this.sql.run(() => {
      this.sql
        .stmt('INSERT INTO audit(time_ms, who, role, action, target, args, outcome, error) VALUES (?, ?, ?, ?, ?, ?, ?, ?)')
        .run(r.timeMs, r.who, r.role, r.action, r.target, r.args, r.outcome, r.error);
    });
  }
}

export class SqliteInstallTokenStore implements InstallTokenStore {
  constructor(private readonly sql: Sql) {}

  put(node: string, t: { tokenSha256: string; createdMs: number; expiresMs: number }): Promise<void> {
    return this.sql.run(() => {
      this.sql
        .stmt(
          `INSERT INTO install_tokens(node, token_sha256, created_ms, expires_ms, used_ms) VALUES (?, ?, ?, ?, NULL)
      ON CONFLICT(node) DO UPDATE SET token_sha256 = excluded.token_sha256, created_ms = excluded.created_ms, expires_ms = excluded.expires_ms, used_ms = NULL`,
        )
        .run(node, t.tokenSha256, t.createdMs, t.expiresMs);
    });
  }

  get(node: string): Promise<InstallTokenRecord | undefined> {
    return this.sql.run(() => {
      const r = this.sql.stmt('SELECT token_sha256, expires_ms, used_ms FROM install_tokens WHERE node = ?').get(node) as
        { token_sha256: string; expires_ms: number; used_ms: number | null } | undefined;
      return r ? { tokenSha256: r.token_sha256, expiresMs: r.expires_ms, usedMs: r.used_ms } : undefined;
    });
  }

  markUsed(node: string, tokenSha256: string, atMs: number): Promise<boolean> {
    return this.sql.run(
      () =>
        this.sql
          .stmt('UPDATE install_tokens SET used_ms = ? WHERE node = ? AND token_sha256 = ? AND used_ms IS NULL AND expires_ms > ?')
          .run(atMs, node, tokenSha256, atMs).changes === 1,
    );
  }

  remove(node: string): Promise<void> {
    return this.sql.run(() => {
      this.sql.stmt('DELETE FROM install_tokens WHERE node = ?').run(node);
    });
  }
}
