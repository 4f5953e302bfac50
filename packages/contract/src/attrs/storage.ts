import { AttrError } from './errors.js';
import { pathProblem, rejectUnknownOptions, splitList, trimSlash, type ListItem } from './list.js';
import { formatSize, parseSize } from './size.js';

/** A disk image format drover creates and attaches. */
export type DiskFormat = 'raw' | 'qcow2';

interface DiskCommon {
  /** Image format of the disk. */
  readonly format: DiskFormat;
  /** Size for a disk drover creates; absent means "use what exists" (or the caller's default). */
  readonly sizeBytes?: number;
}

/** `dir:///vms` or a bare directory path: a local directory pool; the disk is a file named for the node. */
export interface DirDiskSpec extends DiskCommon {
  readonly kind: 'dir';
  readonly dir: string;
}
/** A bare path ending in an image extension: exactly that file. */
export interface FileDiskSpec extends DiskCommon {
  readonly kind: 'file';
  readonly path: string;
}
/** `nfs://server/export[/subdir]`: a network filesystem pool; the disk is a file named for the node. */
export interface NfsDiskSpec extends DiskCommon {
  readonly kind: 'nfs';
  readonly server: string;
  readonly exportPath: string;
}
/** `lvm://vg`: a logical volume named for the node in volume group `vg`. */
export interface LvmDiskSpec extends DiskCommon {
  readonly kind: 'lvm';
  readonly vg: string;
}
/** `phy:/dev/...`: a block device used as is (a local disk, an iSCSI LUN). */
export interface PhyDiskSpec extends DiskCommon {
  readonly kind: 'phy';
  readonly device: string;
}

/** One entry of `vm.storage`. */
export type DiskSpec = DirDiskSpec | FileDiskSpec | NfsDiskSpec | LvmDiskSpec | PhyDiskSpec;

/** Short summary of the `vm.storage` syntax, shown in errors. */
export const STORAGE_SYNTAX =
  'disks separated by ",", each dir:///DIR, nfs://SERVER/EXPORT[/SUBDIR], lvm://VG, phy:/dev/DEVICE, ' +
  '/DIR or /PATH/FILE.qcow2|.img|.raw, optionally followed by ?size=SIZE&format=raw|qcow2 (e.g. dir:///vms?size=20G)';

