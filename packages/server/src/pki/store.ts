/**
 * The cluster's PKI on the headnode: the CA and the server's certificate under
 * `<stateDir>/pki`, every issued certificate recorded in the `certs` table (for renewal and
 * revocation), single-use enrolment tokens, and each program's NKEY for NATS.
 */
import { existsSync, readFileSync, mkdirSync, chmodSync } from 'node:fs';
import { join } from 'node:path';
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import {
  pki,
  writeFileAtomic,
  UserFacingError,
  newNkey,
  nkeyPublic,
  DroverError,
  type Ca,
  type CertKind,
  type IssuedCert,
} from '@drover/contract';
import * as grpc from '@grpc/grpc-js';
import type { Db } from '../db/database.js';

export const SERVER_CERT_NAME = 'drover-server';

export interface PkiPaths {
  dir: string;
  ca: string;
  caKey: string;
  cert: string;
  key: string;
  natsSeed: string;
}
export function pkiPaths(stateDir: string): PkiPaths {
  const dir = join(stateDir, 'pki');
  return {
    dir,
    ca: join(dir, 'ca.pem'),
    caKey: join(dir, 'ca-key.pem'),
    cert: join(dir, 'server.pem'),
    key: join(dir, 'server-key.pem'),
    natsSeed: join(dir, 'server-nats.seed'),
  };
}

export interface TokenInfo {
  token: string;
  id: string;
  host: string;
  expiresMs: number;
}

export class ClusterPki {
  private constructor(
    readonly db: Db,
    readonly paths: PkiPaths,
    readonly ca: Ca,
    readonly serverCertPem: string,
    readonly serverKeyPem: string,
  ) {
    this.reloadRevoked();
  }

  /** `drover-server ca init`: creates the CA, the server's certificate and NKEY. Refuses to overwrite. */
  static async init(db: Db, stateDir: string, opts: { dnsNames?: string[]; ips?: string[]; force?: boolean } = {}): Promise<ClusterPki> {
    const p = pkiPaths(stateDir);
    if (existsSync(p.ca) && !opts.force) {
      throw new UserFacingError(
        `a cluster CA already exists in ${p.dir}; keep it (agents and admins trust it) or pass --force to replace it`,
      );
    }
    mkdirSync(p.dir, { recursive: true, mode: 0o700 });
    chmodSync(p.dir, 0o700);
    const ca = await pki.createCa();
    writeFileAtomic(p.caKey, ca.keyPem, { mode: 0o600 });
    writeFileAtomic(p.ca, ca.certPem);
    const store = new ClusterPki(db, p, ca, '', '');
    const srv = await store.issue('server', SERVER_CERT_NAME, {
      dnsNames: [SERVER_CERT_NAME, 'localhost', ...(opts.dnsNames ?? [])],
      ips: ['127.0.0.1', ...(opts.ips ?? [])],
    });
    writeFileAtomic(p.key, srv.keyPem, { mode: 0o600 });
    writeFileAtomic(p.cert, srv.certPem);
    const nk = newNkey();
    writeFileAtomic(p.natsSeed, nk.seed + '\n', { mode: 0o600 });
    db.prepare('INSERT OR REPLACE INTO nats_users(name, kind, nkey) VALUES (?, ?, ?)').run(SERVER_CERT_NAME, 'server', nk.publicKey);
    return ClusterPki.load(db, stateDir);
  }

  static async load(db: Db, stateDir: string): Promise<ClusterPki> {
    const p = pkiPaths(stateDir);
    for (const f of [p.ca, p.caKey, p.cert, p.key, p.natsSeed]) {
      if (!existsSync(f))
        throw new UserFacingError(
          `missing ${f}: the cluster CA is not initialised in ${stateDir}; run: drover-server ca init --state-dir ${stateDir}`,
        );
    }
    const ca = await pki.loadCa(readFileSync(p.ca, 'utf8'), readFileSync(p.caKey, 'utf8'));
    return new ClusterPki(db, p, ca, readFileSync(p.cert, 'utf8'), readFileSync(p.key, 'utf8'));
  }

  get caPem(): string {
    return this.ca.certPem;
  }
  get natsSeed(): string {
    return readFileSync(this.paths.natsSeed, 'utf8').trim();
  }

  /** Issues a certificate and records it. */
  async issue(
    kind: CertKind,
    name: string,
    opts: { dnsNames?: string[]; ips?: string[]; publicKey?: Awaited<ReturnType<typeof pki.readCsr>>; days?: number } = {},
  ): Promise<IssuedCert> {
    const cert = await pki.issueCert(this.ca, { name, kind, ...opts });
    this.db
      .prepare('INSERT INTO certs(serial, kind, name, issued_ms, not_after_ms) VALUES (?, ?, ?, ?, ?)')
      .run(pki.normalSerial(cert.serial), kind, name, Date.now(), cert.notAfter.getTime());
    return cert;
  }

