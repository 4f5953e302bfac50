import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildDomainXml } from './build.js';
import { SpecError } from './errors.js';
import { parseDomainXml } from './parse.js';
import { type GuestSpec } from './spec.js';
import { readXml } from './xml.js';
import { fullSpec, minimalSpec, UUID } from './fixtures.testkit.js';
import { virtXmlValidate } from './virt-xml-validate.testkit.js';

// Parsed XML is loosely typed; the assertions check its shape.
type El = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
const dom = (spec: GuestSpec): El => (readXml(buildDomainXml(spec)) as El).domain as El;

/** Every variant the agent can produce; each must pass libvirt's domain schema. */
const VARIANTS: Record<string, GuestSpec> = {
  'qemu minimal, no NICs, no disks': minimalSpec(),
  'qemu lab guest, balloon off, serial without log': minimalSpec({ memballoon: false, serial: {}, boot: [] }),
  'kvm full: file + block disks, bridge + network NICs, serial log, VNC password': fullSpec(),
  'kvm fixed VNC port on IPv6, host-passthrough': fullSpec({ cpu: { mode: 'host-passthrough' }, vnc: { listen: '::', port: 5905 } }),
  'kvm custom CPU, IDE and SATA disks, q35, emulator': fullSpec({
    cpu: { mode: 'custom', model: 'Haswell' },
    machine: 'q35',
    emulator: '/usr/bin/qemu-system-x86_64',
    disks: [
      { path: '/vms/a.img', format: 'raw', bus: 'sata' },
      { device: '/dev/sdc', format: 'raw', bus: 'ide' },
    ],
    boot: ['cdrom', 'network', 'disk'],
  }),
  'kvm NICs only (diskless PXE)': fullSpec({ disks: [], boot: ['network'], serial: undefined, vnc: undefined }),
  'xen HVM: xvd file and phy disks, e1000, serial, VNC': fullSpec({
    hypervisor: 'xen',
    nics: [
      { bridge: 'xenbr0', model: 'e1000', mac: '02:00:00:00:00:07' },
      { network: 'default', model: 'rtl8139' },
    ],
    disks: [
      { path: '/vms/x.qcow2', format: 'qcow2', bus: 'xen' },
      { device: '/dev/vg0/x_1', format: 'raw', bus: 'xen' },
    ],
    emulator: '/usr/lib/xen/bin/qemu-system-i386',
  }),
  'xen minimal without devices': minimalSpec({ hypervisor: 'xen' }),
};

for (const [label, spec] of Object.entries(VARIANTS)) {
  test(`domain xml - libvirt's schema accepts: ${label}`, async () => {
    await virtXmlValidate(buildDomainXml(spec), 'domain');
  });
}

test('domain xml - the schema check itself fails on a broken domain', async () => {
  await assert.rejects(virtXmlValidate('<domain type="kvm"><name>x</name><bogus/></domain>', 'domain'), /refused/);
});

test('domain xml - identity, sizes and hypervisor type', () => {
  const d = dom(fullSpec({ uuid: UUID.toUpperCase() }));
  assert.equal(d['@_type'], 'kvm');
  assert.equal(d.name, 'web1');
  assert.equal(d.uuid, UUID);
  assert.deepEqual(d.memory, { '@_unit': 'MiB', '#text': '2048' });
  assert.deepEqual(d.currentMemory, { '@_unit': 'MiB', '#text': '2048' });
  assert.equal(d.vcpu['#text'], '4');
  assert.equal(d.os.type['@_machine'], 'pc');
  assert.equal(d.os.type['#text'], 'hvm');
  assert.equal(dom(minimalSpec())['@_type'], 'qemu');
  const xen = dom(minimalSpec({ hypervisor: 'xen' }));
  assert.equal(xen['@_type'], 'xen');
  assert.equal(xen.os.type['@_machine'], 'xenfv');
  assert.ok('pae' in xen.features);
});

test('domain xml - boot order maps to libvirt device names', () => {
  assert.deepEqual(dom(fullSpec({ boot: ['network', 'disk', 'cdrom'] })).os.boot, [
    { '@_dev': 'network' },
    { '@_dev': 'hd' },
    { '@_dev': 'cdrom' },
  ]);
});

test('domain xml - disks: file and block sources, formats, targets', () => {
  const disks = dom(fullSpec()).devices.disk as El[];
  assert.equal(disks.length, 2);
  assert.deepEqual(disks[0], {
    '@_type': 'file',
    '@_device': 'disk',
    driver: { '@_name': 'qemu', '@_type': 'qcow2' },
    source: { '@_file': '/vms/web1.qcow2' },
    target: { '@_dev': 'vda', '@_bus': 'virtio' },
  });
  assert.deepEqual(disks[1], {
    '@_type': 'block',
    '@_device': 'disk',
    driver: { '@_name': 'qemu', '@_type': 'raw' },
    source: { '@_dev': '/dev/vg0/web1_1' },
    target: { '@_dev': 'vdb', '@_bus': 'virtio' },
  });
  const xenDisks = dom(
    fullSpec({
      hypervisor: 'xen',
      nics: [],
      disks: [
        { path: '/v/a.img', format: 'raw', bus: 'xen' },
        { device: '/dev/sdb', format: 'raw', bus: 'xen' },
      ],
    }),
  ).devices.disk as El[];
  assert.equal(xenDisks[0]?.driver['@_name'], 'qemu');
  assert.equal(xenDisks[1]?.driver['@_name'], 'phy');
  assert.equal(xenDisks[1]?.target['@_dev'], 'xvdb');
});

