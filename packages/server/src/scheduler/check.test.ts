import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkMove, movable } from './check';
import { mkGuest, mkHost, mkSnapshot } from './testkit';
import type { CheckName, CheckResult, ClusterSnapshot, GuestInfo, HostInfo } from './types';

function twoHosts(g: Partial<GuestInfo> = {}, dest: Partial<HostInfo> = {}, extra: Partial<ClusterSnapshot> = {}): ClusterSnapshot {
  return mkSnapshot({
    hosts: [mkHost('node01'), mkHost('node02', dest), ...(extra.hosts ?? [])],
    guests: [mkGuest('web1', 'node01', g), ...(extra.guests ?? [])],
    storage: extra.storage ?? [],
    inFlight: extra.inFlight ?? [],
  });
}

function get(results: readonly CheckResult[], check: CheckName): CheckResult {
  const r = results.find((x) => x.check === check);
  assert.ok(r, `no ${check} result in ${results.map((x) => x.check).join(',')}`);
  return r;
}

/** A failed check's message names the check, the guest, the host and a fix. */
function assertFailed(results: readonly CheckResult[], check: CheckName, host: string, guest = 'web1'): CheckResult {
  const r = get(results, check);
  assert.equal(r.pass, false, `${check} should fail: ${r.message}`);
  assert.ok(r.message.startsWith(`${check}: `), r.message);
  assert.ok(r.message.includes(guest), `message lacks guest: ${r.message}`);
  assert.ok(r.message.includes(host), `message lacks host: ${r.message}`);
  assert.match(r.message, /; fix: \S/);
  return r;
}

test('checkMove - a clean move passes every check in a fixed order', () => {
  const results = checkMove(twoHosts(), 'web1', 'node02');
  assert.deepEqual(
    results.map((r) => r.check),
    [
      'guest-known',
      'guest-state',
      'not-in-flight',
      'source-up',
      'host-known',
      'host-up',
      'host-maintenance',
      'not-source',
      'hypervisor',
      'migrationdest',
      'bridges',
      'cpu',
      'storage',
      'memory',
      'vcpus',
      'anti-affinity',
    ],
  );
  assert.ok(
    results.every((r) => r.pass),
    JSON.stringify(results.filter((r) => !r.pass)),
  );
  assert.equal(movable(results), true);
});

test('checkMove - an unknown guest yields one failed guest-known', () => {
  const results = checkMove(twoHosts(), 'nosuch', 'node02');
  assert.equal(results.length, 1);
  assertFailed(results, 'guest-known', 'node02', 'nosuch');
  assert.equal(movable(results), false);
});

test('checkMove - an unknown destination fails host-known and stops there', () => {
  const results = checkMove(twoHosts(), 'web1', 'node99');
  assertFailed(results, 'host-known', 'node99');
  assert.equal(results.at(-1)?.check, 'host-known');
});

test('checkMove - guest-state refuses a shut-off guest', () => {
  const results = checkMove(twoHosts({ state: 'shutoff' }), 'web1', 'node02');
  assertFailed(results, 'guest-state', 'node02');
  assert.equal(movable(results), false);
});

test('checkMove - guest-state accepts a paused guest', () => {
  assert.equal(get(checkMove(twoHosts({ state: 'paused' }), 'web1', 'node02'), 'guest-state').pass, true);
});

test('checkMove - not-in-flight refuses a guest already migrating', () => {
  const snap = twoHosts({}, {}, { hosts: [mkHost('node03')], inFlight: [{ guest: 'web1', source: 'node01', dest: 'node03' }] });
  const r = assertFailed(checkMove(snap, 'web1', 'node02'), 'not-in-flight', 'node03');
  assert.match(r.message, /node01/);
});

test('checkMove - source-up refuses to migrate off a down host', () => {
  const snap = mkSnapshot({ hosts: [mkHost('node01', { state: 'down' }), mkHost('node02')], guests: [mkGuest('web1', 'node01')] });
  assertFailed(checkMove(snap, 'web1', 'node02'), 'source-up', 'node01');
});

test('checkMove - host-up refuses a stale or down destination', () => {
  for (const state of ['stale', 'down'] as const) {
    const r = assertFailed(checkMove(twoHosts({}, { state }), 'web1', 'node02'), 'host-up', 'node02');
    assert.match(r.message, new RegExp(state));
  }
});

