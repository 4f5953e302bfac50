import { createHash } from 'node:crypto';
import { posix } from 'node:path';
import { pathProblem, type DiskSpec } from './attrs.js';
import { invalid } from './errors.js';
import { buildXml } from '../domain/xml.js';

/** Where and how the agent mounts NFS exports. */
export interface PoolOptions {
  /** Directory under which NFS exports are mounted: `<base>/<server><export>`, e.g. /var/lib/drover/nfs. */
  readonly nfsMountBase: string;
  /** This host's name, for error messages. */
  readonly hostName?: string;
}

/** libvirt pool types drover defines. */
export type PoolKind = 'dir' | 'netfs' | 'logical';

/** A storage pool to define (and build and start) on a host. */
export interface PoolDef {
  /** Deterministic: the same storage URL gives the same name on every host, so migration finds it. */
  readonly name: string;
  readonly kind: PoolKind;
  /** The directory (or /dev/VG) where the pool's volumes appear on the host. */
  readonly targetPath: string;
  readonly xml: string;
}

/**
 * A pool name for a location: `drover-<kind>-<readable part>-<8 hex of a hash>`. The readable part
 * is the path with `/` turned into `-` (cut to 40 characters); the hash of the whole location keeps
 * `/a-b` and `/a/b` apart. Volume groups are unique names already and need no hash.
 */
export function poolName(kind: 'dir' | 'nfs' | 'lvm', key: string): string {
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
 */
export function poolForDisk(disk: DiskSpec, opts: PoolOptions): PoolDef | null {
  switch (disk.kind) {
    case 'dir':
      return dirPool(disk.dir);
    case 'file':
      return dirPool(posix.dirname(disk.path));
    case 'nfs': {
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
    case 'phy':
      return null;
  }
}
