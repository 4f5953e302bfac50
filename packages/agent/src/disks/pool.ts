import { createHash } from 'node:crypto';
import { posix } from 'node:path';
import { pathProblem, type DiskSpec } from './attrs.js';
import { invalid } from './errors.js';
import type { StorageClients } from './clients.js';
import { buildXml } from '../domain/xml.js';

/** Where and how the agent mounts NFS exports. */
export interface PoolOptions {
  /** Directory under which NFS exports are mounted: `<base>/<server><export>`, e.g. /var/lib/drover/nfs. */
  readonly nfsMountBase: string;
  /** This host's name, for error messages. */
  readonly hostName?: string;
  /** How this host reaches NFS and iSCSI (default: its kernel, the netfs pool and iscsiadm). */
  readonly clients?: StorageClients;
  /** This host's initiator name, for iscsi-direct pools. */
  readonly initiatorIqn?: string;
}

/** libvirt pool types drover defines. */
export type PoolKind = 'dir' | 'netfs' | 'logical' | 'iscsi-direct';

/** A storage pool to define (and build and start) on a host. */
export interface PoolDef {
  /** Deterministic: the same storage URL gives the same name on every host, so migration finds it. */
  readonly name: string;
  readonly kind: PoolKind;
  /** The directory (or /dev/VG) where the pool's volumes appear on the host; '' for iscsi-direct (no host path). */
  readonly targetPath: string;
  readonly xml: string;
}

/**
 * A pool name for a location: `drover-<kind>-<readable part>-<8 hex of a hash>`. The readable part
 * is the path with `/` turned into `-` (cut to 40 characters); the hash of the whole location keeps
 * `/a-b` and `/a/b` apart. Volume groups are unique names already and need no hash.
 */
export function poolName(kind: 'dir' | 'nfs' | 'lvm' | 'iscsi', key: string): string {
  if (kind === 'lvm') return `drover-lvm-${key}`;
  const readable = key
    .replace(/^\/+/, '')
    .replace(/\//g, '-')
    .replace(/[^A-Za-z0-9_.-]/g, '_')
    .slice(0, 40);
  const hash = createHash('sha256').update(`${kind}:${key}`).digest('hex').slice(0, 8);
  return `drover-${kind}-${readable}-${hash}`;
}

/** The mount point of an NFS export: `<nfsMountBase>/<server><export>`. */
export function nfsMountPoint(server: string, exportPath: string, opts: PoolOptions): string {
  const base = opts.nfsMountBase.length > 1 ? opts.nfsMountBase.replace(/\/$/, '') : opts.nfsMountBase;
  const problem = pathProblem(base);
  if (problem) invalid('nfsMountBase', opts.nfsMountBase, problem);
  return `${base}/${server}${exportPath}`;
}

function dirPool(dir: string): PoolDef {
  const name = poolName('dir', dir);
  const xml = buildXml({ pool: { '@_type': 'dir', name, target: { path: dir } } });
  return { name, kind: 'dir', targetPath: dir, xml };
}

/**
 * The pool a disk lives in: a dir pool for `dir://` and bare paths (a file's own directory), a
 * netfs pool for `nfs://` (mounted under `nfsMountBase`), a logical pool for `lvm://`. A `phy:`
 * device is used as is and has no pool: the result is null.
 *
 * Where the host reaches shared storage in user space (`opts.clients`): an `nfs://` disk has no
 * pool (QEMU opens it over NFS itself), and an `iscsi://` disk's target is an iscsi-direct pool
 * (libvirt's libiscsi client; volumes `unit:0:0:<LUN>`). Through the kernel initiator an iSCSI LUN
 * is a `/dev/disk/by-path` device after login, without a pool.
 */
export function poolForDisk(disk: DiskSpec, opts: PoolOptions): PoolDef | null {
  switch (disk.kind) {
    case 'dir':
      return dirPool(disk.dir);
    case 'file':
      return dirPool(posix.dirname(disk.path));
    case 'nfs': {
      if (opts.clients?.nfs === 'qemu') return null;
      const targetPath = nfsMountPoint(disk.server, disk.exportPath, opts);
      const name = poolName('nfs', `${disk.server}${disk.exportPath}`);
      const xml = buildXml({
        pool: {
          '@_type': 'netfs',
          name,
          source: { host: { '@_name': disk.server }, dir: { '@_path': disk.exportPath }, format: { '@_type': 'nfs' } },
          target: { path: targetPath },
        },
      });
      return { name, kind: 'netfs', targetPath, xml };
    }
    case 'lvm': {
      const name = poolName('lvm', disk.vg);
      const targetPath = `/dev/${disk.vg}`;
      const xml = buildXml({
        pool: { '@_type': 'logical', name, source: { name: disk.vg, format: { '@_type': 'lvm2' } }, target: { path: targetPath } },
      });
      return { name, kind: 'logical', targetPath, xml };
    }
    case 'iscsi':
      return opts.clients?.iscsi === 'qemu' ? iscsiDirectPool(disk.portal, disk.iqn, opts.initiatorIqn ?? '') : null;
    case 'phy':
      return null;
  }
}

/** The iscsi-direct pool of a target: the same name on every host, this host's initiator name. */
export function iscsiDirectPool(portal: string, iqn: string, initiator: string): PoolDef {
  const cut = portal.lastIndexOf(':');
  const name = poolName('iscsi', `${portal}/${iqn}`);
  if (!initiator) invalid('initiatorIqn', initiator, "an iscsi-direct pool needs this host's initiator name");
  const xml = buildXml({
    pool: {
      '@_type': 'iscsi-direct',
      name,
      source: {
        host: { '@_name': portal.slice(0, cut), '@_port': portal.slice(cut + 1) },
        device: { '@_path': iqn },
        initiator: { iqn: { '@_name': initiator } },
      },
    },
  });
  return { name, kind: 'iscsi-direct', targetPath: '', xml };
}
