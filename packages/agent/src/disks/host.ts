import { isIP } from 'node:net';
import { type DiskSpec } from './attrs.js';
import { invalid } from './errors.js';
import { iscsiDirectPool, nfsMountPoint, poolForDisk, type PoolDef, type PoolOptions } from './pool.js';

/**
 * One thing the agent does on the host that libvirt does not do for it. Commands are argv arrays,
 * run without a shell; file edits are described, not performed, so they can be tested and shown.
 */
export type HostStep =
  /** Create a directory and its parents (mkdir -p); an existing directory is fine. */
  | { readonly op: 'mkdir'; readonly path: string; readonly mode: number }
  /** Make sure /etc/fstab has this line for this mount point (replace a different line for it). */
  | { readonly op: 'fstab'; readonly mountPoint: string; readonly line: string }
  /** Run a program. */
  | { readonly op: 'exec'; readonly argv: readonly string[]; readonly purpose: string }
  /** Make sure libvirt has this pool defined, autostarted and started (its definition as drover's agent makes it). */
  | { readonly op: 'pool'; readonly pool: PoolDef; readonly purpose: string };

/** An iSCSI target to log in to, so its LUNs appear as /dev/disk/by-path/... for `phy:` disks. */
export interface IscsiTarget {
  readonly kind: 'iscsi';
  /** `host[:port]` (IPv4, a host name, or `[IPv6]`); the port defaults to 3260. */
  readonly portal: string;
  /** `iqn.YYYY-MM.reversed.domain[:name]`, `eui.` + 16 hex digits, or `naa.` + 16 or 32 hex digits. */
  readonly iqn: string;
}

const HOST_RE = /^(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/;
const IQN_RE = /^iqn\.\d{4}-(?:0[1-9]|1[0-2])\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)*(?::[a-z0-9.:-]+)?$/;
const EUI_RE = /^eui\.[0-9a-f]{16}$/;
const NAA_RE = /^naa\.(?:[0-9a-f]{16}|[0-9a-f]{32})$/;

/** Checks an iSCSI name and returns it lowercased (iSCSI names compare without case). */
export function parseIqn(value: string, field = 'iqn'): string {
  const name = typeof value === 'string' ? value.trim().toLowerCase() : '';
  if (name.length > 223 || !(IQN_RE.test(name) || EUI_RE.test(name) || NAA_RE.test(name))) {
    invalid(field, value, 'not an iSCSI name such as iqn.2004-01.com.example:storage.lun1 (or eui./naa.)');
  }
  return name;
}

/** Checks an iSCSI portal and returns it as `host:port` (`[v6]:port`), port 3260 when not given. */
export function parsePortal(value: string, field = 'portal'): string {
  const text = typeof value === 'string' ? value.trim() : '';
  const m = /^(?:\[([0-9A-Fa-f:.]+)\]|([^:[\]]+))(?::(\d{1,5}))?$/.exec(text);
  const v6 = m?.[1];
  const host = m?.[2];
  if (!m || (v6 !== undefined && isIP(v6) !== 6) || (host !== undefined && isIP(host) !== 4 && !HOST_RE.test(host))) {
    invalid(field, value, 'not a portal host[:port] (IPv4, a host name, or [IPv6])');
  }
  const port = m[3] === undefined ? 3260 : Number(m[3]);
  if (port < 1 || port > 65535) invalid(field, value, 'the port must be 1 to 65535');
  return `${v6 !== undefined ? `[${v6.toLowerCase()}]` : (host ?? '').toLowerCase()}:${port}`;
}

/** The udev path of a LUN of a logged-in target, for a `phy:` disk (`phy:/dev/disk/by-path/...`). */
export function iscsiDevicePath(target: Omit<IscsiTarget, 'kind'>, lun: number): string {
  if (!Number.isSafeInteger(lun) || lun < 0) invalid('lun', lun, 'must be a whole number from 0');
  return `/dev/disk/by-path/ip-${parsePortal(target.portal)}-iscsi-${parseIqn(target.iqn)}-lun-${lun}`;
}

