import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SpecError } from './errors.js';
import { diskTargetName, diskTargets, validateSpec, type GuestSpec } from './spec.js';
import { fullSpec, minimalSpec } from './fixtures.testkit.js';

function refused(spec: GuestSpec, field: string, code = 'SPEC_INVALID') {
  assert.throws(
    () => validateSpec(spec),
    (e: unknown) => {
      assert.ok(e instanceof SpecError, `expected a SpecError, got ${String(e)}`);
      assert.equal(e.field, field);
      assert.equal(e.code, code);
      assert.ok(e.message.startsWith(`${field}: `), e.message);
      return true;
    },
  );
}
const bad = (over: Record<string, unknown>) => fullSpec(over as Partial<GuestSpec>);

test('spec - good specs pass', () => {
  validateSpec(minimalSpec());
  validateSpec(fullSpec());
  validateSpec(
    fullSpec({
      hypervisor: 'xen',
      nics: [{ bridge: 'xenbr0', model: 'e1000' }],
      disks: [{ path: '/vms/a.img', format: 'raw', bus: 'xen' }],
      memballoon: undefined,
    }),
  );
  validateSpec(
    fullSpec({
      cpu: { mode: 'custom', model: 'Haswell-noTSX' },
      vnc: { listen: '::1', port: 5901 },
      memballoon: false,
      machine: 'pc-i440fx-7.2',
    }),
  );
});

test('spec - names with shell or XML metacharacters are refused', () => {
  for (const name of ['web1;reboot', 'a b', 'a<b', "a'b", 'a&b', '$(x)', 'a.b', '', '-a', 'x'.repeat(64)]) refused(bad({ name }), 'name');
});

test('spec - identity, sizes and machine are checked', () => {
  refused(bad({ uuid: 'not-a-uuid' }), 'uuid');
  refused(bad({ hypervisor: 'vmware' }), 'hypervisor');
  refused(bad({ memoryMiB: 0 }), 'memoryMiB');
  refused(bad({ memoryMiB: 1.5 }), 'memoryMiB');
  refused(bad({ memoryMiB: '512' }), 'memoryMiB');
  refused(bad({ vcpus: 0 }), 'vcpus');
  refused(bad({ vcpus: 5000 }), 'vcpus');
  refused(bad({ machine: 'pc;x' }), 'machine');
  refused(bad({ emulator: 'qemu-system-x86_64' }), 'emulator');
  refused(bad({ emulator: '/usr/bin/../bin/qemu' }), 'emulator');
});

test('spec - cpu modes are checked, host-passthrough needs a real accelerator', () => {
  refused(bad({ cpu: { mode: 'fastest' } }), 'cpu.mode');
  refused(bad({ cpu: { mode: 'custom', model: 'Has well' } }), 'cpu.model');
  refused(bad({ cpu: { mode: 'custom' } }), 'cpu.model');
  refused(bad({ hypervisor: 'qemu', cpu: { mode: 'host-passthrough' } }), 'cpu.mode', 'SPEC_UNSUPPORTED');
  validateSpec(fullSpec({ hypervisor: 'kvm', cpu: { mode: 'host-passthrough' } }));
});

test('spec - NICs: one source, known model, unicast unique MAC', () => {
  refused(bad({ nics: [{ model: 'virtio' }] }), 'nics[0]');
  refused(bad({ nics: [{ bridge: 'br0', network: 'default', model: 'virtio' }] }), 'nics[0]');
  refused(bad({ nics: [{ bridge: 'br0;ls', model: 'virtio' }] }), 'nics[0].bridge');
  refused(bad({ nics: [{ network: 'a/b', model: 'virtio' }] }), 'nics[0].network');
  refused(bad({ nics: [{ bridge: 'br0', model: 'ne2k_pci' }] }), 'nics[0].model');
  refused(bad({ nics: [{ bridge: 'br0', model: 'virtio', mac: '01:00:5e:00:00:01' }] }), 'nics[0].mac');
  refused(bad({ nics: [{ bridge: 'br0', model: 'virtio', mac: 'zz:00:00:00:00:01' }] }), 'nics[0].mac');
  refused(
    bad({
      nics: [
        { bridge: 'br0', model: 'virtio', mac: '02:00:00:00:00:01' },
        { bridge: 'br1', model: 'virtio', mac: '02:00:00:00:00:01' },
      ],
    }),
    'nics[1].mac',
  );
  refused(bad({ hypervisor: 'xen', nics: [{ bridge: 'br0', model: 'virtio' }], disks: [] }), 'nics[0].model', 'SPEC_UNSUPPORTED');
});

