import { posix } from 'node:path';
import { diskVolumeName, type DiskFormat, type DiskSpec } from './attrs.js';
import { poolForDisk, type PoolDef, type PoolOptions } from './pool.js';
import { volumeXml } from './volume.js';

/** Everything the agent needs to give a node one of its disks. */
export interface DiskPlan {
  /** The pool to define and start first; null for a `phy:` device. */
  readonly pool: PoolDef | null;
  /** The volume's name in the pool; absent for a `phy:` device. */
  readonly volumeName?: string;
  /** XML to create the volume when it does not exist; absent when the disk has no size (use the existing one). */
  readonly volumeXml?: string;
  /** Where the guest's disk is: a file, or a block device (LVs and `phy:`). */
  readonly source: { readonly path: string } | { readonly device: string };
  readonly format: DiskFormat;
}

/** Plans disk number `index` (list position in vm.storage) of node `node`. */
export function planDisk(node: string, index: number, disk: DiskSpec, opts: PoolOptions): DiskPlan {
  if (disk.kind === 'phy') return { pool: null, source: { device: disk.device }, format: disk.format };
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
