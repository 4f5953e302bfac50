/** Checks that this machine can run lab hosts, and says in one line what is missing. */
import { accessSync, constants, readFileSync } from 'node:fs';
import { delimiter, join } from 'node:path';

/** Raised by startLab/`lab up` when the machine lacks something the lab needs. */
export class LabUnavailableError extends Error {
  override readonly name = 'LabUnavailableError';
}

const TOOLS: ReadonlyArray<[binary: string, pkg: string]> = [
  ['libvirtd', 'libvirt-daemon libvirt-daemon-driver-qemu'],
  ['virsh', 'libvirt-clients'],
  ['qemu-system-x86_64', 'qemu-system-x86'],
  ['qemu-img', 'qemu-utils'],
  ['as', 'binutils'],
  ['ld', 'binutils'],
  ['ip', 'iproute2'],
  ['tc', 'iproute2'],
  ['mount', 'mount'],
];

const PATHS = (process.env.PATH ?? '').split(delimiter).concat(['/usr/sbin', '/sbin', '/usr/bin', '/bin']);

export function which(binary: string): string | null {
  for (const dir of PATHS) {
    if (!dir) continue;
    const p = join(dir, binary);
    try {
      accessSync(p, constants.X_OK);
      return p;
    } catch {
      /* next */
    }
  }
  return null;
}

function hasCap(bit: number): boolean {
  try {
    const m = /^CapEff:\s*([0-9a-f]+)$/m.exec(readFileSync('/proc/self/status', 'utf8'));
    return m?.[1] ? (BigInt(`0x${m[1]}`) & (1n << BigInt(bit))) !== 0n : false;
  } catch {
    return false;
  }
}

/** Returns the one-line reason the lab cannot run here, or null when everything is present. */
export function missingCapability(): string | null {
  if (process.platform !== 'linux') return 'lab: needs Linux (network namespaces, libvirtd, QEMU)';
  if (process.getuid?.() !== 0) return 'lab: must run as root (it creates network namespaces, bridges and bind mounts); rerun with sudo';
  const caps: string[] = [];
  if (!hasCap(12)) caps.push('CAP_NET_ADMIN');
  if (!hasCap(21)) caps.push('CAP_SYS_ADMIN');
  if (caps.length)
    return `lab: missing ${caps.join(' and ')} (needed for network namespaces and bind mounts); run in a privileged container or VM`;
  const missing = TOOLS.filter(([b]) => !which(b));
  if (missing.length) {
    const pkgs = [...new Set(missing.flatMap(([, p]) => p.split(' ')))];
    return `lab: missing ${missing.map(([b]) => b).join(', ')}; run \`npm run setup\` or \`apt-get install -y --no-install-recommends ${pkgs.join(' ')}\``;
  }
  try {
    if (!/^libvirt-qemu:/m.test(readFileSync('/etc/passwd', 'utf8'))) {
      return 'lab: the user libvirt-qemu does not exist (the QEMU driver refuses to start without it); run `npm run setup` or `groupadd -r libvirt-qemu; useradd -r -g libvirt-qemu -M -d /var/lib/libvirt -s /usr/sbin/nologin libvirt-qemu`';
    }
  } catch {
    /* no /etc/passwd: let libvirtd say what is wrong */
  }
  return null;
}

export function assertCapable(): void {
  const why = missingCapability();
  if (why) throw new LabUnavailableError(why);
}
