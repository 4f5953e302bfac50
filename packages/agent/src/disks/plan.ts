import { posix } from 'node:path';
import { diskVolumeName, iscsiByPath, type DiskFormat, type DiskSpec } from './attrs.js';
import { poolForDisk, type PoolDef, type PoolOptions } from './pool.js';
import { volumeXml } from './volume.js';

/** Who QEMU's NFS client is on the server: root (the howto's export has no_root_squash). */
export const NFS_IDENTITY = { user: 'root', group: 'root' } as const;

/** A file on an NFS export that QEMU's own NFS client opens: `nfs://<server><name>`. */
export interface NfsNetworkSource {
  readonly protocol: 'nfs';
  readonly server: string;
  /** Path of the file on the server (export, subdirectory and file name). */
  readonly name: string;
}

export type DiskSource =
  | { readonly path: string }
  | { readonly device: string }
  | { readonly network: NfsNetworkSource }
  | { readonly volume: { readonly pool: string; readonly volume: string } };

/** Everything the agent needs to give a node one of its disks. */
export interface DiskPlan {
  /** The pool to define and start first; null for a `phy:` device. */
  readonly pool: PoolDef | null;
  /** The volume's name in the pool; absent for a `phy:` device. */
  readonly volumeName?: string;
  /** XML to create the volume when it does not exist; absent when the disk has no size (use the existing one). */
  readonly volumeXml?: string;
  /**
   * Where the guest's disk is: a file, a block device (LVs, `phy:`, kernel-initiator LUNs), a file
   * QEMU opens over NFS itself, or a volume of an iscsi-direct pool.
   */
  readonly source: DiskSource;
  readonly format: DiskFormat;
}

/** Plans disk number `index` (list position in vm.storage) of node `node`. */
export function planDisk(node: string, index: number, disk: DiskSpec, opts: PoolOptions): DiskPlan {
  if (disk.kind === 'phy') return { pool: null, source: { device: disk.device }, format: disk.format };
  if (disk.kind === 'iscsi') {
    const pool = poolForDisk(disk, opts);
    // Through the kernel initiator the LUN is the udev device; in user space a volume of the target's pool.
    if (!pool) return { pool: null, source: { device: iscsiByPath(disk) }, format: 'raw' };
    const volumeName = `unit:0:0:${disk.lun}`;
    return { pool, volumeName, source: { volume: { pool: pool.name, volume: volumeName } }, format: 'raw' };
  }
  if (disk.kind === 'nfs' && opts.clients?.nfs === 'qemu') {
    const volumeName = diskVolumeName(node, index, disk);
    return {
      pool: null,
      volumeName,
      source: { network: { protocol: 'nfs', server: disk.server, name: `${disk.exportPath}/${volumeName}` } },
      format: disk.format,
    };
  }
  const pool = poolForDisk(disk, opts);
  if (pool === null) throw new Error(`planDisk: no pool for a ${disk.kind} disk`); // only phy has none
  const volumeName = disk.kind === 'file' ? posix.basename(disk.path) : diskVolumeName(node, index, disk);
  const sized =
    disk.sizeBytes !== undefined
      ? { volumeXml: volumeXml({ name: volumeName, capacityBytes: disk.sizeBytes, format: disk.format, sparse: disk.kind !== 'lvm' }) }
      : {};
  const full = `${pool.targetPath}/${volumeName}`;
  const source = disk.kind === 'lvm' ? { device: full } : { path: full };
  return { pool, volumeName, ...sized, source, format: disk.format };
}

/** The guest-side source of a planned disk, as the domain module's GuestDisk takes it. */
export function guestSource(
  source: DiskSource,
):
  | { path: string }
  | { device: string }
  | { network: { protocol: 'nfs'; host: string; name: string; identity: { user: string; group: string } } }
  | { volume: { pool: string; volume: string } } {
  if ('path' in source) return { path: source.path };
  if ('device' in source) return { device: source.device };
  if ('network' in source)
    return { network: { protocol: 'nfs', host: source.network.server, name: source.network.name, identity: NFS_IDENTITY } };
  return { volume: { ...source.volume } };
}
