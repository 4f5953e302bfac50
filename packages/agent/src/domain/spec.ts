import { isIP } from 'node:net';
import {
  MAX_CPUS,
  NIC_MODELS,
  isValidBridgeName,
  isValidMac,
  isValidNetworkName,
  isValidNodeName,
  pathProblem,
  type BootDevice,
  type DiskFormat,
  type NicModel,
} from './attrs.js';
import { SpecError } from './errors.js';

/** Which libvirt driver runs the guest: KVM, plain QEMU (TCG, as in the lab), or Xen via libxl. */
export type Hypervisor = 'kvm' | 'qemu' | 'xen';
/** Disk buses: virtio/ide/sata for QEMU guests; xen (xvdX) or ide for Xen HVM guests. */
export type DiskBus = 'virtio' | 'ide' | 'sata' | 'xen';

interface NicCommon {
  readonly model: NicModel;
  /** Without a MAC libvirt invents one; drover normally passes the node's recorded MAC. */
  readonly mac?: string;
}
/** A NIC on a host bridge or on a libvirt network. */
export type GuestNic =
  (NicCommon & { readonly bridge: string; readonly network?: never }) | (NicCommon & { readonly network: string; readonly bridge?: never });

interface DiskCommon {
  readonly format: DiskFormat;
  readonly bus: DiskBus;
  /** Target device name (vda, hda, sdb, xvda); derived from the bus and position when absent. */
  readonly target?: string;
  /**
   * Host page cache: 'none' (O_DIRECT; what shared storage wants, so that nothing a guest wrote
   * waits in one host's cache when the guest moves). Absent: the hypervisor's default.
   */
  readonly cache?: 'none';
}
/** A file QEMU opens over NFS with its own client (`<disk type='network'><source protocol='nfs'>`). */
export interface NetworkDisk {
  readonly protocol: 'nfs';
  /** The NFS server. */
  readonly host: string;
  /** Path of the file on the server. */
  readonly name: string;
  /**
   * Who QEMU's NFS client says it is (AUTH_SYS): libvirt requires it in the XML. drover uses root,
   * which the howto's export (`/vms *(rw,no_root_squash,sync)`) lets write the disk files it made.
   */
  readonly identity: { readonly user: string; readonly group: string };
}
/** A volume of a libvirt storage pool (`<disk type='volume'>`), e.g. a LUN of an iscsi-direct pool. */
export interface PoolVolume {
  readonly pool: string;
  readonly volume: string;
}
type DiskSourceKey = 'path' | 'device' | 'network' | 'volume';
type OnlySource<K extends DiskSourceKey, T> = DiskCommon & { readonly [P in K]: T } & { readonly [P in Exclude<DiskSourceKey, K>]?: never };
/**
 * A disk backed by an image file, a block device (an LV, a kernel-initiator iSCSI LUN, a local
 * disk), a file on NFS opened by QEMU itself, or a pool volume (an iSCSI LUN through libiscsi).
 */
export type GuestDisk =
  OnlySource<'path', string> | OnlySource<'device', string> | OnlySource<'network', NetworkDisk> | OnlySource<'volume', PoolVolume>;

/** CPU model the guest sees; absent means libvirt's default for the hypervisor. */
export type CpuSpec =
  { readonly mode: 'host-model' } | { readonly mode: 'host-passthrough' } | { readonly mode: 'custom'; readonly model: string };

/** A serial port on a pty with a console on it, so `virsh console` (and rcons) reach it. */
export interface SerialSpec {
  /** Also copy the serial output to this file on the host. */
  readonly logFile?: string;
}

/** A VNC display. */
export interface VncSpec {
  /** Address to listen on (an IP address; 127.0.0.1 for local only, 0.0.0.0 for all). */
  readonly listen: string;
  /** VNC password (VNC authentication uses at most 8 characters). */
  readonly passwd?: string;
  /** A fixed TCP port (5900 and up); absent means libvirt picks one (autoport). */
  readonly port?: number;
}