test('checkMove - host-maintenance refuses a destination in maintenance', () => {
  assertFailed(checkMove(twoHosts({}, { maintenance: true }), 'web1', 'node02'), 'host-maintenance', 'node02');
});

test('checkMove - not-source refuses the host the guest is on', () => {
  assertFailed(checkMove(twoHosts(), 'web1', 'node01'), 'not-source', 'node01');
});

test('checkMove - hypervisor refuses a different hypervisor type', () => {
  const r = assertFailed(checkMove(twoHosts({}, { hypervisor: 'xen' }), 'web1', 'node02'), 'hypervisor', 'node02');
  assert.match(r.message, /kvm/);
  assert.match(r.message, /xen/);
});

test('checkMove - migrationdest restricts destinations when set', () => {
  const three = { hosts: [mkHost('node03')] };
  const r = assertFailed(checkMove(twoHosts({ migrationdest: ['node03'] }, {}, three), 'web1', 'node02'), 'migrationdest', 'node02');
  assert.match(r.message, /node03/);
  assert.equal(get(checkMove(twoHosts({ migrationdest: 'node02' }), 'web1', 'node02'), 'migrationdest').pass, true);
  assert.equal(get(checkMove(twoHosts({ migrationdest: ['node03', 'node02'] }, {}, three), 'web1', 'node02'), 'migrationdest').pass, true);
});

test('checkMove - bridges names every bridge the destination lacks', () => {
  const r = assertFailed(
    checkMove(twoHosts({ nicBridges: ['br0', 'br-stor', 'br-mgmt'] }, { bridges: ['br0'] }), 'web1', 'node02'),
    'bridges',
    'node02',
  );
  assert.match(r.message, /br-mgmt and br-stor/);
});

test('checkMove - cpu passes for an identical CPU description', () => {
  const cpu = { model: 'Haswell', features: ['avx2', 'aes'] };
  assert.equal(get(checkMove(twoHosts({ cpu }, { cpu }), 'web1', 'node02'), 'cpu').pass, true);
});

test('checkMove - cpu passes for a newer model with a feature superset', () => {
  const snap = twoHosts(
    { cpu: { model: 'Haswell', features: ['avx2'] } },
    { cpu: { model: 'Cascadelake-Server', features: ['avx2', 'avx512f', 'aes'] } },
  );
  assert.equal(get(checkMove(snap, 'web1', 'node02'), 'cpu').pass, true);
});

test('checkMove - cpu refuses a host missing a required feature', () => {
  const snap = twoHosts({ cpu: { model: 'Haswell', features: ['avx2', 'rdrand'] } }, { cpu: { model: 'Haswell', features: ['avx2'] } });
  const r = assertFailed(checkMove(snap, 'web1', 'node02'), 'cpu', 'node02');
  assert.match(r.message, /lacks feature rdrand/);
});

test('checkMove - cpu refuses an incompatible model', () => {
  const snap = twoHosts({ cpu: { model: 'EPYC-Milan', features: [] } }, { cpu: { model: 'SapphireRapids', features: ['avx2'] } });
  const r = assertFailed(checkMove(snap, 'web1', 'node02'), 'cpu', 'node02');
  assert.match(r.message, /EPYC-Milan/);
  assert.match(r.message, /SapphireRapids/);
});

test('checkMove - storage uses shared mode when the destination is in the storage hosts', () => {
  const snap = twoHosts(
    { disks: [{ device: 'vda', url: 'nfs://filer/vm/web1.qcow2' }] },
    {},
    { storage: [{ url: 'nfs://filer/vm', shared: true, hosts: ['node01', 'node02'] }] },
  );
  const r = get(checkMove(snap, 'web1', 'node02', { copyStorage: 'never' }), 'storage');
  assert.equal(r.pass, true);
  assert.deepEqual(r.storage, { mode: 'shared', copyDisks: [] });
  assert.match(r.message, /unsafe/);
});

