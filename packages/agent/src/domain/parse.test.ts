import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SpecError } from './errors.js';
import { parseDomainXml } from './parse.js';
import { LIVE_XML } from './fixtures.testkit.js';

test('parse - a running domain: live VNC port, pty, disks, MACs', () => {
  const info = parseDomainXml(LIVE_XML);
  assert.equal(info.type, 'kvm');
  assert.equal(info.name, 'web1');
  assert.equal(info.memoryMiB, 2048);
  assert.equal(info.vcpus, 4);
  assert.equal(info.machine, 'pc-i440fx-7.2');
  assert.equal(info.emulator, '/usr/bin/qemu-system-x86_64');
  assert.deepEqual(info.cpu, { mode: 'host-passthrough' });
  assert.deepEqual(info.boot, ['disk']);
  assert.deepEqual(info.disks, [
    { kind: 'disk', path: '/var/lib/drover/nfs/filer1/export/vms/web1.qcow2', format: 'qcow2', target: 'vda', bus: 'virtio' },
    { kind: 'cdrom', path: '/srv/iso/debian.iso', format: 'raw', target: 'hdc', bus: 'ide' },
  ]);
  assert.deepEqual(info.nics, [{ type: 'bridge', bridge: 'br0', model: 'virtio', mac: '02:1a:2b:3c:4d:5e' }]);
  assert.equal(info.serial, true);
  assert.equal(info.serialPty, '/dev/pts/3');
  assert.deepEqual(info.vnc, { autoport: true, port: 5901, listen: '127.0.0.1', hasPasswd: false });
});

test('parse - memory in any libvirt unit becomes MiB', () => {
  const mem = (m: string) => parseDomainXml(`<domain type='qemu'><name>a</name>${m}</domain>`).memoryMiB;
  assert.equal(mem('<memory>65536</memory>'), 64); // KiB by default
  assert.equal(mem("<memory unit='MiB'>512</memory>"), 512);
  assert.equal(mem("<memory unit='G'>2</memory>"), 2048);
  assert.equal(mem("<memory unit='bytes'>67108864</memory>"), 64);
  assert.equal(mem("<memory unit='parsecs'>3</memory>"), undefined);
});

test('parse - per-device boot order is read when <os> has none', () => {
  const info = parseDomainXml(`<domain type='kvm'><name>a</name><os><type>hvm</type></os><devices>
    <disk type='file' device='disk'><source file='/v/a.img'/><target dev='vda' bus='virtio'/><boot order='2'/></disk>
    <interface type='bridge'><source bridge='br0'/><boot order='1'/></interface>
    <disk type='file' device='disk'><source file='/v/b.img'/><target dev='vdb' bus='virtio'/></disk>
  </devices></domain>`);
  assert.deepEqual(info.boot, ['network', 'disk']);
});

test('parse - a domain without devices has empty lists, no console, no VNC', () => {
  const info = parseDomainXml("<domain type='qemu'><name>bare</name><os><type>hvm</type></os></domain>");
  assert.deepEqual(info.disks, []);
  assert.deepEqual(info.nics, []);
  assert.deepEqual(info.boot, []);
  assert.equal(info.serial, false);
  assert.equal(info.vnc, undefined);
  assert.equal(info.cpu, undefined);
});

test('parse - text that is not a domain is refused', () => {
  for (const bad of ['', 'not xml at all <', '<pool type="dir"><name>x</name></pool>', '<domain><name>a</domain>']) {
    assert.throws(
      () => parseDomainXml(bad),
      (e: unknown) => e instanceof SpecError && e.code === 'DOMAIN_XML_INVALID',
      bad,
    );
  }
});
