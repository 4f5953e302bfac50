import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SchedulerError } from './errors';
import { pickDestination, planEvacuation, planMoves } from './plan';
import { mkGuest, mkHost, mkSnapshot } from './testkit';
import type { GuestInfo, Plan } from './types';

const GiB = 1024;

function destOf(plan: Plan, guest: string): string | undefined {
  return plan.moves.find((m) => m.guest === guest)?.dest;
}

function unplacedOf(plan: Plan, guest: string) {
  return plan.unplaced.find((u) => u.guest === guest);
}

/** node01 to evacuate; node02/node03 each with room for exactly two 4 GiB guests (8 GiB + headroom). */
function smallCluster(guests: GuestInfo[]) {
  const small = { memoryTotalMiB: 8 * GiB + 256, memoryFreeMiB: 8 * GiB + 256 };
  return mkSnapshot({ hosts: [mkHost('node01'), mkHost('node02', small), mkHost('node03', small)], guests });
}

test('planEvacuation - moves every running guest off the host, largest first', () => {
  const snap = mkSnapshot({
    hosts: [mkHost('node01'), mkHost('node02'), mkHost('node03')],
    guests: [
      mkGuest('a', 'node01', { memoryMiB: 2048 }),
      mkGuest('b', 'node01', { memoryMiB: 8192 }),
      mkGuest('c', 'node01', { memoryMiB: 4096 }),
      mkGuest('x', 'node02'),
    ],
  });
  const plan = planEvacuation(snap, 'node01');
  assert.equal(plan.kind, 'evacuate');
  assert.equal(plan.source, 'node01');
  assert.deepEqual(
    plan.moves.map((m) => m.guest),
    ['b', 'c', 'a'],
  );
  assert.ok(plan.moves.every((m) => m.source === 'node01' && m.dest !== 'node01' && m.attempt === 1));
  assert.deepEqual(plan.unplaced, []);
  // node03 is emptier, so the biggest guest goes there; the next goes where most memory is left.
  assert.equal(destOf(plan, 'b'), 'node03');
  assert.equal(destOf(plan, 'c'), 'node02');
});

test('planEvacuation - capacity is shared across the plan and the overflow stays with a memory reason', () => {
  const guests = ['g1', 'g2', 'g3', 'g4', 'g5'].map((n) => mkGuest(n, 'node01'));
  const plan = planEvacuation(smallCluster(guests), 'node01');
  assert.equal(plan.moves.length, 4);
  const count = (h: string) => plan.moves.filter((m) => m.dest === h).length;
  assert.equal(count('node02'), 2);
  assert.equal(count('node03'), 2);
  assert.equal(plan.unplaced.length, 1);
  const u = plan.unplaced[0];
  assert.equal(u?.guest, 'g5');
  assert.equal(u?.host, 'node01');
  assert.equal(u?.failures[0]?.check, 'memory');
  assert.equal(u?.failures[0]?.hosts, 2);
  assert.match(
    u?.reason ?? '',
    /no host can take guest g5 from node01 \(2 hosts failed memory.*\); e\.g\. memory: guest g5 needs 4096 MiB but node02 has 0 MiB room/,
  );
  assert.match(u?.reason ?? '', /fix: /);
  assert.ok(!plan.moves.some((m) => m.guest === 'g5'));
});

