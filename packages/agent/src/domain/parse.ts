import { type BootDevice } from './attrs.js';
import { SpecError } from './errors.js';
import { type CpuSpec } from './spec.js';
import { ATTR, readXml } from './xml.js';

/** A disk as read back from domain XML. */
export interface DomainDisk {
  /** `disk`, `cdrom`, ... as in `<disk device=...>`. */
  readonly kind: string;
  readonly path?: string;
  readonly device?: string;
  readonly format?: string;
  readonly target?: string;
  readonly bus?: string;
}

/** A NIC as read back from domain XML. */
export interface DomainNic {
  readonly type: string;
  readonly bridge?: string;
  readonly network?: string;
  readonly model?: string;
  readonly mac?: string;
}

/** The VNC display as read back; `port` is the live port of a running domain. */
export interface DomainVnc {
  readonly autoport: boolean;
  readonly port?: number;
  readonly listen?: string;
  readonly hasPasswd: boolean;
}

/**
 * What drover reads back from a domain's XML (`virDomainGetXMLDesc`): the parts of a GuestSpec a
 * live domain can tell, as found. Values libvirt does not have are absent, not guessed.
 */
export interface DomainInfo {
  readonly type?: string;
  readonly name?: string;
  readonly uuid?: string;
  readonly memoryMiB?: number;
  readonly vcpus?: number;
  readonly machine?: string;
  readonly emulator?: string;
  readonly cpu?: CpuSpec;
  /** The features a custom CPU requires (policy require or force, or no policy), sorted. */
  readonly cpuFeatures?: readonly string[];
  /** From `<os><boot>`, or else from per-device `<boot order>`. */
  readonly boot: BootDevice[];
  readonly disks: DomainDisk[];
  readonly nics: DomainNic[];
  /** True when the domain has a pty serial console. */
  readonly serial: boolean;
  /** The pty of the first serial port of a running domain (`/dev/pts/N`). */
  readonly serialPty?: string;
  readonly vnc?: DomainVnc;
}

type El = Record<string, unknown>;

const UNIT_BYTES: Record<string, number> = {
  b: 1,
  bytes: 1,
  kb: 1e3,
  k: 1024,
  kib: 1024,
  mb: 1e6,
  m: 1024 ** 2,
  mib: 1024 ** 2,
  gb: 1e9,
  g: 1024 ** 3,
  gib: 1024 ** 3,
  tb: 1e12,
  t: 1024 ** 4,
  tib: 1024 ** 4,
};

function el(v: unknown): El | undefined {
  if (v !== null && typeof v === 'object' && !Array.isArray(v)) return v as El;
  if (typeof v === 'string') return { '#text': v };
  return undefined;
}
function list(v: unknown): El[] {
  if (Array.isArray(v)) return v.map(el).filter((x): x is El => x !== undefined);
  const one = el(v);
  return one ? [one] : [];
}
function attr(e: El | undefined, name: string): string | undefined {
  const v = e?.[ATTR + name];
  return typeof v === 'string' ? v : undefined;
}
function text(v: unknown): string | undefined {
  if (typeof v === 'string') return v;
  const t = el(v)?.['#text'];
  return typeof t === 'string' ? t : undefined;
}
function int(v: string | undefined): number | undefined {
  if (v === undefined || !/^-?\d+$/.test(v.trim())) return undefined;
  return Number(v);
}

function memoryMiB(mem: unknown): number | undefined {
  const n = int(text(mem));
  if (n === undefined) return undefined;
  const unit = (attr(el(mem), 'unit') ?? 'KiB').toLowerCase();
  const mult = Object.hasOwn(UNIT_BYTES, unit) ? UNIT_BYTES[unit] : undefined;
  return mult === undefined ? undefined : Math.round((n * mult) / 1024 ** 2);
}

function bootDevice(libvirtDev: string | undefined): BootDevice | undefined {
  if (libvirtDev === 'network') return 'network';
  if (libvirtDev === 'hd') return 'disk';
  if (libvirtDev === 'cdrom') return 'cdrom';
  return undefined;
}

/**
 * Reads drover's view of a domain from its XML: boot order, disks, MACs, VNC port, console.
 * Throws a SpecError (code DOMAIN_XML_INVALID) when the text is not a `<domain>` document.
 */
