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

/**
 * `iscsi://PORTAL/IQN/LUN`: one LUN of an iSCSI target, used as is (raw). The Xen howto's
 * `/dev/disk/by-path/ip-ADDR:PORT-iscsi-IQN-lun-N` (bare or after `phy:`) reads as the same LUN.
 */
export interface IscsiDiskSpec extends DiskCommon {
  readonly kind: 'iscsi';
  /** `host:port` (port 3260 when not written), lower case. */
  readonly portal: string;
  /** The target's iSCSI name, lower case. */
  readonly iqn: string;
  readonly lun: number;
}

/** One entry of `vm.storage`. */
export type DiskSpec = DirDiskSpec | FileDiskSpec | NfsDiskSpec | LvmDiskSpec | PhyDiskSpec | IscsiDiskSpec;

/** Short summary of the `vm.storage` syntax, shown in errors. */
export const STORAGE_SYNTAX =
  'disks separated by ",", each dir:///DIR, nfs://SERVER/EXPORT[/SUBDIR], iscsi://PORTAL/IQN/LUN, lvm://VG, phy:/dev/DEVICE, ' +
  '/DIR or /PATH/FILE.qcow2|.img|.raw, optionally followed by ?size=SIZE&format=raw|qcow2 (e.g. dir:///vms?size=20G)';

const OPTIONS = ['size', 'format'] as const;
const IMAGE_EXT_RE = /\.(qcow2|img|raw)$/i;
const HOST_RE = /^(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/;
// LVM's own rule for VG names, minus the names it reserves.
const VG_RE = /^(?!-)[A-Za-z0-9+_.-]{1,127}$/;
// iSCSI names (RFC 3720 3.2.6.3): iqn.YYYY-MM.reversed.domain[:anything], eui. + 16 hex, naa. + 16 or 32 hex.
const IQN_RE = /^iqn\.\d{4}-(?:0[1-9]|1[0-2])\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)*(?::[a-z0-9.:-]+)?$/;
const EUI_NAA_RE = /^(?:eui\.[0-9a-f]{16}|naa\.(?:[0-9a-f]{16}|[0-9a-f]{32}))$/;
/** The udev name of a kernel-initiator LUN, as the Xen howto writes it. */
const BY_PATH_RE = /^\/dev\/disk\/by-path\/ip-(.+)-iscsi-(.+)-lun-(\d+)$/;

/** An iSCSI portal as `host:port` (port 3260 when absent), lower case; undefined when it is not one. */
export function canonicalPortal(text: string): string | undefined {
  const m = /^([^:/[\]]+)(?::(\d{1,5}))?$/.exec(text);
  if (!m || !HOST_RE.test(m[1] ?? '')) return undefined;
  const port = m[2] === undefined ? 3260 : Number(m[2]);
  if (port < 1 || port > 65535) return undefined;
  return `${(m[1] ?? '').toLowerCase()}:${port}`;
}

/** An iSCSI name, lower case (they compare without case); undefined when it is not one. */
export function canonicalIqn(text: string): string | undefined {
  const n = text.toLowerCase();
  return n.length <= 223 && (IQN_RE.test(n) || EUI_NAA_RE.test(n)) ? n : undefined;
}

/**
 * An iSCSI location: `iscsi://PORTAL/IQN/LUN`, or the target alone (`iscsi://PORTAL/IQN`) when
 * `target` is allowed (a `storage` table declaration covers every LUN of its target). Returns the
 * parts in canonical form, or a problem to report.
 */
export function parseIscsiUrl(url: string, allowTarget = false): { portal: string; iqn: string; lun?: number } | { problem: string } {
  const m = /^iscsi:\/\/([^/]+)\/([^/]+)(?:\/([^/]*))?\/?$/.exec(url);
  if (!m) return { problem: 'an iSCSI URL is iscsi://PORTAL/IQN/LUN' };
  const portal = canonicalPortal(m[1] ?? '');
  if (!portal) return { problem: `${m[1]} is not a portal HOST[:PORT]` };
  const iqn = canonicalIqn(m[2] ?? '');
  if (!iqn) return { problem: `${m[2]} is not an iSCSI name such as iqn.2004-01.com.example:storage` };
  if (m[3] === undefined || m[3] === '')
    return allowTarget ? { portal, iqn } : { problem: 'an iSCSI disk names its LUN: iscsi://PORTAL/IQN/LUN' };
  if (!/^\d{1,5}$/.test(m[3]) || Number(m[3]) > 16383) return { problem: `LUN ${m[3]} is not a number from 0 to 16383` };
  return { portal, iqn, lun: Number(m[3]) };
}

/** The udev path a kernel initiator gives a LUN: /dev/disk/by-path/ip-PORTAL-iscsi-IQN-lun-N. */
export function iscsiByPath(d: Pick<IscsiDiskSpec, 'portal' | 'iqn' | 'lun'>): string {
  return `/dev/disk/by-path/ip-${d.portal}-iscsi-${d.iqn}-lun-${d.lun}`;
}

/** `iscsi://PORTAL/IQN/LUN` of a LUN, canonical. */
export function iscsiUrl(d: Pick<IscsiDiskSpec, 'portal' | 'iqn' | 'lun'>): string {
  return `iscsi://${d.portal}/${d.iqn}/${d.lun}`;
}

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
  const byPath = BY_PATH_RE.exec(t.startsWith('phy:') ? t.slice('phy:'.length) : t);
  if (byPath) {
    // The howto's kernel-initiator name of a LUN: the same LUN, whichever way this host reaches it.
    const portal = canonicalPortal(byPath[1] ?? '');
    const iqn = canonicalIqn(byPath[2] ?? '');
    if (!portal) fail(`${byPath[1]} is not a portal ADDR:PORT`, t);
    if (!iqn) fail(`${byPath[2]} is not an iSCSI name`, t);
    if (sizeBytes !== undefined) fail('a LUN has its own size; drop size=', `size=${sizeOpt}`, 'ATTR_CONFLICT');
    if (explicitFormat === 'qcow2') fail('a LUN holds a raw disk', 'format=qcow2', 'ATTR_CONFLICT');
    return { kind: 'iscsi', portal: portal ?? '', iqn: iqn ?? '', lun: Number(byPath[3]), format: 'raw' };
  }
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
    case 'iscsi': {
      const r = parseIscsiUrl(t);
      if ('problem' in r) return fail(r.problem);
      if (sizeBytes !== undefined) fail('a LUN has its own size; drop size=', `size=${sizeOpt}`, 'ATTR_CONFLICT');
      if (explicitFormat === 'qcow2') fail('a LUN holds a raw disk', 'format=qcow2', 'ATTR_CONFLICT');
      return { kind: 'iscsi', portal: r.portal, iqn: r.iqn, lun: r.lun ?? 0, format: 'raw' };
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
    case 'iscsi':
      target = iscsiUrl(disk);
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
 * Only for disks that live in a pool (dir, nfs, lvm); file, phy and iscsi disks name their place already.
 */
export function diskVolumeName(node: string, index: number, disk: DiskSpec): string {
  if (disk.kind === 'file' || disk.kind === 'phy' || disk.kind === 'iscsi') {
    throw new RangeError(`diskVolumeName: a ${disk.kind} disk has no volume name of its own`);
  }
  if (!Number.isSafeInteger(index) || index < 0) throw new RangeError(`diskVolumeName: bad index ${index}`);
  const base = index === 0 ? node : `${node}_${index}`;
  if (disk.kind === 'lvm') return base;
  return `${base}.${disk.format === 'qcow2' ? 'qcow2' : 'img'}`;
}
