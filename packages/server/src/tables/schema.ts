/**
 * The tables drover exposes (tabdump, chtab) and the columns admins may write (nodeadd, chdef),
 * each with its value syntax. Column names come only from here, so SQL built from them never
 * contains admin input. The SQL schema itself is migration 2 (db/migrations.ts).
 */
import { NETBOOT_METHODS } from '../netboot/types.js';
import * as S from './syntax.js';

export interface ColumnDef {
  readonly name: string;
  /** Absent for columns drover writes itself (read-only to admins). */
  readonly syntax?: S.Syntax;
  /** A list attribute that `chdef -p/-m` may add to and remove from. */
  readonly list?: boolean;
  /** Not shown by lsdef (bookkeeping columns). */
  readonly hidden?: boolean;
}

export type TableKind =
  /** Keyed by nodelist.node; rows follow the node (nodeadd, chdef, rmdef). */
  | 'node'
  /** Keyed by a column of its own; written with chtab (TabSet). */
  | 'keyed'
  /** Written by the server only; tabdump shows it. */
  | 'journal';

export interface TableDef {
  readonly name: string;
  readonly kind: TableKind;
  /** Key columns, in order (also the dump order). */
  readonly key: readonly string[];
  /** The syntax of each key column, for keyed tables. */
  readonly keySyntax?: Readonly<Record<string, S.Syntax>>;
  /** Every column in dump order, key included. */
  readonly columns: readonly ColumnDef[];
  readonly description: string;
}

const common: ColumnDef[] = [
  { name: 'comments', syntax: S.text },
  { name: 'disable', syntax: S.bool01 },
];

const MGT = ['kvm', 'xen', 'libvirt'] as const;
const ARCHES = ['x86_64', 'aarch64', 'ppc64le', 'ppc64', 's390x', 'i686', 'armv7l', 'riscv64'] as const;

const node = (name: string, description: string, columns: ColumnDef[]): TableDef => ({
  name,
  kind: 'node',
  key: ['node'],
  description,
  columns: [{ name: 'node' }, ...columns, ...common],
});

