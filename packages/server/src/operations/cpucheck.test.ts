import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cpuVerdict } from './cpucheck';

const MOVE = { guest: 'web1', source: 'node01', dest: 'node02' };
const SKYLAKE = { hvType: 'kvm', mode: 'custom', model: 'Skylake-Server-IBRS', features: ['avx512f', 'pcid', 'ssbd'] };

test("cpu check - libvirt's incompatible answer fails the move, naming the guest, both hosts, the CPU, the missing features and the fix", () => {
  const v = cpuVerdict(MOVE, SKYLAKE, {
    verdict: 'incompatible',
    detail: 'the CPU is incompatible with host CPU: Host CPU does not provide required features: avx512f',
  });
  assert.equal(v.ok, false);
  assert.equal(
    v.message,
    "node02's kvm hypervisor cannot give web1 the CPU it runs with on node01 (Skylake-Server-IBRS with 3 required feature(s)): " +
      'the CPU is incompatible with host CPU: Host CPU does not provide required features: avx512f; move it to a host with the same or a newer CPU',
  );
});

test('cpu check - a compatible answer is a plain yes; a driver that cannot compare passes and says so', () => {
  assert.deepEqual(cpuVerdict(MOVE, SKYLAKE, { verdict: 'compatible', detail: 'identical' }), { ok: true, message: '' });
  const u = cpuVerdict(
    MOVE,
    { ...SKYLAKE, hvType: 'test' },
    { verdict: 'unchecked', detail: "this host's libvirt driver cannot compare CPUs" },
  );
  assert.deepEqual(u, { ok: true, message: "not compared on node02: this host's libvirt driver cannot compare CPUs" });
});

test('cpu check - without a CPU model there is nothing to compare; host-passthrough says what it needs', () => {
  assert.deepEqual(cpuVerdict(MOVE, { hvType: 'xen', mode: '', model: '', features: [] }, undefined), {
    ok: true,
    message: 'not compared: web1 has no CPU model on node01',
  });
  const p = cpuVerdict(MOVE, { hvType: 'kvm', mode: 'host-passthrough', model: '', features: [] }, undefined);
  assert.equal(p.ok, true);
  assert.match(p.message, /host-passthrough CPU on node01; it needs a host with an identical CPU/);
});