test('domain xml - NICs: bridge and network, model, lowercase MAC', () => {
  const nics = dom(
    fullSpec({
      nics: [
        { bridge: 'br0', model: 'virtio', mac: '02:AA:BB:CC:DD:EE' },
        { network: 'default', model: 'e1000' },
      ],
    }),
  ).devices.interface as El[];
  assert.deepEqual(nics[0], {
    '@_type': 'bridge',
    mac: { '@_address': '02:aa:bb:cc:dd:ee' },
    source: { '@_bridge': 'br0' },
    model: { '@_type': 'virtio' },
  });
  assert.deepEqual(nics[1], { '@_type': 'network', source: { '@_network': 'default' }, model: { '@_type': 'e1000' } });
});

test('domain xml - serial pty with a console on it, and its log file', () => {
  const devs = dom(fullSpec()).devices;
  assert.deepEqual(devs.serial, [
    { '@_type': 'pty', log: { '@_file': '/var/log/drover/console/web1.log', '@_append': 'on' }, target: { '@_port': '0' } },
  ]);
  assert.deepEqual(devs.console, [{ '@_type': 'pty', target: { '@_type': 'serial', '@_port': '0' } }]);
  const none = dom(fullSpec({ serial: undefined })).devices;
  assert.equal(none.serial, undefined);
  assert.equal(none.console, undefined);
});

test('domain xml - VNC autoport or fixed port, password escaped', () => {
  const xml = buildDomainXml(fullSpec());
  assert.ok(xml.includes('passwd="pa&amp;s&lt;&quot;"'), xml);
  const auto = dom(fullSpec()).devices.graphics[0];
  assert.equal(auto['@_port'], '-1');
  assert.equal(auto['@_autoport'], 'yes');
  assert.equal(auto['@_passwd'], 'pa&s<"');
  assert.deepEqual(auto.listen, [{ '@_type': 'address', '@_address': '0.0.0.0' }]);
  const fixed = dom(fullSpec({ vnc: { listen: '127.0.0.1', port: 5910 } })).devices.graphics[0];
  assert.equal(fixed['@_port'], '5910');
  assert.equal(fixed['@_autoport'], 'no');
  assert.equal(fixed['@_passwd'], undefined);
});

test('domain xml - cpu element per mode, balloon switch', () => {
  assert.deepEqual(dom(fullSpec()).cpu, { '@_mode': 'host-model' });
  assert.deepEqual(dom(fullSpec({ cpu: { mode: 'custom', model: 'Haswell' } })).cpu, {
    '@_mode': 'custom',
    '@_match': 'exact',
    model: { '@_fallback': 'forbid', '#text': 'Haswell' },
  });
  assert.equal(dom(fullSpec({ cpu: undefined })).cpu, undefined);
  assert.deepEqual(dom(minimalSpec({ memballoon: false })).devices.memballoon, { '@_model': 'none' });
  assert.equal(dom(minimalSpec()).devices.memballoon, undefined);
});

test('domain xml - an invalid spec is refused before any XML is made', () => {
  assert.throws(
    () => buildDomainXml(minimalSpec({ memoryMiB: 0 })),
    (e: unknown) => e instanceof SpecError && e.field === 'memoryMiB',
  );
  assert.throws(
    () => buildDomainXml(minimalSpec({ name: 'x</name><evil/>' })),
    (e: unknown) => e instanceof SpecError && e.field === 'name',
  );
});

test('domain xml - what is built reads back the same', () => {
  const spec = fullSpec();
  const info = parseDomainXml(buildDomainXml(spec));
  assert.equal(info.type, 'kvm');
  assert.equal(info.name, spec.name);
  assert.equal(info.uuid, spec.uuid);
  assert.equal(info.memoryMiB, spec.memoryMiB);
  assert.equal(info.vcpus, spec.vcpus);
  assert.deepEqual(info.cpu, spec.cpu);
  assert.deepEqual(info.boot, spec.boot);
  assert.deepEqual(
    info.nics.map((n) => n.mac),
    ['02:1a:2b:3c:4d:5e', undefined],
  );
  assert.deepEqual(
    info.disks.map((d) => d.path ?? d.device),
    ['/vms/web1.qcow2', '/dev/vg0/web1_1'],
  );
  assert.equal(info.serial, true);
  assert.deepEqual(info.vnc, { autoport: true, listen: '0.0.0.0', hasPasswd: true });
});