/** The /etc/fstab line for an NFS export mounted where drover's netfs pool expects it. */
export function nfsFstabLine(server: string, exportPath: string, mountPoint: string): string {
  for (const [field, v] of [
    ['server', server],
    ['exportPath', exportPath],
    ['mountPoint', mountPoint],
  ] as const) {
    if (/[\s\\#]/.test(v) || v === '') invalid(field, v, 'must not be empty or hold spaces, # or \\ (fstab fields)');
  }
  return `${server}:${exportPath} ${mountPoint} nfs defaults,_netdev 0 0`;
}

/**
 * The host steps that prepare storage for a disk (or log in to an iSCSI target), in order:
 *
 * - dir, file: create the directory (libvirt's pool build would too, but the agent does it first
 *   so the pool starts on a fresh host).
 * - nfs: create the mount point, add an fstab line (the mount then survives reboots and libvirtd
 *   restarts; libvirt's netfs pool finds it already mounted and uses it), mount it.
 * - lvm: check the volume group exists and see its free space (libvirt creates the LVs).
 * - phy: check the device exists and read its size.
 * - iscsi: discover the portal's targets, log in to the target, and make the login automatic at boot.
 *
 * Where the host reaches shared storage in user space (`opts.clients`, no kernel client):
 *
 * - nfs: nothing to mount; check that the export answers QEMU's NFS client (nfs-ls, libnfs).
 * - iscsi: the target's iscsi-direct pool in libvirt, defined, autostarted and started (the
 *   user-space counterpart of the login and of node.startup=automatic), exactly as the agent
 *   defines it when a guest needs it.
 */
export function hostCommandsFor(target: DiskSpec | IscsiTarget, opts: PoolOptions): HostStep[] {
  switch (target.kind) {
    case 'dir':
    case 'file': {
      const pool = poolForDisk(target, opts);
      return pool ? [{ op: 'mkdir', path: pool.targetPath, mode: 0o755 }] : [];
    }
    case 'nfs': {
      if (opts.clients?.nfs === 'qemu') {
        const url = `nfs://${target.server}${target.exportPath}`;
        return [{ op: 'exec', argv: ['nfs-ls', url], purpose: `check ${url} answers QEMU's NFS client (no kernel NFS client here)` }];
      }
      const mountPoint = nfsMountPoint(target.server, target.exportPath, opts);
      return [
        { op: 'mkdir', path: mountPoint, mode: 0o755 },
        { op: 'fstab', mountPoint, line: nfsFstabLine(target.server, target.exportPath, mountPoint) },
        { op: 'exec', argv: ['mount', mountPoint], purpose: `mount ${target.server}:${target.exportPath}` },
      ];
    }
    case 'lvm':
      return [
        {
          op: 'exec',
          argv: ['vgs', '--noheadings', '--units', 'b', '--nosuffix', '-o', 'vg_name,vg_size,vg_free', '--', target.vg],
          purpose: `check volume group ${target.vg} exists and has room`,
        },
      ];
    case 'phy':
      return [{ op: 'exec', argv: ['blockdev', '--getsize64', target.device], purpose: `check device ${target.device} exists` }];
    case 'iscsi': {
      const portal = parsePortal(target.portal);
      const iqn = parseIqn(target.iqn);
      if (opts.clients?.iscsi === 'qemu') {
        const pool = iscsiDirectPool(portal, iqn, opts.initiatorIqn ?? '');
        return [
          { op: 'pool', pool, purpose: `libvirt's iscsi-direct pool for ${iqn}, logged in from user space (no kernel initiator here)` },
        ];
      }
      return [
        { op: 'exec', argv: ['iscsiadm', '-m', 'discovery', '-t', 'sendtargets', '-p', portal], purpose: `discover targets on ${portal}` },
        { op: 'exec', argv: ['iscsiadm', '-m', 'node', '-T', iqn, '-p', portal, '--login'], purpose: `log in to ${iqn}` },
        {
          op: 'exec',
          argv: ['iscsiadm', '-m', 'node', '-T', iqn, '-p', portal, '--op', 'update', '-n', 'node.startup', '-v', 'automatic'],
          purpose: `log in to ${iqn} again at boot`,
        },
      ];
    }
    default: {
      const never: never = target;
      return invalid('kind', (never as { kind?: unknown }).kind, 'not a storage kind');
    }
  }
}