const OPTIONS = ['size', 'format'] as const;
const IMAGE_EXT_RE = /\.(qcow2|img|raw)$/i;
const HOST_RE = /^(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/;
// LVM's own rule for VG names, minus the names it reserves.
const VG_RE = /^(?!-)[A-Za-z0-9+_.-]{1,127}$/;

/**
 * Parses `vm.storage`: see {@link STORAGE_SYNTAX} and ATTR_SYNTAX_HELP. The format defaults to
 * qcow2 for files (dir, nfs, a bare directory) and raw for lvm and phy; a bare file path takes
 * its format from the extension (.qcow2 → qcow2, .raw and .img → raw). A blank value means no
 * disks (a diskless guest).
 *
 * Whether a bare path is a directory or a file is decided by its spelling alone (an image
 * extension means a file), so the server and every agent read the same value the same way
 * without looking at a filesystem.
 */
export function parseStorageList(value: string, attribute = 'vm.storage'): DiskSpec[] {
  const ctx = { attribute, value, accepted: STORAGE_SYNTAX };
  return splitList(ctx).map((item) => parseDisk(item, ctx));
}

function parseDisk(item: ListItem, ctx: { attribute: string; value: string; accepted: string }): DiskSpec {
  const fail = (problem: string, part = item.text, code: 'ATTR_SYNTAX' | 'ATTR_RANGE' | 'ATTR_CONFLICT' = 'ATTR_SYNTAX'): never => {
    throw new AttrError({ code, attribute: ctx.attribute, value: ctx.value, part, problem, accepted: ctx.accepted });
  };
  const checkPath = (path: string): string => {
    const problem = pathProblem(path);
    if (problem) fail(problem, path);
    return trimSlash(path);
  };

  rejectUnknownOptions(item, OPTIONS, ctx);
  const fmtOpt = item.options.get('format');
  if (fmtOpt !== undefined && fmtOpt !== 'raw' && fmtOpt !== 'qcow2') fail('format must be raw or qcow2', `format=${fmtOpt}`);
  const explicitFormat = fmtOpt as DiskFormat | undefined;
  const sizeOpt = item.options.get('size');
  let sizeBytes: number | undefined;
  if (sizeOpt !== undefined) {
    try {
      sizeBytes = parseSize(sizeOpt, ctx.attribute);
    } catch {
      fail('size is not a size such as 20G', `size=${sizeOpt}`);
    }
    if (sizeBytes === 0) fail('size must be above zero', `size=${sizeOpt}`, 'ATTR_RANGE');
  }
  const common = (defaultFormat: DiskFormat) => ({
    format: explicitFormat ?? defaultFormat,
    ...(sizeBytes !== undefined ? { sizeBytes } : {}),
  });

  const t = item.target;
  if (t.startsWith('/')) {
    const path = checkPath(t);
    const ext = IMAGE_EXT_RE.exec(path)?.[1]?.toLowerCase();
    if (ext === undefined) return { kind: 'dir', dir: path, ...common('qcow2') };
    const extFormat: DiskFormat = ext === 'qcow2' ? 'qcow2' : 'raw';
    if (explicitFormat && ext !== 'img' && explicitFormat !== extFormat) {
      fail(`format=${explicitFormat} contradicts the .${ext} extension`, item.text, 'ATTR_CONFLICT');
    }
    return { kind: 'file', path, ...common(extFormat) };
  }
  const scheme = /^([a-z]+):/.exec(t)?.[1];
  switch (scheme) {
    case 'dir': {
      if (!t.startsWith('dir:///')) fail('a dir URL has three slashes and an absolute path: dir:///DIR');
      return { kind: 'dir', dir: checkPath(t.slice('dir://'.length)), ...common('qcow2') };
    }
    case 'nfs': {
      const m = /^nfs:\/\/([^/]*)(\/.*)?$/.exec(t);
      const server = m?.[1] ?? '';
      if (!HOST_RE.test(server)) fail('the NFS server must be a host name or IPv4 address', server || t);
      if (m?.[2] === undefined) fail('an NFS URL needs the exported path: nfs://SERVER/EXPORT');
      return { kind: 'nfs', server: server.toLowerCase(), exportPath: checkPath(m?.[2] ?? ''), ...common('qcow2') };
    }
    case 'lvm': {
      const vg = /^lvm:\/\/([^/]*)\/?$/.exec(t)?.[1] ?? '';
      if (!VG_RE.test(vg) || vg === '.' || vg === '..') fail('an LVM URL names one volume group: lvm://VG');
      if (explicitFormat === 'qcow2') fail('logical volumes hold raw disks only', 'format=qcow2', 'ATTR_CONFLICT');
      return { kind: 'lvm', vg, ...common('raw') };
    }
    case 'phy': {
      const device = t.slice('phy:'.length);
      if (!device.startsWith('/dev/')) fail('a phy device is a path under /dev: phy:/dev/DEVICE', device || t);
      if (sizeBytes !== undefined) fail('a device used as is has its own size; drop size=', `size=${sizeOpt}`, 'ATTR_CONFLICT');
      return { kind: 'phy', device: checkPath(device), ...common('raw') };
    }
    default:
      return fail('not a storage location');
  }
}

/** Writes a disk back in the canonical `vm.storage` form ({@link parseStorageList} reads it back unchanged). */
export function formatDiskSpec(disk: DiskSpec): string {
  let target: string;
  let defaultFormat: DiskFormat;
  switch (disk.kind) {
    case 'dir':
      target = `dir://${disk.dir}`;
      defaultFormat = 'qcow2';
      break;
    case 'file':
      target = disk.path;
      defaultFormat = /\.qcow2$/i.test(disk.path) ? 'qcow2' : 'raw';
      break;
    case 'nfs':
      target = `nfs://${disk.server}${disk.exportPath}`;
      defaultFormat = 'qcow2';
      break;
    case 'lvm':
      target = `lvm://${disk.vg}`;
      defaultFormat = 'raw';
      break;
    case 'phy':
      target = `phy:${disk.device}`;
      defaultFormat = 'raw';
      break;
  }
  const opts: string[] = [];
  if (disk.sizeBytes !== undefined) opts.push(`size=${formatSize(disk.sizeBytes)}`);
  if (disk.format !== defaultFormat) opts.push(`format=${disk.format}`);
  return opts.length ? `${target}?${opts.join('&')}` : target;
}

/** Writes a whole `vm.storage` value in canonical form. */
export function formatStorageList(disks: readonly DiskSpec[]): string {
  return disks.map(formatDiskSpec).join(',');
}

/**
 * The name of the image (or logical volume) drover creates for a node's disk in a pool: the first
 * disk of the list is `<node>.qcow2` (`<node>.img` when raw; `<node>` on LVM), the disk at list
 * position n (counting from 0) is `<node>_<n>.qcow2`. The separator is `_` rather than `-` because
 * node names may contain `-` (node `web` disk 1 and node `web-1` disk 0 must not share a file).
 * Only for disks that live in a pool (dir, nfs, lvm); file and phy disks name their path already.
 */
export function diskVolumeName(node: string, index: number, disk: DiskSpec): string {
  if (disk.kind === 'file' || disk.kind === 'phy') {
    throw new RangeError(`diskVolumeName: a ${disk.kind} disk has no volume name of its own`);
  }
  if (!Number.isSafeInteger(index) || index < 0) throw new RangeError(`diskVolumeName: bad index ${index}`);
  const base = index === 0 ? node : `${node}_${index}`;
  if (disk.kind === 'lvm') return base;
  return `${base}.${disk.format === 'qcow2' ? 'qcow2' : 'img'}`;
}