test('planEvacuation - guests that cannot live-migrate stay with their reason', () => {
  const snap = mkSnapshot({
    hosts: [mkHost('node01'), mkHost('node02'), mkHost('node03')],
    guests: [
      mkGuest('off', 'node01', { state: 'shutoff' }),
      mkGuest('moving', 'node01'),
      mkGuest('nobridge', 'node01', { nicBridges: ['br-dmz'] }),
      mkGuest('ok', 'node01'),
    ],
    inFlight: [{ guest: 'moving', source: 'node01', dest: 'node02' }],
  });
  const plan = planEvacuation(snap, 'node01');
  assert.deepEqual(
    plan.moves.map((m) => m.guest),
    ['ok'],
  );
  assert.deepEqual(
    plan.unplaced.map((u) => u.guest),
    ['moving', 'nobridge', 'off'],
  );
  assert.match(unplacedOf(plan, 'off')?.reason ?? '', /^guest-state: guest off on node01 is shutoff/);
  assert.match(unplacedOf(plan, 'moving')?.reason ?? '', /^not-in-flight: guest moving is already migrating from node01 to node02/);
  const nb = unplacedOf(plan, 'nobridge');
  assert.deepEqual(
    nb?.failures.map((f) => [f.check, f.hosts]),
    [['bridges', 2]],
  );
  assert.match(nb?.reason ?? '', /bridges: node02 lacks bridge br-dmz that guest nobridge's NICs use; fix: create br-dmz on node02/);
});

test('planEvacuation - only destinations that pass the static checks are used', () => {
  const snap = mkSnapshot({
    hosts: [
      mkHost('node01'),
      mkHost('node02', { memoryFreeMiB: 60000 }),
      mkHost('node03', { maintenance: true }),
      mkHost('node04', { state: 'stale' }),
      mkHost('node05', { hypervisor: 'xen' }),
      mkHost('node06', { cpu: { model: 'Nehalem', features: [] } }),
    ],
    guests: [mkGuest('a', 'node01', { cpu: { model: 'Haswell', features: ['avx2'] } }), mkGuest('b', 'node01'), mkGuest('c', 'node01')],
  });
  const plan = planEvacuation(snap, 'node01');
  assert.equal(destOf(plan, 'a'), 'node02');
  // Guests without a CPU requirement may use the Nehalem host.
  assert.deepEqual(new Set(plan.moves.map((m) => m.dest)), new Set(['node02', 'node06']));
});

test('planEvacuation - anti-affinity spreads a group over separate hosts', () => {
  const snap = mkSnapshot({
    hosts: [mkHost('node01'), mkHost('node02', { memoryTotalMiB: 262144, memoryFreeMiB: 262144 }), mkHost('node03'), mkHost('node04')],
    guests: [
      mkGuest('db1', 'node01', { antiAffinity: 'db' }),
      mkGuest('db2', 'node01', { antiAffinity: 'db' }),
      mkGuest('db3', 'node01', { antiAffinity: 'db' }),
      mkGuest('web', 'node01'),
    ],
  });
  const plan = planEvacuation(snap, 'node01');
  const dbHosts = ['db1', 'db2', 'db3'].map((g) => destOf(plan, g));
  assert.equal(new Set(dbHosts).size, 3, `db guests share a host: ${dbHosts.join(',')}`);
  assert.deepEqual(plan.warnings, []);
});

test('planEvacuation - unavoidable anti-affinity sharing is placed and warned about', () => {
  const snap = mkSnapshot({
    hosts: [mkHost('node01'), mkHost('node02'), mkHost('node03')],
    guests: [
      mkGuest('db1', 'node01', { antiAffinity: 'db' }),
      mkGuest('db2', 'node01', { antiAffinity: 'db' }),
      mkGuest('db3', 'node01', { antiAffinity: 'db' }),
    ],
  });
  const plan = planEvacuation(snap, 'node01');
  assert.equal(plan.moves.length, 3);
  assert.equal(plan.warnings.length, 1);
  const w = plan.warnings[0];
  assert.equal(w?.kind, 'anti-affinity');
  assert.equal(w?.group, 'db');
  assert.equal(w?.guest, 'db3');
  assert.equal(destOf(plan, 'db3'), w?.host);
  assert.match(
    w?.message ?? '',
    /^anti-affinity: guest db3 of group db goes to node0[23], which already has 1 guest of that group.*; fix: /,
  );
});

test('planEvacuation - group members already on a host count against it', () => {
  const snap = mkSnapshot({
    hosts: [mkHost('node01'), mkHost('node02', { memoryFreeMiB: 60000 }), mkHost('node03', { memoryFreeMiB: 20000 })],
    guests: [mkGuest('db1', 'node01', { antiAffinity: 'db' }), mkGuest('db2', 'node02', { antiAffinity: 'db', memoryMiB: 1 })],
  });
  assert.equal(destOf(planEvacuation(snap, 'node01'), 'db1'), 'node03');
});

test('planEvacuation - migrationdest pins a guest even to the less free host', () => {
  const snap = mkSnapshot({
    hosts: [mkHost('node01'), mkHost('node02'), mkHost('node03', { memoryFreeMiB: 9000 })],
    guests: [mkGuest('pinned', 'node01', { migrationdest: 'node03' }), mkGuest('free', 'node01', { memoryMiB: 8192 })],
  });
  const plan = planEvacuation(snap, 'node01');
  assert.equal(destOf(plan, 'pinned'), 'node03');
  assert.equal(destOf(plan, 'free'), 'node02');
  assert.equal(plan.moves.find((m) => m.guest === 'pinned')?.alternative, undefined);
});

test('planEvacuation - pinned guests are placed before bigger unpinned ones', () => {
  // node03 fits one 4 GiB guest; the big free guest would take it if placed first.
  const room = { memoryTotalMiB: 4096 + 256, memoryFreeMiB: 4096 + 256 };
  const snap = mkSnapshot({
    hosts: [mkHost('node01'), mkHost('node02', room), mkHost('node03', room)],
    guests: [mkGuest('pinned', 'node01', { migrationdest: ['node03'] }), mkGuest('big', 'node01', { migrationdest: undefined })],
  });
  const plan = planEvacuation(snap, 'node01');
  assert.equal(destOf(plan, 'pinned'), 'node03');
  assert.equal(destOf(plan, 'big'), 'node02');
});

test('planEvacuation - a pinned guest whose hosts cannot take it stays with a migrationdest reason', () => {
  const snap = mkSnapshot({
    hosts: [mkHost('node01'), mkHost('node02'), mkHost('node03', { maintenance: true })],
    guests: [mkGuest('pinned', 'node01', { migrationdest: 'node03' })],
  });
  const plan = planEvacuation(snap, 'node01');
  assert.deepEqual(plan.moves, []);
  const u = unplacedOf(plan, 'pinned');
  assert.deepEqual(
    u?.failures.map((f) => [f.check, f.hosts]),
    [
      ['host-maintenance', 1],
      ['migrationdest', 1],
    ],
  );
  assert.ok(u?.failures.some((f) => f.example.includes('may only go to node03')));
});

test('planEvacuation - every move gets a different alternative that also passes the checks', () => {
  const snap = mkSnapshot({
    hosts: [mkHost('node01'), mkHost('node02'), mkHost('node03'), mkHost('node04', { hypervisor: 'xen' })],
    guests: [mkGuest('a', 'node01'), mkGuest('b', 'node01')],
  });
  const plan = planEvacuation(snap, 'node01');
  for (const m of plan.moves) {
    assert.ok(m.alternative, `${m.guest} has no alternative`);
    assert.notEqual(m.alternative.dest, m.dest);
    assert.notEqual(m.alternative.dest, 'node01');
    assert.notEqual(m.alternative.dest, 'node04');
  }
  assert.deepEqual(
    plan.capacity.map((c) => c.host),
    ['node01', 'node02', 'node03'],
  );
});

test('planEvacuation - with a single possible host there is no alternative', () => {
  const snap = mkSnapshot({ hosts: [mkHost('node01'), mkHost('node02')], guests: [mkGuest('a', 'node01')] });
  const plan = planEvacuation(snap, 'node01');
  assert.equal(plan.moves[0]?.dest, 'node02');
  assert.equal(plan.moves[0]?.alternative, undefined);
});

test('planEvacuation - moves in flight hold room on their destination', () => {
  const snap = mkSnapshot({
    hosts: [mkHost('node01'), mkHost('node02', { memoryFreeMiB: 40000 }), mkHost('node03', { memoryFreeMiB: 30000 }), mkHost('node04')],
    guests: [mkGuest('a', 'node01'), mkGuest('big', 'node04', { memoryMiB: 20000 })],
    inFlight: [{ guest: 'big', source: 'node04', dest: 'node02' }],
  });
  const plan = planEvacuation(snap, 'node01');
  // node04 still carries big until its move ends: 65536 − 20000 = 45536 free, the most.
  assert.equal(destOf(plan, 'a'), 'node04');
  const room = Object.fromEntries(plan.capacity.map((c) => [c.host, c.memoryMiB]));
  assert.equal(room['node04'], 65536 - 20000 - 256);
  const withoutNode04 = { ...snap, hosts: snap.hosts.filter((h) => h.name !== 'node04') };
  // Without node04, node02 has 40000 − 20000 reserved = 20000 < node03's 30000.
  assert.equal(destOf(planEvacuation(withoutNode04, 'node01'), 'a'), 'node03');
});

test('planEvacuation - copyStorage never keeps guests to hosts that reach their storage', () => {
  const snap = mkSnapshot({
    hosts: [
      mkHost('node01'),
      mkHost('node02', { memoryFreeMiB: 60000 }),
      mkHost('node03', { memoryFreeMiB: 30000, storage: ['nfs://filer/vm'] }),
    ],
    guests: [mkGuest('a', 'node01', { disks: [{ device: 'vda', url: 'nfs://filer/vm/a.qcow2' }] })],
    storage: [{ url: 'nfs://filer/vm', shared: true, hosts: ['node01'] }],
  });
  const never = planEvacuation(snap, 'node01', { copyStorage: 'never' });
  assert.equal(destOf(never, 'a'), 'node03');
  assert.deepEqual(never.moves[0]?.storage, { mode: 'shared', copyDisks: [] });
  const auto = planEvacuation(snap, 'node01');
  assert.equal(destOf(auto, 'a'), 'node02');
  assert.deepEqual(auto.moves[0]?.storage, { mode: 'copy', copyDisks: ['vda'] });
  const always = planEvacuation(snap, 'node01', { copyStorage: 'always' });
  assert.deepEqual(always.moves.find((m) => m.dest === 'node02')?.storage, { mode: 'copy', copyDisks: ['vda'] });
});

test('planEvacuation - an unknown host is an error', () => {
  const snap = mkSnapshot({ hosts: [mkHost('node01')] });
  assert.throws(
    () => planEvacuation(snap, 'node99'),
    (e: unknown) => e instanceof SchedulerError && e.code === 'UNKNOWN_HOST' && e.subject === 'node99',
  );
});

test('planEvacuation - duplicate hosts in the snapshot are an error', () => {
  const snap = mkSnapshot({ hosts: [mkHost('node01'), mkHost('node01')] });
  assert.throws(
    () => planEvacuation(snap, 'node01'),
    (e: unknown) => e instanceof SchedulerError && e.code === 'DUPLICATE_HOST',
  );
});

test('planEvacuation - an empty host gives an empty plan', () => {
  const plan = planEvacuation(mkSnapshot({ hosts: [mkHost('node01'), mkHost('node02')] }), 'node01');
  assert.deepEqual(plan, { kind: 'evacuate', moves: [], unplaced: [], warnings: [], capacity: [], source: 'node01' });
});

test('planMoves - a named destination takes guests until it is full, with no alternatives', () => {
  const snap = mkSnapshot({
    // node03 already runs d (4 GiB), leaving room for two more 4 GiB guests.
    hosts: [mkHost('node01'), mkHost('node02'), mkHost('node03', { memoryTotalMiB: 12 * GiB + 256, memoryFreeMiB: 12 * GiB + 256 })],
    guests: [mkGuest('a', 'node01'), mkGuest('b', 'node02'), mkGuest('c', 'node01'), mkGuest('d', 'node03')],
  });
  const plan = planMoves(snap, ['c', 'a', 'b', 'd', 'ghost', 'a'], 'node03');
  assert.equal(plan.kind, 'migrate');
  assert.deepEqual(
    plan.moves.map((m) => [m.guest, m.source, m.dest]),
    [
      ['a', 'node01', 'node03'],
      ['b', 'node02', 'node03'],
    ],
  );
  assert.ok(plan.moves.every((m) => m.alternative === undefined));
  assert.deepEqual(
    plan.unplaced.map((u) => [u.guest, u.failures.map((f) => f.check)]),
    [
      ['c', ['memory']],
      ['d', ['not-source', 'memory']],
      ['ghost', ['guest-known']],
    ],
  );
  assert.match(
    unplacedOf(plan, 'c')?.reason ?? '',
    /^memory: guest c needs 4096 MiB but node03 has 0 MiB room .* 8192 MiB planned in this run\); fix: /,
  );
});

