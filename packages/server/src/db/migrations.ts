/**
 * Schema migrations, applied in order; never edit a released one, append a new one.
 * Tables follow xCAT's names and columns where a column means the same thing; drover's own
 * tables (hoststate, certs, enroll_tokens, nats_users, audit, operations) say so in their names.
 */
export const MIGRATIONS: readonly string[] = [
  // 1: foundation — host states from heartbeats, the PKI's issued certificates and tokens, NATS users, audit.
  `
  CREATE TABLE hoststate (
    host TEXT PRIMARY KEY,
    address TEXT NOT NULL DEFAULT '',
    state TEXT NOT NULL DEFAULT 'down',
    last_seen_ms INTEGER NOT NULL DEFAULT 0,
    boot_id TEXT NOT NULL DEFAULT '',
    libvirt_reachable INTEGER NOT NULL DEFAULT 0,
    libvirt_error TEXT NOT NULL DEFAULT '',
    facts BLOB,
    maintenance INTEGER NOT NULL DEFAULT 0,
    simulated INTEGER NOT NULL DEFAULT 0,
    enrolled_ms INTEGER NOT NULL DEFAULT 0
  );
  CREATE TABLE certs (
    serial TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    name TEXT NOT NULL,
    issued_ms INTEGER NOT NULL,
    not_after_ms INTEGER NOT NULL,
    revoked_ms INTEGER
  );
  CREATE INDEX certs_name ON certs(kind, name);
  CREATE TABLE enroll_tokens (
    id TEXT PRIMARY KEY,
    secret_sha256 TEXT NOT NULL,
    host TEXT NOT NULL,
    created_ms INTEGER NOT NULL,
    expires_ms INTEGER NOT NULL,
    used_ms INTEGER
  );
  CREATE TABLE nats_users (
    name TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    nkey TEXT NOT NULL,
    revoked_ms INTEGER
  );
  CREATE TABLE audit (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    time_ms INTEGER NOT NULL,
    who TEXT NOT NULL,
    role TEXT NOT NULL,
    action TEXT NOT NULL,
    target TEXT NOT NULL DEFAULT '',
    args TEXT NOT NULL DEFAULT '',
    outcome TEXT NOT NULL,
    error TEXT NOT NULL DEFAULT ''
  );
  `,
];
