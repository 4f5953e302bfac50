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
  // 2: the xCAT tables (node definitions keyed by nodelist.node, which the other node tables follow
  // on delete), the site/networks/hypervisor tables, drover's storage declarations, and the
  // journal of long operations. Unset attributes are NULL; every text value is stored as written
  // after validation (MACs lowercased).
  `
  CREATE TABLE nodelist (
    node TEXT PRIMARY KEY,
    groups TEXT,
    status TEXT,
    statustime TEXT,
    comments TEXT,
    disable TEXT
  );
  CREATE TABLE vm (
    node TEXT PRIMARY KEY REFERENCES nodelist(node) ON DELETE CASCADE,
    host TEXT,
    migrationdest TEXT,
    storage TEXT,
    memory TEXT,
    cpus TEXT,
    nics TEXT,
    bootorder TEXT,
    vncport TEXT,
    textconsole TEXT,
    powerstate TEXT,
    antiaffinity TEXT,
    uuid TEXT,
    defined_hash TEXT,
    defined_attrs TEXT,
    managed TEXT,
    comments TEXT,
    disable TEXT
  );
  CREATE INDEX vm_host ON vm(host);
  CREATE INDEX vm_antiaffinity ON vm(antiaffinity) WHERE antiaffinity IS NOT NULL;
  CREATE UNIQUE INDEX vm_uuid ON vm(uuid) WHERE uuid IS NOT NULL;
  CREATE TABLE nodehm (
    node TEXT PRIMARY KEY REFERENCES nodelist(node) ON DELETE CASCADE,
    mgt TEXT,
    power TEXT,
    cons TEXT,
    serialport TEXT,
    serialspeed TEXT,
    serialflow TEXT,
    comments TEXT,
    disable TEXT
  );
  CREATE TABLE nodetype (
    node TEXT PRIMARY KEY REFERENCES nodelist(node) ON DELETE CASCADE,
    os TEXT,
    arch TEXT,
    profile TEXT,
    provmethod TEXT,
    comments TEXT,
    disable TEXT
  );
  CREATE TABLE noderes (
    node TEXT PRIMARY KEY REFERENCES nodelist(node) ON DELETE CASCADE,
    netboot TEXT,
    nfsserver TEXT,
    primarynic TEXT,
    installnic TEXT,
    xcatmaster TEXT,
    tftpserver TEXT,
    comments TEXT,
    disable TEXT
  );
  CREATE TABLE mac (
    node TEXT PRIMARY KEY REFERENCES nodelist(node) ON DELETE CASCADE,
    interface TEXT,
    mac TEXT,
    comments TEXT,
    disable TEXT
  );
  CREATE UNIQUE INDEX mac_mac ON mac(mac) WHERE mac IS NOT NULL;
  CREATE TABLE hosts (
    node TEXT PRIMARY KEY REFERENCES nodelist(node) ON DELETE CASCADE,
    ip TEXT,
    hostnames TEXT,
    comments TEXT,
    disable TEXT
  );
  CREATE UNIQUE INDEX hosts_ip ON hosts(ip) WHERE ip IS NOT NULL;
  CREATE TABLE hypervisor (
    node TEXT PRIMARY KEY,
    type TEXT,
    interface TEXT,
    memory TEXT,
    cpus TEXT,
    comments TEXT,
    disable TEXT
  );
  CREATE TABLE site (
    key TEXT PRIMARY KEY,
    value TEXT,
    comments TEXT,
    disable TEXT
  );
  CREATE TABLE networks (
    netname TEXT PRIMARY KEY,
    net TEXT,
    mask TEXT,
    mgtifname TEXT,
    gateway TEXT,
    dhcpserver TEXT,
    tftpserver TEXT,
    nameservers TEXT,
    dynamicrange TEXT,
    domain TEXT,
    comments TEXT,
    disable TEXT
  );
  CREATE TABLE storage (
    url TEXT PRIMARY KEY,
    shared TEXT,
    hosts TEXT,
    comments TEXT,
    disable TEXT
  );
  CREATE TABLE operations (
    id TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    state TEXT NOT NULL,
    requested_by TEXT NOT NULL DEFAULT '',
    created_ms INTEGER NOT NULL,
    updated_ms INTEGER NOT NULL DEFAULT 0,
    finished_ms INTEGER,
    target TEXT NOT NULL DEFAULT '',
    summary TEXT NOT NULL DEFAULT '',
    plan TEXT,
    checks TEXT,
    unplaced TEXT
  );
  CREATE INDEX operations_state ON operations(state, created_ms);
  CREATE TABLE operation_steps (
    op_id TEXT NOT NULL REFERENCES operations(id) ON DELETE CASCADE,
    step_id TEXT NOT NULL,
    seq INTEGER NOT NULL DEFAULT 0,
    guest TEXT NOT NULL,
    source TEXT NOT NULL DEFAULT '',
    dest TEXT NOT NULL DEFAULT '',
    state TEXT NOT NULL,
    attempt INTEGER NOT NULL DEFAULT 1,
    error TEXT NOT NULL DEFAULT '',
    job_id TEXT NOT NULL DEFAULT '',
    started_ms INTEGER,
    finished_ms INTEGER,
    progress TEXT,
    PRIMARY KEY (op_id, step_id)
  );
  CREATE INDEX operation_steps_guest ON operation_steps(guest, state);
  `,
  // 3: one-time install tokens (nodeset install): the installer's callback proves with one that it
  // is the install drover started. Only a hash is kept; a new nodeset replaces the node's token.
  `
  CREATE TABLE install_tokens (
    node TEXT PRIMARY KEY REFERENCES nodelist(node) ON DELETE CASCADE,
    token_sha256 TEXT NOT NULL,
    created_ms INTEGER NOT NULL,
    expires_ms INTEGER NOT NULL,
    used_ms INTEGER
  );
  `,
  // 4: what the migration engine journals beside each step (destination URI, storage mode, the
  // move as planned) and each operation's options and parent (a maintenance's evacuation).
  `
  ALTER TABLE operation_steps ADD COLUMN detail TEXT;
  ALTER TABLE operations ADD COLUMN options TEXT;
  ALTER TABLE operations ADD COLUMN parent TEXT;
  ALTER TABLE operations ADD COLUMN host TEXT;
  CREATE INDEX operations_host ON operations(host, kind, created_ms);
  `,
];
