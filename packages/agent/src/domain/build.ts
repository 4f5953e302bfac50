import { type BootDevice } from './attrs.js';
import { defaultMachine, diskTargets, validateSpec, type GuestDisk, type GuestNic, type GuestSpec, type VncSpec } from './spec.js';
import { ATTR, buildXml } from './xml.js';

type El = Record<string, unknown>;

/** libvirt's name for a boot device in `<os><boot dev=...>`. */
export const LIBVIRT_BOOT_DEV: Record<BootDevice, string> = { network: 'network', disk: 'hd', cdrom: 'cdrom' };

function attrs(map: Record<string, string | number | undefined>): El {
  const out: El = {};
  for (const [k, v] of Object.entries(map)) if (v !== undefined) out[ATTR + k] = String(v);
  return out;
}

function diskEl(disk: GuestDisk, target: string, spec: GuestSpec): El {
  const isBlock = disk.device !== undefined;
  // libxl takes block devices through its "phy" backend and image files through QEMU's qdisk.
  const driverName = spec.hypervisor === 'xen' && isBlock ? 'phy' : 'qemu';
  let type: string;
  let source: El;
  if (disk.network !== undefined) {
    type = 'network';
    source = {
      ...attrs({ protocol: disk.network.protocol, name: disk.network.name }),
      host: attrs({ name: disk.network.host }),
      identity: attrs({ user: disk.network.identity.user, group: disk.network.identity.group }),
    };
  } else if (disk.volume !== undefined) {
    type = 'volume';
    source = attrs({ pool: disk.volume.pool, volume: disk.volume.volume });
  } else if (isBlock) {
    type = 'block';
    source = attrs({ dev: disk.device });
  } else {
    type = 'file';
    source = attrs({ file: disk.path });
  }
  return {
    ...attrs({ type, device: 'disk' }),
    driver: attrs({ name: driverName, type: disk.format, cache: disk.cache }),
    source,
    target: attrs({ dev: target, bus: disk.bus }),
  };
}

function nicEl(nic: GuestNic): El {
  const isNetwork = nic.network !== undefined;
  return {
    ...attrs({ type: isNetwork ? 'network' : 'bridge' }),
    ...(nic.mac !== undefined ? { mac: attrs({ address: nic.mac.toLowerCase() }) } : {}),
    source: isNetwork ? attrs({ network: nic.network }) : attrs({ bridge: nic.bridge }),
    model: attrs({ type: nic.model }),
  };
}

/** The `<graphics type='vnc'>` element of a new domain. */
function graphicsEl(vnc: VncSpec): El {
  return {
    ...attrs({
      type: 'vnc',
      port: vnc.port ?? -1,
      autoport: vnc.port === undefined ? 'yes' : 'no',
      listen: vnc.listen,
      passwd: vnc.passwd,
    }),
    listen: [attrs({ type: 'address', address: vnc.listen })],
  };
}

/**
 * Builds libvirt domain XML for a guest. The spec is validated first (a SpecError names the bad
 * field). Shape: an HVM x86_64 guest with ACPI/APIC, UTC clock, disks and NICs in spec order, a
 * pty serial port with a console on it (what `virsh console` attaches to), optional VNC.
 *
 * kvm and qemu differ only in `<domain type>` (qemu is TCG, as in the lab). xen is an HVM guest
 * for the libxl driver: machine `xenfv`, disks on the xen bus (xvdX) or IDE, block devices through
 * the phy backend, emulated NIC models only.
 */
export function buildDomainXml(spec: GuestSpec): string {
  validateSpec(spec);
  const targets = diskTargets(spec.disks);
  const devices: El = {};
  if (spec.emulator !== undefined) devices.emulator = spec.emulator;
  devices.disk = spec.disks.map((d, i) => diskEl(d, targets[i] ?? '', spec));
  devices.interface = spec.nics.map(nicEl);
  if (spec.serial) {
    devices.serial = [
      {
        ...attrs({ type: 'pty' }),
        ...(spec.serial.logFile !== undefined ? { log: attrs({ file: spec.serial.logFile, append: 'on' }) } : {}),
        target: attrs({ port: 0 }),
      },
    ];
    devices.console = [{ ...attrs({ type: 'pty' }), target: attrs({ type: 'serial', port: 0 }) }];
  }
  if (spec.vnc) devices.graphics = [graphicsEl(spec.vnc)];
  if (spec.memballoon === false) devices.memballoon = attrs({ model: 'none' });

  let cpu: El | undefined;
  if (spec.cpu?.mode === 'custom') {
    cpu = { ...attrs({ mode: 'custom', match: 'exact' }), model: { ...attrs({ fallback: 'forbid' }), '#text': spec.cpu.model } };
  } else if (spec.cpu) {
    cpu = attrs({ mode: spec.cpu.mode });
  }

  const domain: El = {
    ...attrs({ type: spec.hypervisor }),
    name: spec.name,
    uuid: spec.uuid.toLowerCase(),
    memory: { ...attrs({ unit: 'MiB' }), '#text': String(spec.memoryMiB) },
    currentMemory: { ...attrs({ unit: 'MiB' }), '#text': String(spec.memoryMiB) },
    vcpu: { ...attrs({ placement: 'static' }), '#text': String(spec.vcpus) },
    os: {
      type: { ...attrs({ arch: 'x86_64', machine: spec.machine ?? defaultMachine(spec.hypervisor) }), '#text': 'hvm' },
      boot: spec.boot.map((b) => attrs({ dev: LIBVIRT_BOOT_DEV[b] })),
    },
    features: spec.hypervisor === 'xen' ? { acpi: '', apic: '', pae: '' } : { acpi: '', apic: '' },
    ...(cpu ? { cpu } : {}),
    clock: attrs({ offset: 'utc' }),
    on_poweroff: 'destroy',
    on_reboot: 'restart',
    on_crash: 'destroy',
    devices,
  };
  return buildXml({ domain });
}
