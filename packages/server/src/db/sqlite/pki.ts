/** The PKI's records on SQLite: issued certificates, NATS users, enrolment tokens. */
import type { EnrollTokenRecord, PkiStore } from '../stores.js';
import type { Sql } from './sql.js';

const list = (n: number): string => Array.from({ length: n }, () => '?').join(',');

export class SqlitePkiStore implements PkiStore {
  constructor(private readonly sql: Sql) {}

  recordCert(c: { serial: string; kind: string; name: string; issuedMs: number; notAfterMs: number }): Promise<void> {
    return this.sql.run(() => {
      this.sql
        .stmt('INSERT INTO certs(serial, kind, name, issued_ms, not_after_ms) VALUES (?, ?, ?, ?, ?)')
        .run(c.serial, c.kind, c.name, c.issuedMs, c.notAfterMs);
    });
  }

  validSerials(name: string, kinds: readonly string[]): Promise<string[]> {
    return this.sql.run(
      () =>
        this.sql
          .stmt(`SELECT serial FROM certs WHERE name = ? AND revoked_ms IS NULL AND kind IN (${list(kinds.length)})`)
          .pluck()
          .all(name, ...kinds) as string[],
    );
  }

  revokeCerts(name: string, kinds: readonly string[], atMs: number): Promise<number> {
    return this.sql.run(
      () =>
        this.sql
          .stmt(`UPDATE certs SET revoked_ms = ? WHERE name = ? AND kind IN (${list(kinds.length)}) AND revoked_ms IS NULL`)
          .run(atMs, name, ...kinds).changes,
    );
  }

  revokeSerial(serial: string, atMs: number): Promise<void> {
    return this.sql.run(() => {
      this.sql.stmt('UPDATE certs SET revoked_ms = ? WHERE serial = ? AND revoked_ms IS NULL').run(atMs, serial);
    });
  }

  isRevoked(serial: string): Promise<boolean> {
    return this.sql.run(() => this.sql.stmt('SELECT 1 FROM certs WHERE serial = ? AND revoked_ms IS NOT NULL').get(serial) !== undefined);
  }

  setNatsUser(name: string, kind: string, nkey: string): Promise<void> {
    return this.sql.run(() => {
      this.sql
        .stmt(
          'INSERT INTO nats_users(name, kind, nkey) VALUES (?, ?, ?) ON CONFLICT(name) DO UPDATE SET nkey = excluded.nkey, revoked_ms = NULL, kind = excluded.kind',
        )
        .run(name, kind, nkey);
    });
  }

  revokeNatsUser(name: string, kind: string, atMs: number): Promise<void> {
    return this.sql.run(() => {
      this.sql.stmt('UPDATE nats_users SET revoked_ms = ? WHERE name = ? AND kind = ?').run(atMs, name, kind);
    });
  }

  natsUsers(kind: string): Promise<{ name: string; nkey: string }[]> {
    return this.sql.run(
      () =>
        this.sql.stmt('SELECT name, nkey FROM nats_users WHERE kind = ? AND revoked_ms IS NULL ORDER BY name').all(kind) as {
          name: string;
          nkey: string;
        }[],
    );
  }

  addEnrollToken(t: { id: string; secretSha256: string; host: string; createdMs: number; expiresMs: number }): Promise<void> {
    return this.sql.run(() => {
      this.sql
        .stmt('INSERT INTO enroll_tokens(id, secret_sha256, host, created_ms, expires_ms) VALUES (?, ?, ?, ?, ?)')
        .run(t.id, t.secretSha256, t.host, t.createdMs, t.expiresMs);
    });
  }

  enrollToken(id: string): Promise<EnrollTokenRecord | undefined> {
    return this.sql.run(() => {
      const r = this.sql.stmt('SELECT secret_sha256, host, expires_ms, used_ms FROM enroll_tokens WHERE id = ?').get(id) as
        { secret_sha256: string; host: string; expires_ms: number; used_ms: number | null } | undefined;
      return r ? { secretSha256: r.secret_sha256, host: r.host, expiresMs: r.expires_ms, usedMs: r.used_ms } : undefined;
    });
  }

  markEnrollTokenUsed(id: string, atMs: number): Promise<void> {
    return this.sql.run(() => {
      this.sql.stmt('UPDATE enroll_tokens SET used_ms = ? WHERE id = ?').run(atMs, id);
    });
  }
}
