/**
 * A proto Disk (as the server sends it) resolved on this host: the storage URL parsed, the pool
 * and volume planned, the path checked against the allowed storage roots. Errors name the field
 * (`disks[1].url`), and nothing is touched before every disk of a request is resolved.
 */
import { posix } from 'node:path';
import { AttrError, invalidArgument, parseStorageList, type Disk__Output, type DiskSpec } from '@drover/contract';
import { StorageError } from './errors.js';
import { checkPathAllowed } from './paths.js';
import { planDisk, type NfsNetworkSource } from './plan.js';
import { initiatorIqn, storageClients, type StorageClients } from './clients.js';
import type { PoolDef } from './pool.js';
import type { AgentConfig } from '../config.js';

export interface ResolvedDisk {
  /** The request's disk, as given. */
  disk: Disk__Output;
  /** Image file, or undefined for a block device. */
  path?: string;
  device?: string;
  /** A file QEMU opens over NFS itself (hosts without a kernel NFS client). */
  network?: NfsNetworkSource;
  /** A volume of an iscsi-direct pool (hosts without a kernel iSCSI initiator): `pool` holds its definition. */
  volume?: string;
  /** The shared storage the disk is on (nfs://SERVER/EXPORT, iscsi://PORTAL/IQN), for messages and checks. */
  storage?: string;
  format: 'raw' | 'qcow2';
  sizeBytes: number;
  pool: PoolDef | null;
  volumeName: string;
}

let cachedClients: { key: string; clients: StorageClients } | undefined;

/** How this host reaches NFS and iSCSI (config, else detected once per process). */
export function hostClients(cfg: AgentConfig): StorageClients {
  const key = `${cfg.storage.nfsClient}/${cfg.storage.iscsiClient}`;
  if (cachedClients?.key !== key) cachedClients = { key, clients: storageClients(cfg.storage) };
  return cachedClients.clients;
}

export function allowedRoots(cfg: AgentConfig): string[] {
  return [...cfg.storage.roots, cfg.storage.nfsMountBase];
}

function fieldError(field: string, e: unknown): never {
  if (e instanceof AttrError) throw invalidArgument(e.message.startsWith(field) ? e.message : `${field}: ${e.message}`);
  if (e instanceof StorageError) throw invalidArgument(`${field}: ${e.message}`);
  throw e;
}

/** Resolves disk `index` of guest `node`; `field` is how the request names it (e.g. `spec.disks[0]`). */
export function resolveDisk(cfg: AgentConfig, node: string, index: number, disk: Disk__Output, field: string): ResolvedDisk {
  let spec: DiskSpec | undefined;
  if (disk.url) {
    let list: DiskSpec[];
    try {
      list = parseStorageList(disk.url, `${field}.url`);
    } catch (e) {
      fieldError(`${field}.url`, e);
    }
    if (list.length !== 1) throw invalidArgument(`${field}.url: one storage location per disk, got ${list.length}`);
    spec = list[0]!;
  }
  if (disk.format && disk.format !== 'raw' && disk.format !== 'qcow2')
    throw invalidArgument(`${field}.format: must be raw or qcow2 (got ${JSON.stringify(disk.format)})`);
  let size = Number(disk.sizeBytes ?? 0);
  if (!Number.isSafeInteger(size) || size < 0) throw invalidArgument(`${field}.size_bytes: must be a whole number of bytes`);
  if (size === 0 && spec?.sizeBytes) size = spec.sizeBytes; // dir:///vms?size=20G

  let path: string | undefined;
  let device: string | undefined;
  let network: NfsNetworkSource | undefined;
  let volume: string | undefined;
  let storage: string | undefined;
  let pool: PoolDef | null = null;
  let volumeName = '';
  let format: 'raw' | 'qcow2' = (disk.format as 'raw' | 'qcow2' | '') || 'qcow2';
  if (spec) {
    if (!disk.format) format = spec.format;
    let plan;
    try {
      if (spec.kind === 'iscsi') size = 0; // a LUN has its own size; drover never creates LUNs
      plan = planDisk(node, index, { ...spec, format, ...(size > 0 ? { sizeBytes: size } : {}) } as DiskSpec, {
        nfsMountBase: cfg.storage.nfsMountBase,
        hostName: cfg.host,
        clients: hostClients(cfg),
        initiatorIqn: initiatorIqn(cfg.storage.initiatorIqn, cfg.host),
      });
    } catch (e) {
      fieldError(`${field}.url`, e);
    }
    pool = plan.pool;
    volumeName = plan.volumeName ?? '';
    const src = plan.source;
    if ('path' in src) path = src.path;
    else if ('device' in src) device = src.device;
    else if ('network' in src) network = src.network;
    else volume = src.volume.volume;
    if (spec.kind === 'nfs') storage = `nfs://${spec.server}${spec.exportPath}`;
    if (spec.kind === 'iscsi') storage = `iscsi://${spec.portal}/${spec.iqn}`;
    if (disk.path && path && posix.normalize(disk.path) !== path) {
      throw invalidArgument(`${field}.path: ${disk.path} does not match the storage URL, which gives ${path}`);
    }
  } else if (disk.path) {
    if (disk.path.startsWith('/dev/')) device = disk.path;
    else {
      path = disk.path;
      if (!disk.format) format = /\.qcow2$/i.test(path) ? 'qcow2' : 'raw';
      volumeName = posix.basename(path);
      pool = null;
    }
  } else {
    throw invalidArgument(`${field}: needs a url or a path`);
  }
  if (path !== undefined) {
    try {
      path = checkPathAllowed(path, allowedRoots(cfg));
    } catch (e) {
      fieldError(`${field}.path`, e);
    }
    if (!pool) {
      // A bare file: its directory is the pool.
      const plan = planDisk(node, index, { kind: 'file', path, format }, { nfsMountBase: cfg.storage.nfsMountBase });
      pool = plan.pool;
      volumeName = plan.volumeName ?? posix.basename(path);
    }
  } else if (device !== undefined && !/^\/dev\/[A-Za-z0-9._/:+-]+$/.test(device)) {
    throw invalidArgument(`${field}.path: ${JSON.stringify(device)} is not a device path`);
  }
  return {
    disk,
    ...(path !== undefined ? { path } : {}),
    ...(device !== undefined ? { device } : {}),
    ...(network !== undefined ? { network } : {}),
    ...(volume !== undefined ? { volume } : {}),
    ...(storage !== undefined ? { storage } : {}),
    format,
    sizeBytes: size,
    pool,
    volumeName,
  };
}

export function resolveDisks(cfg: AgentConfig, node: string, disks: readonly Disk__Output[], prefix: string): ResolvedDisk[] {
  return disks.map((d, i) => resolveDisk(cfg, node, i, d, `${prefix}[${i}]`));
}