/** Everything drover-agent needs to define a guest. */
export interface GuestSpec {
  readonly name: string;
  readonly uuid: string;
  readonly hypervisor: Hypervisor;
  readonly memoryMiB: number;
  readonly vcpus: number;
  /** Machine type; default `pc` for kvm/qemu and `xenfv` (HVM) for xen. */
  readonly machine?: string;
  /** Emulator binary (device model for xen); default the driver's own. */
  readonly emulator?: string;
  readonly cpu?: CpuSpec;
  readonly nics: readonly GuestNic[];
  readonly disks: readonly GuestDisk[];
  /** Boot devices in order, e.g. ['network', 'disk'] while installing. */
  readonly boot: readonly BootDevice[];
  readonly serial?: SerialSpec;
  readonly vnc?: VncSpec;
  /** false removes the balloon device (`<memballoon model='none'/>`, as the lab guests use); kvm/qemu only. */
  readonly memballoon?: boolean;
}

const HYPERVISORS: readonly Hypervisor[] = ['kvm', 'qemu', 'xen'];
const BOOT_DEVICES: readonly BootDevice[] = ['network', 'disk', 'cdrom'];
const UUID_RE = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;
const WORD_RE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
const BUS_PREFIX: Record<DiskBus, string> = { virtio: 'vd', ide: 'hd', sata: 'sd', xen: 'xvd' };
const BUSES_FOR: Record<Hypervisor, readonly DiskBus[]> = {
  kvm: ['virtio', 'ide', 'sata'],
  qemu: ['virtio', 'ide', 'sata'],
  xen: ['xen', 'ide'],
};
const NIC_MODELS_FOR: Record<Hypervisor, readonly NicModel[]> = { kvm: NIC_MODELS, qemu: NIC_MODELS, xen: ['e1000', 'rtl8139'] };

/** The default machine type of a hypervisor. */
export function defaultMachine(hv: Hypervisor): string {
  return hv === 'xen' ? 'xenfv' : 'pc';
}

/**
 * The target name of the n-th disk (from 0) on a bus: vda, vdb, ... vdz, vdaa, vdab... (the
 * same letter sequence libvirt and Linux use).
 */
export function diskTargetName(bus: DiskBus, n: number): string {
  if (!Number.isSafeInteger(n) || n < 0) throw new RangeError(`diskTargetName: bad index ${n}`);
  let letters = '';
  let i = n;
  do {
    letters = String.fromCharCode(97 + (i % 26)) + letters;
    i = Math.floor(i / 26) - 1;
  } while (i >= 0);
  return BUS_PREFIX[bus] + letters;
}

/** Targets for every disk of a spec: given ones as they are, missing ones by bus and position on that bus. */
export function diskTargets(disks: readonly GuestDisk[]): string[] {
  const perBus = new Map<DiskBus, number>();
  return disks.map((d) => {
    const n = perBus.get(d.bus) ?? 0;
    perBus.set(d.bus, n + 1);
    return d.target ?? diskTargetName(d.bus, n);
  });
}

function invalid(field: string, value: unknown, problem: string): never {
  throw new SpecError('SPEC_INVALID', field, value, problem);
}
function unsupported(field: string, value: unknown, problem: string): never {
  throw new SpecError('SPEC_UNSUPPORTED', field, value, problem);
}

function checkPath(field: string, value: unknown, mustBeUnder?: string): void {
  if (typeof value !== 'string') invalid(field, value, 'must be a path');
  const problem = pathProblem(value);
  if (problem) invalid(field, value, problem);
  if (value.endsWith('/')) invalid(field, value, 'must not end with /');
  if (mustBeUnder && !value.startsWith(mustBeUnder)) invalid(field, value, `must be under ${mustBeUnder}`);
}

function checkInt(field: string, value: unknown, min: number, max: number): void {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min || value > max) {
    invalid(field, value, `must be a whole number from ${min} to ${max}`);
  }
}

/**
 * Checks a spec before any XML is made from it and throws a SpecError naming the first bad field.
 * It guards what the XML builder cannot: names and paths that would be unsafe in a file name, a
 * shell or a NATS subject, values libvirt would refuse late (memory 0, duplicate targets), and
 * devices the chosen hypervisor does not have (virtio on Xen).
 */