export const TABLES: readonly TableDef[] = [
  node('nodelist', 'every node drover knows, with its groups and status', [
    { name: 'groups', syntax: S.groupList, list: true },
    { name: 'status', syntax: S.text },
    { name: 'statustime', syntax: S.text },
  ]),
  node('vm', 'guest definitions: host, storage, memory, CPUs, NICs, boot order', [
    { name: 'host', syntax: S.hostName },
    { name: 'migrationdest', syntax: S.hostList, list: true },
    { name: 'storage', syntax: S.storage, list: true },
    { name: 'memory', syntax: S.memory },
    { name: 'cpus', syntax: S.cpus },
    { name: 'nics', syntax: S.nics, list: true },
    { name: 'bootorder', syntax: S.bootOrder },
    { name: 'vncport' },
    { name: 'textconsole' },
    { name: 'powerstate' },
    { name: 'antiaffinity', syntax: S.groupName },
    { name: 'uuid', syntax: S.uuid },
    { name: 'defined_hash', hidden: true },
    { name: 'defined_attrs', hidden: true },
    { name: 'managed' },
  ]),
  node('nodehm', 'how nodes are managed: hardware control and serial console', [
    { name: 'mgt', syntax: S.oneOf(MGT) },
    { name: 'power', syntax: S.oneOf(MGT) },
    { name: 'cons', syntax: S.oneOf(MGT) },
    { name: 'serialport', syntax: S.integer(0, 99, 'a serial port number (0 is ttyS0)') },
    { name: 'serialspeed', syntax: S.oneOf(['9600', '19200', '38400', '57600', '115200']) },
    { name: 'serialflow', syntax: S.oneOf(['hard', 'soft', 'none']) },
  ]),
  node('nodetype', 'what is installed on nodes: OS, architecture, profile', [
    { name: 'os', syntax: S.token },
    { name: 'arch', syntax: S.oneOf(ARCHES) },
    { name: 'profile', syntax: S.token },
    { name: 'provmethod', syntax: S.token },
  ]),
  node('noderes', 'resources for network installation', [
    { name: 'netboot', syntax: S.oneOf(NETBOOT_METHODS) },
    { name: 'nfsserver', syntax: S.server },
    { name: 'primarynic', syntax: S.ifName },
    { name: 'installnic', syntax: S.ifName },
    { name: 'xcatmaster', syntax: S.server },
    { name: 'tftpserver', syntax: S.server },
  ]),
  node('mac', 'MAC address of the install NIC', [
    { name: 'interface', syntax: S.ifName },
    { name: 'mac', syntax: S.mac },
  ]),
  node('hosts', 'IP addresses and extra names, for DNS and /etc/hosts', [
    { name: 'ip', syntax: S.ipv4 },
    { name: 'hostnames', syntax: S.nameList, list: true },
  ]),
  {
    name: 'hypervisor',
    kind: 'keyed',
    key: ['node'],
    keySyntax: { node: S.hostName },
    description: 'hypervisor hosts: type and capacity overrides',
    columns: [
      { name: 'node' },
      { name: 'type', syntax: S.oneOf(['kvm', 'qemu', 'xen']) },
      { name: 'interface', syntax: S.ifName },
      { name: 'memory', syntax: S.memory },
      { name: 'cpus', syntax: S.cpus },
      ...common,
    ],
  },
  {
    name: 'site',
    kind: 'keyed',
    key: ['key'],
    keySyntax: { key: S.token },
    description: 'cluster-wide settings (master, domain, nameservers...)',
    columns: [{ name: 'key' }, { name: 'value', syntax: S.text }, ...common],
  },
  {
    name: 'networks',
    kind: 'keyed',
    key: ['netname'],
    keySyntax: { netname: S.token },
    description: 'networks served by DHCP and TFTP',
    columns: [
      { name: 'netname' },
      { name: 'net', syntax: S.ipv4 },
      { name: 'mask', syntax: S.netmask },
      { name: 'mgtifname', syntax: S.ifName },
      { name: 'gateway', syntax: S.ipv4 },
      { name: 'dhcpserver', syntax: S.ipv4 },
      { name: 'tftpserver', syntax: S.ipv4 },
      { name: 'nameservers', syntax: S.ipList, list: true },
      { name: 'dynamicrange', syntax: S.ipRange },
      { name: 'domain', syntax: S.dnsName },
      ...common,
    ],
  },
  {
    name: 'storage',
    kind: 'keyed',
    key: ['url'],
    keySyntax: { url: S.storageUrl },
    description: 'storage locations and the hosts that reach them (shared=1: same bytes on every listed host)',
    columns: [{ name: 'url' }, { name: 'shared', syntax: S.bool01 }, { name: 'hosts', syntax: S.hostList, list: true }, ...common],
  },
  {
    name: 'operations',
    kind: 'journal',
    key: ['id'],
    description: 'long operations (migrate, evacuate, install)',
    columns: [
      'id',
      'kind',
      'state',
      'requested_by',
      'created_ms',
      'updated_ms',
      'finished_ms',
      'target',
      'summary',
      'plan',
      'checks',
      'unplaced',
    ].map((name) => ({ name })),
  },
  {
    name: 'operation_steps',
    kind: 'journal',
    key: ['op_id', 'step_id'],
    description: 'the steps of long operations',
    columns: [
      'op_id',
      'step_id',
      'seq',
      'guest',
      'source',
      'dest',
      'state',
      'attempt',
      'error',
      'job_id',
      'started_ms',
      'finished_ms',
      'progress',
    ].map((name) => ({ name })),
  },
];

/** Site keys with a syntax of their own (others take any text). */
export const SITE_KEYS: Readonly<Record<string, S.Syntax>> = {
  master: S.ipv4,
  domain: S.dnsName,
  nameservers: S.ipList,
  forwarders: S.ipList,
  httpport: S.integer(1, 65535, 'a TCP port'),
  dhcplease: S.integer(60, 100_000_000, 'a lease time in seconds'),
  installdir: S.absPath,
  tftpdir: S.absPath,
  // Capacity and migration policy (documented defaults: 256 MiB, 4, 2, 2, 8).
  memheadroom: S.integer(0, 1_048_576, 'MiB of memory kept free on every host'),
  vcpuovercommit: S.integer(1, 64, 'vCPUs allowed per physical CPU'),
  maxout: S.integer(1, 64, 'migrations out of one host at once'),
  maxin: S.integer(1, 64, 'migrations into one host at once'),
  maxtotal: S.integer(1, 1024, 'migrations in the whole cluster at once'),
  // 1: migrations run with libvirt's TLS transport (VIR_MIGRATE_TLS). Default 0 until TLS becomes
  // the default for migrations (issue 14).
  migrationtls: S.bool01,
};