test('spec - disks: one source, clean paths, known format and bus, unique targets', () => {
  refused(bad({ disks: [{ format: 'raw', bus: 'virtio' }] }), 'disks[0]');
  refused(bad({ disks: [{ path: 'vms/a.img', format: 'raw', bus: 'virtio' }] }), 'disks[0].path');
  refused(bad({ disks: [{ path: '/vms/../etc/shadow', format: 'raw', bus: 'virtio' }] }), 'disks[0].path');
  refused(bad({ disks: [{ path: '/vms/a b.img', format: 'raw', bus: 'virtio' }] }), 'disks[0].path');
  refused(bad({ disks: [{ path: '/vms/', format: 'raw', bus: 'virtio' }] }), 'disks[0].path');
  refused(bad({ disks: [{ device: '/srv/x', format: 'raw', bus: 'virtio' }] }), 'disks[0].device');
  refused(bad({ disks: [{ path: '/vms/a', format: 'vmdk', bus: 'virtio' }] }), 'disks[0].format');
  refused(bad({ disks: [{ path: '/vms/a', format: 'raw', bus: 'scsi' }] }), 'disks[0].bus');
  refused(bad({ disks: [{ path: '/vms/a', format: 'raw', bus: 'xen' }] }), 'disks[0].bus', 'SPEC_UNSUPPORTED');
  refused(bad({ disks: [{ path: '/vms/a', format: 'raw', bus: 'virtio', target: 'hda' }] }), 'disks[0].target');
  refused(bad({ disks: [{ path: '/vms/a', format: 'raw', bus: 'ide', target: 'hde' }] }), 'disks[0].target');
  refused(
    bad({
      disks: [
        { path: '/vms/a', format: 'raw', bus: 'virtio', target: 'vdb' },
        { path: '/vms/b', format: 'raw', bus: 'virtio' },
      ],
    }),
    'disks[1].target',
  );
});

test('spec - boot, serial, VNC and balloon are checked', () => {
  refused(bad({ boot: ['floppy'] }), 'boot[0]');
  refused(bad({ boot: ['disk', 'disk'] }), 'boot[1]');
  refused(bad({ serial: { logFile: 'console.log' } }), 'serial.logFile');
  refused(bad({ vnc: { listen: 'example.org' } }), 'vnc.listen');
  refused(bad({ vnc: { listen: '0.0.0.0', port: 80 } }), 'vnc.port');
  refused(bad({ vnc: { listen: '0.0.0.0', passwd: 'ninechars' } }), 'vnc.passwd');
  refused(bad({ vnc: { listen: '0.0.0.0', passwd: '' } }), 'vnc.passwd');
  refused(bad({ vnc: { listen: '0.0.0.0', passwd: 'a b' } }), 'vnc.passwd');
  refused(bad({ hypervisor: 'xen', nics: [], disks: [], memballoon: false }), 'memballoon', 'SPEC_UNSUPPORTED');
});

test('spec - a refused VNC password is not echoed in the error', () => {
  assert.throws(
    () => validateSpec(bad({ vnc: { listen: '0.0.0.0', passwd: 'topsecret99' } })),
    (e: unknown) => e instanceof SpecError && !e.message.includes('topsecret99'),
  );
});

test('spec - disk targets follow the bus letters like libvirt', () => {
  assert.equal(diskTargetName('virtio', 0), 'vda');
  assert.equal(diskTargetName('virtio', 25), 'vdz');
  assert.equal(diskTargetName('virtio', 26), 'vdaa');
  assert.equal(diskTargetName('sata', 1), 'sdb');
  assert.equal(diskTargetName('ide', 2), 'hdc');
  assert.equal(diskTargetName('xen', 0), 'xvda');
  assert.deepEqual(
    diskTargets([
      { path: '/a', format: 'raw', bus: 'virtio' },
      { path: '/b', format: 'raw', bus: 'ide' },
      { path: '/c', format: 'raw', bus: 'virtio' },
      { path: '/d', format: 'raw', bus: 'sata', target: 'sdc' },
    ]),
    ['vda', 'hda', 'vdb', 'sdc'],
  );
});
