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
import type { Stores } from '../db/stores.js';

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
    readonly stores: Stores,
    readonly paths: PkiPaths,
    readonly ca: Ca,
    readonly serverCertPem: string,
    readonly serverKeyPem: string,
  ) {}

  /** `drover-server ca init`: creates the CA, the server's certificate and NKEY. Refuses to overwrite. */
  static async init(
    stores: Stores,
    stateDir: string,
    opts: { dnsNames?: string[]; ips?: string[]; force?: boolean } = {},
  ): Promise<ClusterPki> {
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
    const store = new ClusterPki(stores, p, ca, '', '');
    const srv = await store.issue('server', SERVER_CERT_NAME, {
      dnsNames: [SERVER_CERT_NAME, 'localhost', ...(opts.dnsNames ?? [])],
      ips: ['127.0.0.1', ...(opts.ips ?? [])],
    });
    writeFileAtomic(p.key, srv.keyPem, { mode: 0o600 });
    writeFileAtomic(p.cert, srv.certPem);
    const nk = newNkey();
    writeFileAtomic(p.natsSeed, nk.seed + '\n', { mode: 0o600 });
    await stores.pki.setNatsUser(SERVER_CERT_NAME, 'server', nk.publicKey);
    return ClusterPki.load(stores, stateDir);
  }

  static async load(stores: Stores, stateDir: string): Promise<ClusterPki> {
    const p = pkiPaths(stateDir);
    for (const f of [p.ca, p.caKey, p.cert, p.key, p.natsSeed]) {
      if (!existsSync(f))
        throw new UserFacingError(
          `missing ${f}: the cluster CA is not initialised in ${stateDir}; run: drover-server ca init --state-dir ${stateDir}`,
        );
    }
    const ca = await pki.loadCa(readFileSync(p.ca, 'utf8'), readFileSync(p.caKey, 'utf8'));
    return new ClusterPki(stores, p, ca, readFileSync(p.cert, 'utf8'), readFileSync(p.key, 'utf8'));
  }

  /** This PKI writing its records inside a transaction of the stores (`tx` from Stores.transaction). */
  in(tx: Stores): ClusterPki {
    return new ClusterPki(tx, this.paths, this.ca, this.serverCertPem, this.serverKeyPem);
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
    await this.stores.pki.recordCert({
      serial: pki.normalSerial(cert.serial),
      kind,
      name,
      issuedMs: Date.now(),
      notAfterMs: cert.notAfter.getTime(),
    });
    return cert;
  }

  /** Revokes every certificate of `name` (of an agent or a user): refused at once on every call. */
  async revoke(kind: 'agent' | 'user', name: string): Promise<number> {
    const n = await this.stores.pki.revokeCerts(name, certKinds(kind), Date.now());
    if (kind === 'agent') await this.stores.pki.revokeNatsUser(name, 'agent', Date.now());
    return n;
  }

  /** Serials of the valid (unrevoked) certificates of an agent or a user. */
  validSerials(kind: 'agent' | 'user', name: string): Promise<string[]> {
    return this.stores.pki.validSerials(name, certKinds(kind));
  }

  /** Revokes one certificate by serial (used when a renewed certificate replaces an old one). */
  revokeSerial(serial: string): Promise<void> {
    return this.stores.pki.revokeSerial(pki.normalSerial(serial), Date.now());
  }

  /** Checked on every call against the table, so a revocation made by another process bites at once. */
  isRevoked = (serial: string): Promise<boolean> => this.stores.pki.isRevoked(pki.normalSerial(serial));

  /** Records (or replaces) an agent's NATS key. */
  setAgentNkey(host: string, publicKey: string): Promise<void> {
    return this.stores.pki.setNatsUser(host, 'agent', publicKey);
  }
  async natsUsers(): Promise<{ host: string; nkey: string }[]> {
    return (await this.stores.pki.natsUsers('agent')).map((r) => ({ host: r.name, nkey: r.nkey }));
  }
  serverNkeyPublic(): string {
    return nkeyPublic(this.natsSeed);
  }

  /** Creates a single-use enrolment token for `host`, valid for `ttlMs`. */
  async createToken(host: string, ttlMs = 15 * 60_000): Promise<TokenInfo> {
    const id = randomBytes(6).toString('hex');
    const secret = randomBytes(24).toString('base64url');
    const expiresMs = Date.now() + ttlMs;
    await this.stores.pki.addEnrollToken({ id, secretSha256: sha256(secret), host, createdMs: Date.now(), expiresMs });
    // The token carries the CA's fingerprint so the agent can check whom it talks to before it trusts it.
    return { token: `drv1.${id}.${secret}.${pki.fingerprintOf(this.caPem)}`, id, host, expiresMs };
  }

  /** Consumes a token: valid, unused, unexpired and for this host; marks it used in the same transaction. */
  async consumeToken(token: string, host: string): Promise<void> {
    const parts = token.split('.');
    const bad = (why: string): DroverError =>
      new DroverError(
        'ENROLL_REFUSED',
        `enrolment of '${host}' refused: ${why}; ask an admin for a new token (drover-server enroll ${host} --token)`,
        { status: grpc.status.PERMISSION_DENIED, host },
      );
    if (parts.length !== 4 || parts[0] !== 'drv1') throw bad('the token is malformed');
    const [, id, secret] = parts as [string, string, string, string];
    await this.stores.transaction(async (tx) => {
      const row = await tx.pki.enrollToken(id);
      if (!row) throw bad('unknown token');
      const a = Buffer.from(row.secretSha256, 'hex');
      const b = Buffer.from(sha256(secret), 'hex');
      if (a.length !== b.length || !timingSafeEqual(a, b)) throw bad('unknown token');
      if (row.usedMs !== null) throw bad('the token was already used');
      if (row.expiresMs < Date.now()) throw bad('the token has expired');
      if (row.host !== host) throw bad(`the token was issued for '${row.host}'`);
      await tx.pki.markEnrollTokenUsed(id, Date.now());
    });
  }
}

/** The certificate kinds of an agent or of a user (any role). */
function certKinds(kind: 'agent' | 'user'): string[] {
  return kind === 'agent' ? ['agent'] : ['admin', 'operator', 'viewer'];
}

function sha256(s: string): string {
  return createHash('sha256').update(s).digest('hex');
}