const BY_NAME = new Map(TABLES.map((t) => [t.name, t]));

export function tableDef(name: string): TableDef | undefined {
  return BY_NAME.get(name);
}

export const NODE_TABLES: readonly TableDef[] = TABLES.filter((t) => t.kind === 'node');

/**
 * xCAT's short attribute names (lsdef/chdef object attributes) and the column each stands for.
 * Either form is accepted on input; `lsdef` shows table.column.
 */
export const SHORT_NAMES: Readonly<Record<string, string>> = Object.freeze({
  groups: 'nodelist.groups',
  status: 'nodelist.status',
  statustime: 'nodelist.statustime',
  vmhost: 'vm.host',
  migrationdest: 'vm.migrationdest',
  vmstorage: 'vm.storage',
  vmmemory: 'vm.memory',
  vmcpus: 'vm.cpus',
  vmnics: 'vm.nics',
  vmbootorder: 'vm.bootorder',
  vmvncport: 'vm.vncport',
  vmtextconsole: 'vm.textconsole',
  antiaffinity: 'vm.antiaffinity',
  mgt: 'nodehm.mgt',
  power: 'nodehm.power',
  cons: 'nodehm.cons',
  serialport: 'nodehm.serialport',
  serialspeed: 'nodehm.serialspeed',
  serialflow: 'nodehm.serialflow',
  os: 'nodetype.os',
  arch: 'nodetype.arch',
  profile: 'nodetype.profile',
  provmethod: 'nodetype.provmethod',
  netboot: 'noderes.netboot',
  nfsserver: 'noderes.nfsserver',
  primarynic: 'noderes.primarynic',
  installnic: 'noderes.installnic',
  xcatmaster: 'noderes.xcatmaster',
  tftpserver: 'noderes.tftpserver',
  mac: 'mac.mac',
  ip: 'hosts.ip',
  hostnames: 'hosts.hostnames',
});

/** A resolved node attribute. */
export interface NodeAttr {
  readonly table: TableDef;
  readonly column: ColumnDef;
  /** `table.column`. */
  readonly name: string;
}

/** Every writable node attribute, `table.column`, in table order. */
export const WRITABLE_NODE_ATTRS: readonly string[] = NODE_TABLES.flatMap((t) =>
  t.columns.filter((c) => c.syntax).map((c) => `${t.name}.${c.name}`),
);

/** Why a name is not a node attribute, or the attribute. Names are case-insensitive. */
export function resolveNodeAttr(name: string): NodeAttr | string {
  const lower = name.trim().toLowerCase();
  const full = Object.hasOwn(SHORT_NAMES, lower) ? SHORT_NAMES[lower]! : lower;
  const dot = full.indexOf('.');
  const known = `known: table.column with table one of ${NODE_TABLES.map((t) => t.name).join(', ')} (see tabdump <table>), or a short name: ${Object.keys(SHORT_NAMES).join(', ')}`;
  if (dot < 0) return `unknown attribute '${name}'; ${known}`;
  const table = tableDef(full.slice(0, dot));
  const colName = full.slice(dot + 1);
  if (!table || table.kind !== 'node') {
    const keyed = table?.kind === 'keyed' ? ` (${table.name} is not a node table; write it with chtab)` : '';
    return `unknown attribute '${name}'${keyed}; ${known}`;
  }
  const column = table.columns.find((c) => c.name === colName);
  if (!column) {
    return `unknown attribute '${name}'; table ${table.name} has columns ${table.columns
      .filter((c) => !c.hidden && c.name !== 'node')
      .map((c) => c.name)
      .join(', ')}`;
  }
  return { table, column, name: `${table.name}.${column.name}` };
}
