import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AgentConfigSchema } from '../config.js';
import { planSetup } from './setup.js';

const base = { host: 'h1', tls: { ca: 'a', cert: 'b', key: 'c' }, nats: { url: 'nats://x:1', seedFile: 's' } };
const setupOf = (setup: object) => AgentConfigSchema.parse({ ...base, setup }).setup;

test('setup plan - a local directory is one mkdir; the unit file always comes last', () => {
  const steps = planSetup(setupOf({ storage: '/vms' }), '/var/lib/drover/nfs');
  assert.deepEqual(
    steps.map((s) => s.kind),
    ['host', 'file'],
  );
  assert.deepEqual(steps[0]!.kind === 'host' && steps[0]!.step, { op: 'mkdir', path: '/vms', mode: 0o755 });
  assert.equal(steps[1]!.kind === 'file' && steps[1]!.path, '/etc/systemd/system/drover-agent.service');
});

test('setup plan - Xen hosts get boot-loader edits; KVM hosts do not', () => {
  const reloc = { ip: '10.0.0.1', peers: [{ name: 'h2', addresses: ['10.0.0.2'] }] };
  const xen = planSetup(setupOf({ storage: '', relocation: { ...reloc, hypervisor: 'xen-libxl' }, bootloader: { dom0Mem: '4G' } }), '/n');
  const boot = xen.find((s) => s.kind === 'edits' && s.what === 'Xen boot loader');
  assert.ok(boot && boot.kind === 'edits');
  assert.deepEqual(
    boot.edits.map((e) => [e.kind, e.path]),
    [['grub-default', '/etc/default/grub']],
  );
  const kvm = planSetup(setupOf({ storage: '', relocation: { ...reloc, hypervisor: 'kvm' }, bootloader: { dom0Mem: '4G' } }), '/n');
  assert.ok(!kvm.some((s) => s.kind === 'edits' && s.what === 'Xen boot loader'));
  const files = kvm.flatMap((s) => (s.kind === 'edits' ? s.edits.map((e) => e.path) : []));
  assert.deepEqual(files, ['/etc/libvirt/qemu.conf', '/etc/libvirt/libvirtd.conf']);
});

test('setup plan - a storage URL that is not dir or nfs is refused with the attribute named', () => {
  assert.throws(() => planSetup(setupOf({ storage: 'foo://bar' }), '/n'), /setup\.storage/);
});
