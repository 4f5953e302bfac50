// Test helper: guest specs used by several domain tests.
import { type GuestSpec } from './spec.js';

export const UUID = '6f1b0c1e-8a3e-4c55-9d0e-1234567890ab';

/** A small lab-like guest: TCG, 64 MiB, one vCPU, no devices. */
export function minimalSpec(over: Partial<GuestSpec> = {}): GuestSpec {
  return {
    name: 'web1',
    uuid: UUID,
    hypervisor: 'qemu',
    memoryMiB: 64,
    vcpus: 1,
    nics: [],
    disks: [],
    boot: ['disk'],
    ...over,
  } as GuestSpec;
}

/** A guest with one of everything. */
export function fullSpec(over: Partial<GuestSpec> = {}): GuestSpec {
  return minimalSpec({
    hypervisor: 'kvm',
    memoryMiB: 2048,
    vcpus: 4,
    cpu: { mode: 'host-model' },
    nics: [
      { bridge: 'br0', model: 'virtio', mac: '02:1a:2b:3c:4d:5e' },
      { network: 'default', model: 'e1000' },
    ],
    disks: [
      { path: '/vms/web1.qcow2', format: 'qcow2', bus: 'virtio' },
      { device: '/dev/vg0/web1_1', format: 'raw', bus: 'virtio' },
    ],
    boot: ['network', 'disk'],
    serial: { logFile: '/var/log/drover/console/web1.log' },
    vnc: { listen: '0.0.0.0', passwd: 'pa&s<"' },
    ...over,
  });
}

/** The shape `virsh dumpxml` gives for a running QEMU guest (memory in KiB, live ports and ptys). */
export const LIVE_XML = `<domain type='kvm' id='7'>
  <name>web1</name>
  <uuid>6f1b0c1e-8a3e-4c55-9d0e-1234567890ab</uuid>
  <metadata>
    <drover:guest xmlns:drover="https://drover.example/xmlns/1">web1</drover:guest>
  </metadata>
  <memory unit='KiB'>2097152</memory>
  <currentMemory unit='KiB'>2097152</currentMemory>
  <vcpu placement='static'>4</vcpu>
  <resource><partition>/machine</partition></resource>
  <os>
    <type arch='x86_64' machine='pc-i440fx-7.2'>hvm</type>
    <boot dev='hd'/>
  </os>
  <features><acpi/><apic/></features>
  <cpu mode='host-passthrough' check='none' migratable='on'/>
  <clock offset='utc'/>
  <on_poweroff>destroy</on_poweroff>
  <on_reboot>restart</on_reboot>
  <on_crash>destroy</on_crash>
  <devices>
    <emulator>/usr/bin/qemu-system-x86_64</emulator>
    <disk type='file' device='disk'>
      <driver name='qemu' type='qcow2'/>
      <source file='/var/lib/drover/nfs/filer1/export/vms/web1.qcow2' index='2'/>
      <backingStore/>
      <target dev='vda' bus='virtio'/>
      <alias name='virtio-disk0'/>
      <address type='pci' domain='0x0000' bus='0x00' slot='0x04' function='0x0'/>
    </disk>
    <disk type='file' device='cdrom'>
      <driver name='qemu' type='raw'/>
      <source file='/srv/iso/debian.iso'/>
      <target dev='hdc' bus='ide'/>
      <readonly/>
    </disk>
    <controller type='usb' index='0' model='piix3-uhci'/>
    <interface type='bridge'>
      <mac address='02:1A:2B:3C:4D:5E'/>
      <source bridge='br0'/>
      <target dev='vnet3'/>
      <model type='virtio'/>
      <alias name='net0'/>
    </interface>
    <serial type='pty'>
      <source path='/dev/pts/3'/>
      <target type='isa-serial' port='0'><model name='isa-serial'/></target>
      <alias name='serial0'/>
    </serial>
    <console type='pty' tty='/dev/pts/3'>
      <source path='/dev/pts/3'/>
      <target type='serial' port='0'/>
    </console>
    <graphics type='vnc' port='5901' autoport='yes' listen='127.0.0.1'>
      <listen type='address' address='127.0.0.1'/>
    </graphics>
    <video><model type='cirrus' vram='16384' heads='1' primary='yes'/></video>
    <memballoon model='virtio'/>
  </devices>
  <seclabel type='none' model='none'/>
</domain>
`;