test('checkMove - storage copies a disk the destination cannot reach when copying is allowed', () => {
  const snap = twoHosts(
    {
      disks: [
        { device: 'vda', url: 'nfs://filer/vm/web1.qcow2' },
        { device: 'vdb', url: '/var/lib/libvirt/images/web1-data.qcow2' },
      ],
    },
    {},
    { storage: [{ url: 'nfs://filer/vm', shared: true, hosts: ['node01', 'node02'] }] },
  );
  const r = get(checkMove(snap, 'web1', 'node02'), 'storage');
  assert.equal(r.pass, true);
  assert.deepEqual(r.storage, { mode: 'copy', copyDisks: ['vdb'] });
});

test('checkMove - storage fails when a copy is needed and copyStorage is never', () => {
  const snap = twoHosts(
    { disks: [{ device: 'vda', url: 'nfs://filer/vm/web1.qcow2' }] },
    {},
    { storage: [{ url: 'nfs://filer/vm', shared: true, hosts: ['node01'] }] },
  );
  const r = assertFailed(checkMove(snap, 'web1', 'node02', { copyStorage: 'never' }), 'storage', 'node02');
  assert.match(r.message, /add node02 to the hosts of nfs:\/\/filer\/vm/);
});

test('checkMove - memory counts moves in flight towards the destination', () => {
  // node02: 16 GiB, all free; 256 MiB headroom. web1 (8 GiB) fits alone, but db1 (8 GiB) is
  // already migrating to node02, leaving 16384 − 256 − 8192 = 7936 MiB.
  const snap = twoHosts(
    { memoryMiB: 8192 },
    { memoryTotalMiB: 16384, memoryFreeMiB: 16384 },
    {
      hosts: [mkHost('node03')],
      guests: [mkGuest('db1', 'node03', { memoryMiB: 8192 })],
    },
  );
  assert.equal(get(checkMove(snap, 'web1', 'node02'), 'memory').pass, true);
  const busy = { ...snap, inFlight: [{ guest: 'db1', source: 'node03', dest: 'node02' }] };
  const r = assertFailed(checkMove(busy, 'web1', 'node02'), 'memory', 'node02');
  assert.match(r.message, /7936 MiB room/);
  assert.match(r.message, /8192 MiB for moves in flight/);
});

test('checkMove - memory keeps the headroom free', () => {
  const snap = twoHosts({ memoryMiB: 4096 }, { memoryTotalMiB: 8192, memoryFreeMiB: 4300 });
  assert.equal(get(checkMove(snap, 'web1', 'node02', { memoryHeadroomMiB: 200 }), 'memory').pass, true);
  assertFailed(checkMove(snap, 'web1', 'node02', { memoryHeadroomMiB: 256 }), 'memory', 'node02');
});

test('checkMove - memory uses the hypervisor-table override instead of the report', () => {
  const snap = twoHosts({ memoryMiB: 4096 }, { memoryTotalMiB: 65536, memoryFreeMiB: 65536, overrides: { memoryMiB: 4096 } });
  assertFailed(checkMove(snap, 'web1', 'node02'), 'memory', 'node02');
});

test('checkMove - vcpus respects the overcommit ratio', () => {
  // node02: 2 CPUs × 4 = 8 vCPUs; 3 guests of 2 vCPUs already there leave 2.
  const snap = twoHosts(
    { vcpus: 4 },
    { cpus: 2 },
    {
      guests: [
        mkGuest('a', 'node02', { memoryMiB: 1 }),
        mkGuest('b', 'node02', { memoryMiB: 1 }),
        mkGuest('c', 'node02', { memoryMiB: 1 }),
      ],
    },
  );
  const r = assertFailed(checkMove(snap, 'web1', 'node02'), 'vcpus', 'node02');
  assert.match(r.message, /overcommit 4/);
  assert.equal(get(checkMove(snap, 'web1', 'node02', { vcpuOvercommit: 5 }), 'vcpus').pass, true);
});

test('checkMove - anti-affinity is a soft check: a warning that does not block', () => {
  const snap = twoHosts({ antiAffinity: 'db' }, {}, { guests: [mkGuest('db2', 'node02', { antiAffinity: 'db' })] });
  const results = checkMove(snap, 'web1', 'node02');
  const r = assertFailed(results, 'anti-affinity', 'node02');
  assert.equal(r.soft, true);
  assert.equal(movable(results), true);
});