test('planMoves - an unknown destination leaves every guest with host-known', () => {
  const snap = mkSnapshot({ hosts: [mkHost('node01')], guests: [mkGuest('a', 'node01')] });
  const plan = planMoves(snap, ['a'], 'node99');
  assert.deepEqual(plan.moves, []);
  assert.match(unplacedOf(plan, 'a')?.reason ?? '', /^host-known: no host named node99/);
});

test('planMoves - without a destination guests from several hosts share capacity', () => {
  const room = { memoryTotalMiB: 4096 + 256, memoryFreeMiB: 4096 + 256 };
  const snap = mkSnapshot({
    hosts: [mkHost('node01', room), mkHost('node02', room), mkHost('node03', room), mkHost('node04', room)],
    guests: [mkGuest('a', 'node01'), mkGuest('b', 'node02')],
  });
  const plan = planMoves(snap, ['a', 'b'], undefined);
  assert.equal(plan.moves.length, 2);
  assert.notEqual(plan.moves[0]?.dest, plan.moves[1]?.dest);
  assert.ok(plan.moves.every((m) => m.dest === 'node03' || m.dest === 'node04'));
});

test('pickDestination - reports why no host fits', () => {
  const snap = mkSnapshot({ hosts: [mkHost('node01'), mkHost('node02', { bridges: [] })], guests: [mkGuest('a', 'node01')] });
  const p = pickDestination(snap, 'a');
  assert.equal(p.ok, false);
  assert.ok(!p.ok);
  assert.match(p.reason, /^no host can take guest a from node01 \(1 host failed bridges\); e\.g\. bridges: node02 lacks bridge br0/);
  const ghost = pickDestination(snap, 'ghost');
  assert.ok(!ghost.ok);
  assert.match(ghost.reason, /^guest-known: no guest named ghost/);
  const alone = pickDestination(mkSnapshot({ hosts: [mkHost('node01')], guests: [mkGuest('a', 'node01')] }), 'a');
  assert.ok(!alone.ok);
  assert.match(alone.reason, /has no other host to go to/);
});

test('planEvacuation - a headroom fraction scales with host memory', () => {
  // 10% of 64 GiB = 6554 MiB kept free: a 60000 MiB guest no longer fits on an empty host.
  const snap = mkSnapshot({ hosts: [mkHost('node01'), mkHost('node02')], guests: [mkGuest('a', 'node01', { memoryMiB: 60000 })] });
  assert.equal(planEvacuation(snap, 'node01').moves.length, 1);
  const plan = planEvacuation(snap, 'node01', { memoryHeadroomFraction: 0.1 });
  assert.equal(plan.moves.length, 0);
  assert.match(plan.unplaced[0]?.reason ?? '', /6554 MiB headroom/);
});