export function parseDomainXml(xml: string): DomainInfo {
  let doc: El;
  try {
    doc = readXml(xml);
  } catch (err) {
    throw new SpecError('DOMAIN_XML_INVALID', 'xml', undefined, 'not well-formed XML', { cause: err });
  }
  const domain = el(doc.domain);
  if (!domain) throw new SpecError('DOMAIN_XML_INVALID', 'xml', undefined, 'no <domain> element');
  const os = el(domain.os);
  const devices = el(domain.devices) ?? {};

  const disks = list(devices.disk).map((d): DomainDisk => {
    const source = el(d.source);
    const target = el(d.target);
    const out: Record<string, string | undefined> = {
      kind: attr(d, 'device') ?? 'disk',
      path: attr(source, 'file'),
      device: attr(source, 'dev'),
      format: attr(el(d.driver), 'type'),
      target: attr(target, 'dev'),
      bus: attr(target, 'bus'),
    };
    return stripUndefined(out) as unknown as DomainDisk;
  });

  const nics = list(devices.interface).map((n): DomainNic => {
    const source = el(n.source);
    return stripUndefined({
      type: attr(n, 'type') ?? 'unknown',
      bridge: attr(source, 'bridge'),
      network: attr(source, 'network'),
      model: attr(el(n.model), 'type'),
      mac: attr(el(n.mac), 'address')?.toLowerCase(),
    }) as unknown as DomainNic;
  });

  let boot = list(os?.boot)
    .map((b) => bootDevice(attr(b, 'dev')))
    .filter((b): b is BootDevice => b !== undefined);
  if (boot.length === 0) {
    // Per-device boot order (<boot order='N'/> inside a disk or interface).
    const ordered: Array<{ order: number; dev: BootDevice }> = [];
    for (const d of list(devices.disk)) {
      const order = int(attr(list(d.boot)[0], 'order'));
      if (order !== undefined) ordered.push({ order, dev: attr(d, 'device') === 'cdrom' ? 'cdrom' : 'disk' });
    }
    for (const n of list(devices.interface)) {
      const order = int(attr(list(n.boot)[0], 'order'));
      if (order !== undefined) ordered.push({ order, dev: 'network' });
    }
    ordered.sort((a, b) => a.order - b.order);
    boot = [...new Set(ordered.map((o) => o.dev))];
  }

  const serials = list(devices.serial);
  const ptySerial = serials.find((s) => attr(s, 'type') === 'pty');
  const vncEl = list(devices.graphics).find((g) => attr(g, 'type') === 'vnc');
  let vnc: DomainVnc | undefined;
  if (vncEl) {
    const port = int(attr(vncEl, 'port'));
    vnc = stripUndefined({
      autoport: attr(vncEl, 'autoport') === 'yes' || port === -1,
      port: port !== undefined && port > 0 ? port : undefined,
      listen: attr(vncEl, 'listen') ?? attr(list(vncEl.listen)[0], 'address'),
      hasPasswd: attr(vncEl, 'passwd') !== undefined,
    }) as unknown as DomainVnc;
  }

  const cpuEl = el(domain.cpu);
  let cpu: CpuSpec | undefined;
  const cpuMode = attr(cpuEl, 'mode') ?? (cpuEl?.model !== undefined ? 'custom' : undefined);
  if (cpuMode === 'host-model' || cpuMode === 'host-passthrough') cpu = { mode: cpuMode };
  // libvirt: "maximum" is functionally identical to host-passthrough under hardware virtualization.
  else if (cpuMode === 'maximum') cpu = { mode: 'host-passthrough' };
  else if (cpuMode === 'custom') {
    const model = text(cpuEl?.model);
    if (model !== undefined) cpu = { mode: 'custom', model };
  }
  const required =
    cpu?.mode === 'custom'
      ? list(cpuEl?.feature)
          .filter((f) => ['require', 'force', undefined].includes(attr(f, 'policy')))
          .map((f) => attr(f, 'name'))
          .filter((n): n is string => !!n)
      : [];

  const osType = el(os?.type);
  return stripUndefined({
    type: attr(domain, 'type'),
    name: text(domain.name),
    uuid: text(domain.uuid),
    memoryMiB: memoryMiB(domain.memory),
    vcpus: int(text(domain.vcpu)),
    machine: attr(osType, 'machine'),
    emulator: text(devices.emulator),
    cpu,
    cpuFeatures: required.length ? [...new Set(required)].sort() : undefined,
    boot,
    disks,
    nics,
    serial: ptySerial !== undefined,
    serialPty: attr(el(ptySerial?.source), 'path'),
    vnc,
  }) as unknown as DomainInfo;
}

function stripUndefined<T extends Record<string, unknown>>(o: T): T {
  for (const k of Object.keys(o)) if (o[k] === undefined) delete o[k];
  return o;
}
