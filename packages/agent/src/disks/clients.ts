/**
 * How this host reaches shared storage: through its kernel (an NFS mount under a netfs pool; the
 * open-iscsi initiator and its /dev/disk/by-path devices) or through QEMU's and libvirt's own
 * user-space clients (QEMU's libnfs driver behind a network disk; libvirt's iscsi-direct pool on
 * libiscsi). A kernel without the NFS client or the iSCSI initiator (containers, some cloud
 * kernels, the lab machine) still runs guests on both, in user space.
 */
import { existsSync, readFileSync } from 'node:fs';
import { release } from 'node:os';
import { delimiter, join } from 'node:path';

export type ClientKind = 'kernel' | 'qemu';

export interface StorageClients {
  readonly nfs: ClientKind;
  readonly iscsi: ClientKind;
}

/** What detection looks at, so that it can be tested with made-up hosts. */
export interface ClientProbe {
  /** Contents of /proc/filesystems. */
  filesystems(): string;
  /** Contents of /proc/modules. */
  modules(): string;
  /** Whether a kernel module is installed for the running kernel (under /lib/modules/<release>). */
  moduleInstalled(relPath: string): boolean;
  /** Whether a program is on PATH (or at an absolute path). */
  hasProgram(name: string): boolean;
}

const read = (p: string): string => {
  try {
    return readFileSync(p, 'utf8');
  } catch {
    return '';
  }
};

export const hostProbe: ClientProbe = {
  filesystems: () => read('/proc/filesystems'),
  modules: () => read('/proc/modules'),
  moduleInstalled: (rel) => existsSync(join('/lib/modules', release(), 'kernel', rel)),
  hasProgram: (name) =>
    name.startsWith('/')
      ? existsSync(name)
      : [...(process.env.PATH ?? '').split(delimiter), '/sbin', '/usr/sbin'].some((d) => d && existsSync(join(d, name))),
};

/** The kernel mounts NFS: the nfs file system is registered or its module installed, and mount.nfs exists. */
export function kernelNfs(p: ClientProbe): boolean {
  const fs = /\tnfs4?\n/.test(`${p.filesystems()}\n`) || p.moduleInstalled('fs/nfs');
  return fs && (p.hasProgram('mount.nfs') || p.hasProgram('/sbin/mount.nfs'));
}

/** The kernel has an iSCSI initiator: iscsi_tcp loaded or installed, and iscsiadm (open-iscsi) present. */
export function kernelIscsi(p: ClientProbe): boolean {
  const mod =
    /^iscsi_tcp /m.test(p.modules()) || ['', '.xz', '.zst', '.gz'].some((z) => p.moduleInstalled(`drivers/scsi/iscsi_tcp.ko${z}`));
  return mod && p.hasProgram('iscsiadm');
}

/** The clients to use: the configured ones, or (auto) the kernel's where it has them. */
export function storageClients(
  cfg: { nfsClient: 'auto' | ClientKind; iscsiClient: 'auto' | ClientKind },
  p: ClientProbe = hostProbe,
): StorageClients {
  return {
    nfs: cfg.nfsClient !== 'auto' ? cfg.nfsClient : kernelNfs(p) ? 'kernel' : 'qemu',
    iscsi: cfg.iscsiClient !== 'auto' ? cfg.iscsiClient : kernelIscsi(p) ? 'kernel' : 'qemu',
  };
}

/** This host's initiator name for the iscsi-direct pool: configured, or derived from the host name. */
export function initiatorIqn(configured: string, host: string): string {
  if (configured) return configured.toLowerCase();
  const label = host.toLowerCase().replace(/[^a-z0-9.-]/g, '-') || 'host';
  return `iqn.2024-01.dev.drover:${label}`;
}
