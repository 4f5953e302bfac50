/**
 * The proto GuestSpec (from the server's tables) as the domain module's GuestSpec. Field names in
 * errors are the proto's (`spec.memory_mib`, `spec.nics[0].mac`), so the caller can find them.
 */
import { randomUUID } from 'node:crypto';
import { invalidArgument, type GuestSpec__Output } from '@drover/contract';
import { SpecError, validateSpec, type GuestDisk, type GuestNic, type GuestSpec, type Hypervisor } from '../domain/index.js';
import type { ResolvedDisk } from '../disks/resolve.js';
import { NFS_IDENTITY } from '../disks/plan.js';

const FIELD_NAMES: [RegExp, string][] = [
  [/^memoryMiB/, 'memory_mib'],
  [/^hypervisor/, 'hv_type'],
  [/^cpu\.mode/, 'cpu_mode'],
  [/^cpu\.model/, 'cpu_model'],
  [/^boot\b/, 'boot_order'],
  [/^serial\.logFile/, 'serial_console'],
  [/^vnc\.passwd/, 'vnc.password'],
];

/** The proto name of a domain-module field, e.g. memoryMiB -> spec.memory_mib, disks[0].path -> spec.disks[0].path. */
export function protoField(field: string, prefix = 'spec.'): string {
  for (const [re, name] of FIELD_NAMES) if (re.test(field)) return `${prefix}${field.replace(re, name)}`;
  return `${prefix}${field}`;
}

/** Re-throws a SpecError as INVALID_ARGUMENT naming the proto field. */
export function specInvalid(e: unknown, prefix = 'spec.'): never {
  if (e instanceof SpecError) {
    const field = protoField(e.field, prefix);
    throw invalidArgument(`${field}${e.message.slice(e.field.length)}`);
  }
  throw e;
}

export function toGuestSpec(spec: GuestSpec__Output, disks: readonly ResolvedDisk[], defaultHv: Hypervisor, consoleLogDir = ''): GuestSpec {
  const hvType = spec.hvType || defaultHv;
  if (hvType !== 'kvm' && hvType !== 'qemu' && hvType !== 'xen')
    throw invalidArgument(`spec.hv_type: must be kvm, qemu or xen (got ${JSON.stringify(spec.hvType)})`);
  const hv: Hypervisor = hvType;
  const nics: GuestNic[] = spec.nics.map((n) => {
    const common = { model: (n.model || (hv === 'xen' ? 'e1000' : 'virtio')) as GuestNic['model'], ...(n.mac ? { mac: n.mac } : {}) };
    if (n.bridge && n.network) return { ...common, bridge: n.bridge, network: n.network } as unknown as GuestNic;
    if (n.network) return { ...common, network: n.network };
    return { ...common, bridge: n.bridge };
  });
  const gdisks: GuestDisk[] = disks.map((d) => {
    const bus = (d.disk.bus || (hv === 'xen' ? 'xen' : 'virtio')) as GuestDisk['bus'];
    // Disks on shared storage bypass the host's page cache: a guest that moves leaves nothing behind.
    const common = {
      format: d.format,
      bus,
      ...(d.disk.target ? { target: d.disk.target } : {}),
      ...(d.storage ? { cache: 'none' as const } : {}),
    };
    if (d.network) return { ...common, network: { protocol: 'nfs', host: d.network.server, name: d.network.name, identity: NFS_IDENTITY } };
    if (d.volume !== undefined) return { ...common, volume: { pool: d.pool?.name ?? '', volume: d.volume } };
    return d.path !== undefined ? { ...common, path: d.path } : { ...common, device: d.device ?? '' };
  });
  let cpu: GuestSpec['cpu'];
  if (spec.cpuMode === 'custom') cpu = { mode: 'custom', model: spec.cpuModel };
  else if (spec.cpuMode) cpu = { mode: spec.cpuMode } as GuestSpec['cpu'];
  const memoryMiB = Number(spec.memoryMib);
  const out: GuestSpec = {
    name: spec.name,
    uuid: spec.uuid || randomUUID(),
    hypervisor: hv,
    memoryMiB,
    vcpus: spec.vcpus,
    ...(spec.machine ? { machine: spec.machine } : {}),
    ...(cpu ? { cpu } : {}),
    nics,
    disks: gdisks,
    boot: spec.bootOrder as GuestSpec['boot'],
    // The serial output is also kept in <console.logDir>/<guest>.log when configured (appended, so a
    // log on shared storage carries one guest's history across migrations).
    ...(spec.serialConsole ? { serial: consoleLogDir ? { logFile: `${consoleLogDir.replace(/\/+$/, '')}/${spec.name}.log` } : {} } : {}),
    ...(spec.vnc?.enabled
      ? {
          vnc: {
            listen: spec.vnc.listen || '127.0.0.1',
            ...(spec.vnc.port > 0 ? { port: spec.vnc.port } : {}),
            ...(spec.vnc.password ? { passwd: spec.vnc.password } : {}),
          },
        }
      : {}),
  };
  try {
    validateSpec(out);
  } catch (e) {
    specInvalid(e);
  }
  return out;
}

/** Adds drover's metadata element (what marks a domain as managed) after the `<uuid>` of generated XML. */
export function withDroverMetadata(xml: string, attrs: Record<string, string>): string {
  const a = Object.entries(attrs)
    .map(([k, v]) => ` ${k}="${v.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;')}"`)
    .join('');
  const el = `  <metadata>\n    <drover:guest xmlns:drover="https://drover.dev/xmlns/guest/1"${a}/>\n  </metadata>\n`;
  const at = xml.indexOf('</uuid>');
  if (at < 0) throw new Error('generated domain XML has no <uuid>');
  const end = xml.indexOf('\n', at) + 1;
  return xml.slice(0, end) + el + xml.slice(end);
}