  /** Revokes every certificate of `name` (of an agent or a user): refused at once on every call. */
  revoke(kind: 'agent' | 'user', name: string): number {
    const kinds = kind === 'agent' ? ['agent'] : ['admin', 'operator', 'viewer'];
    const r = this.db
      .prepare(`UPDATE certs SET revoked_ms = ? WHERE name = ? AND kind IN (${kinds.map(() => '?').join(',')}) AND revoked_ms IS NULL`)
      .run(Date.now(), name, ...kinds);
    if (kind === 'agent')
      this.db.prepare('UPDATE nats_users SET revoked_ms = ? WHERE name = ? AND kind = ?').run(Date.now(), name, 'agent');
    this.reloadRevoked();
    return r.changes;
  }

  /** Revokes one certificate by serial (used when a renewed certificate replaces an old one). */
  revokeSerial(serial: string): void {
    this.db.prepare('UPDATE certs SET revoked_ms = ? WHERE serial = ? AND revoked_ms IS NULL').run(Date.now(), pki.normalSerial(serial));
    this.reloadRevoked();
  }

  reloadRevoked(): void {
    this.revokedStmt ??= this.db.prepare('SELECT 1 FROM certs WHERE serial = ? AND revoked_ms IS NOT NULL');
  }
  private revokedStmt: ReturnType<Db['prepare']> | undefined;
  /** Checked on every call against the table, so a revocation made by another process bites at once. */
  isRevoked = (serial: string): boolean => this.revokedStmt!.get(pki.normalSerial(serial)) !== undefined;

  /** Records (or replaces) an agent's NATS key. */
  setAgentNkey(host: string, publicKey: string): void {
    this.db
      .prepare(
        'INSERT INTO nats_users(name, kind, nkey) VALUES (?, ?, ?) ON CONFLICT(name) DO UPDATE SET nkey = excluded.nkey, revoked_ms = NULL, kind = excluded.kind',
      )
      .run(host, 'agent', publicKey);
  }
  natsUsers(): { host: string; nkey: string }[] {
    return (
      this.db.prepare("SELECT name, nkey FROM nats_users WHERE kind = 'agent' AND revoked_ms IS NULL ORDER BY name").all() as {
        name: string;
        nkey: string;
      }[]
    ).map((r) => ({ host: r.name, nkey: r.nkey }));
  }
  serverNkeyPublic(): string {
    return nkeyPublic(this.natsSeed);
  }

  /** Creates a single-use enrolment token for `host`, valid for `ttlMs`. */
  createToken(host: string, ttlMs = 15 * 60_000): TokenInfo {
    const id = randomBytes(6).toString('hex');
    const secret = randomBytes(24).toString('base64url');
    const expiresMs = Date.now() + ttlMs;
    this.db
      .prepare('INSERT INTO enroll_tokens(id, secret_sha256, host, created_ms, expires_ms) VALUES (?, ?, ?, ?, ?)')
      .run(id, sha256(secret), host, Date.now(), expiresMs);
    // The token carries the CA's fingerprint so the agent can check whom it talks to before it trusts it.
    return { token: `drv1.${id}.${secret}.${pki.fingerprintOf(this.caPem)}`, id, host, expiresMs };
  }

  /** Consumes a token: valid, unused, unexpired and for this host; marks it used in the same transaction. */
  consumeToken(token: string, host: string): void {
    const parts = token.split('.');
    const bad = (why: string): DroverError =>
      new DroverError(
        'ENROLL_REFUSED',
        `enrolment of '${host}' refused: ${why}; ask an admin for a new token (drover-server enroll ${host} --token)`,
        { status: grpc.status.PERMISSION_DENIED, host },
      );
    if (parts.length !== 4 || parts[0] !== 'drv1') throw bad('the token is malformed');
    const [, id, secret] = parts as [string, string, string, string];
    this.db.transaction(() => {
      const row = this.db.prepare('SELECT secret_sha256, host, expires_ms, used_ms FROM enroll_tokens WHERE id = ?').get(id) as
        { secret_sha256: string; host: string; expires_ms: number; used_ms: number | null } | undefined;
      if (!row) throw bad('unknown token');
      const a = Buffer.from(row.secret_sha256, 'hex');
      const b = Buffer.from(sha256(secret), 'hex');
      if (a.length !== b.length || !timingSafeEqual(a, b)) throw bad('unknown token');
      if (row.used_ms !== null) throw bad('the token was already used');
      if (row.expires_ms < Date.now()) throw bad('the token has expired');
      if (row.host !== host) throw bad(`the token was issued for '${row.host}'`);
      this.db.prepare('UPDATE enroll_tokens SET used_ms = ? WHERE id = ?').run(Date.now(), id);
    })();
  }
}

function sha256(s: string): string {
  return createHash('sha256').update(s).digest('hex');
}