export function validateSpec(spec: GuestSpec): void {
  if (typeof spec !== 'object' || spec === null) invalid('spec', spec, 'must be an object');
  if (typeof spec.name !== 'string' || !isValidNodeName(spec.name)) {
    invalid('name', spec.name, 'must be 1 to 63 letters, digits and - (a DNS label)');
  }
  if (typeof spec.uuid !== 'string' || !UUID_RE.test(spec.uuid)) invalid('uuid', spec.uuid, 'must be a UUID');
  if (!HYPERVISORS.includes(spec.hypervisor)) invalid('hypervisor', spec.hypervisor, 'must be kvm, qemu or xen');
  const hv = spec.hypervisor;
  checkInt('memoryMiB', spec.memoryMiB, 1, 16 * 1024 * 1024);
  checkInt('vcpus', spec.vcpus, 1, MAX_CPUS);
  if (spec.machine !== undefined && (typeof spec.machine !== 'string' || !WORD_RE.test(spec.machine))) {
    invalid('machine', spec.machine, 'must be a machine type name such as pc or q35');
  }
  if (spec.emulator !== undefined) checkPath('emulator', spec.emulator);

  if (spec.cpu !== undefined) {
    const mode: unknown = spec.cpu.mode;
    if (mode !== 'host-model' && mode !== 'host-passthrough' && mode !== 'custom') {
      invalid('cpu.mode', mode, 'must be host-model, host-passthrough or custom');
    }
    if (spec.cpu.mode === 'custom' && (typeof spec.cpu.model !== 'string' || !WORD_RE.test(spec.cpu.model))) {
      invalid('cpu.model', spec.cpu.model, 'must be a CPU model name such as Haswell');
    }
    if (hv === 'qemu' && mode === 'host-passthrough') {
      unsupported('cpu.mode', mode, 'plain QEMU (TCG) has no host CPU to pass through; use kvm or another mode');
    }
  }

  if (!Array.isArray(spec.nics)) invalid('nics', spec.nics, 'must be a list');
  const macs = new Set<string>();
  spec.nics.forEach((nic, i) => {
    const f = `nics[${i}]`;
    const hasBridge = nic.bridge !== undefined;
    const hasNetwork = nic.network !== undefined;
    if (hasBridge === hasNetwork) invalid(f, nic, 'needs exactly one of bridge and network');
    if (hasBridge && (typeof nic.bridge !== 'string' || !isValidBridgeName(nic.bridge)))
      invalid(`${f}.bridge`, nic.bridge, 'not a bridge name');
    if (hasNetwork && (typeof nic.network !== 'string' || !isValidNetworkName(nic.network)))
      invalid(`${f}.network`, nic.network, 'not a network name');
    if (!NIC_MODELS.includes(nic.model)) invalid(`${f}.model`, nic.model, `must be one of ${NIC_MODELS.join(', ')}`);
    if (!NIC_MODELS_FOR[hv].includes(nic.model))
      unsupported(`${f}.model`, nic.model, `not available on ${hv}; use ${NIC_MODELS_FOR[hv].join(' or ')}`);
    if (nic.mac !== undefined) {
      if (typeof nic.mac !== 'string' || !isValidMac(nic.mac))
        invalid(`${f}.mac`, nic.mac, 'not a unicast MAC address such as 02:1a:2b:3c:4d:5e');
      const mac = nic.mac.toLowerCase();
      if (macs.has(mac)) invalid(`${f}.mac`, nic.mac, 'MAC used by another NIC of this guest');
      macs.add(mac);
    }
  });

  if (!Array.isArray(spec.disks)) invalid('disks', spec.disks, 'must be a list');
  spec.disks.forEach((disk, i) => {
    const f = `disks[${i}]`;
    const hasPath = disk.path !== undefined;
    const hasDevice = disk.device !== undefined;
    const sources = [hasPath, hasDevice, disk.network !== undefined, disk.volume !== undefined].filter(Boolean).length;
    if (sources !== 1) invalid(f, disk, 'needs exactly one of path, device, network and volume');
    if (hasPath) checkPath(`${f}.path`, disk.path);
    if (hasDevice) checkPath(`${f}.device`, disk.device, '/dev/');
    if (disk.network !== undefined) {
      if (disk.network.protocol !== 'nfs') invalid(`${f}.network.protocol`, disk.network.protocol, 'must be nfs');
      if (typeof disk.network.host !== 'string' || !/^[A-Za-z0-9][A-Za-z0-9.-]*$/.test(disk.network.host))
        invalid(`${f}.network.host`, disk.network.host, 'must be a host name or IPv4 address');
      checkPath(`${f}.network.name`, disk.network.name);
      for (const k of ['user', 'group'] as const)
        if (!/^[a-z_][a-z0-9_-]{0,31}$/.test(disk.network.identity?.[k] ?? ''))
          invalid(`${f}.network.identity.${k}`, disk.network.identity?.[k], 'must be a user or group name');
    }
    if (disk.volume !== undefined) {
      for (const k of ['pool', 'volume'] as const)
        if (typeof disk.volume[k] !== 'string' || !/^[A-Za-z0-9_.:+-]{1,255}$/.test(disk.volume[k]))
          invalid(`${f}.volume.${k}`, disk.volume[k], 'must be 1 to 255 letters, digits and _ . : + -');
    }
    if (disk.cache !== undefined && disk.cache !== 'none') invalid(`${f}.cache`, disk.cache, 'must be none or absent');
    if (disk.format !== 'raw' && disk.format !== 'qcow2') invalid(`${f}.format`, disk.format, 'must be raw or qcow2');
    if (!Object.hasOwn(BUS_PREFIX, disk.bus)) invalid(`${f}.bus`, disk.bus, 'must be virtio, ide, sata or xen');
    if (!BUSES_FOR[hv].includes(disk.bus)) unsupported(`${f}.bus`, disk.bus, `not available on ${hv}; use ${BUSES_FOR[hv].join(' or ')}`);
  });
  const targets = diskTargets(spec.disks);
  const seenTargets = new Set<string>();
  targets.forEach((target, i) => {
    const disk = spec.disks[i];
    if (!disk) return;
    const prefix = BUS_PREFIX[disk.bus];
    const field = `disks[${i}].target`;
    if (!new RegExp(`^${prefix}[a-z]{1,3}$`).test(target)) invalid(field, target, `a ${disk.bus} disk is named ${prefix}a, ${prefix}b...`);
    if (disk.bus === 'ide' && !/^hd[a-d]$/.test(target)) invalid(field, target, 'IDE has four places, hda to hdd');
    if (seenTargets.has(target)) invalid(field, target, 'target used by another disk of this guest');
    seenTargets.add(target);
  });

  if (!Array.isArray(spec.boot)) invalid('boot', spec.boot, 'must be a list');
  const seenBoot = new Set<string>();
  spec.boot.forEach((dev, i) => {
    if (!BOOT_DEVICES.includes(dev)) invalid(`boot[${i}]`, dev, 'must be network, disk or cdrom');
    if (seenBoot.has(dev)) invalid(`boot[${i}]`, dev, 'boot device listed twice');
    seenBoot.add(dev);
  });

  if (spec.serial?.logFile !== undefined) checkPath('serial.logFile', spec.serial.logFile);

  if (spec.vnc !== undefined) {
    if (typeof spec.vnc.listen !== 'string' || isIP(spec.vnc.listen) === 0) invalid('vnc.listen', spec.vnc.listen, 'must be an IP address');
    if (spec.vnc.port !== undefined) checkInt('vnc.port', spec.vnc.port, 5900, 65535);
    if (spec.vnc.passwd !== undefined) checkVncPassword('vnc.passwd', spec.vnc.passwd);
  }
  if (spec.memballoon !== undefined && typeof spec.memballoon !== 'boolean')
    invalid('memballoon', spec.memballoon, 'must be true or false');
  if (spec.memballoon === false && hv === 'xen') unsupported('memballoon', false, 'the balloon switch is for QEMU guests');
}

/** VNC authentication reads at most 8 characters; longer would silently weaken to the first 8. */
export function checkVncPassword(field: string, value: unknown): void {
  if (typeof value !== 'string' || !/^[\x21-\x7e]{1,8}$/.test(value)) {
    invalid(field, value === undefined ? undefined : '(hidden)', 'must be 1 to 8 printable ASCII characters without spaces');
  }
}
