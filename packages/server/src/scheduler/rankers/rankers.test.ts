import { test } from 'node:test';
import assert from 'node:assert/strict';
import { pickDestination } from '../plan';
import { mkGuest, mkHost, mkSnapshot } from '../testkit';

function dest(p: ReturnType<typeof pickDestination>): string {
  assert.ok(p.ok, p.ok ? '' : p.reason);
  return p.dest;
}

test('rankers - the host with the most free memory after the move wins', () => {
  const snap = mkSnapshot({
    hosts: [
      mkHost('node01'),
      mkHost('node02', { memoryFreeMiB: 30000 }),
      mkHost('node03', { memoryFreeMiB: 50000 }),
      mkHost('node04', { memoryFreeMiB: 40000 }),
    ],
    guests: [mkGuest('web1', 'node01')],
  });
  assert.equal(dest(pickDestination(snap, 'web1')), 'node03');
});

test('rankers - equal scores are broken by host name whatever the input order', () => {
  const hosts = [mkHost('node01'), mkHost('node09'), mkHost('node05'), mkHost('node07')];
  const snap = mkSnapshot({ hosts, guests: [mkGuest('web1', 'node01')] });
  assert.equal(dest(pickDestination(snap, 'web1')), 'node05');
  assert.equal(dest(pickDestination({ ...snap, hosts: [...hosts].reverse() }, 'web1')), 'node05');
});

test('rankers - anti-affinity outranks free memory', () => {
  const snap = mkSnapshot({
    hosts: [
      mkHost('node01'),
      mkHost('node02', { memoryTotalMiB: 262144, memoryFreeMiB: 262144 }),
      mkHost('node03', { memoryFreeMiB: 20000 }),
    ],
    guests: [mkGuest('db1', 'node01', { antiAffinity: 'db' }), mkGuest('db2', 'node02', { antiAffinity: 'db' })],
  });
  const p = pickDestination(snap, 'db1');
  assert.equal(dest(p), 'node03');
  assert.ok(p.ok);
  assert.deepEqual(p.warnings, []);
});

test('rankers - fewer group members is better when none is free of the group', () => {
  const snap = mkSnapshot({
    hosts: [mkHost('node01'), mkHost('node02', { memoryTotalMiB: 262144, memoryFreeMiB: 262144 }), mkHost('node03')],
    guests: [
      mkGuest('db1', 'node01', { antiAffinity: 'db' }),
      mkGuest('db2', 'node02', { antiAffinity: 'db', memoryMiB: 1 }),
      mkGuest('db3', 'node02', { antiAffinity: 'db', memoryMiB: 1 }),
      mkGuest('db4', 'node03', { antiAffinity: 'db', memoryMiB: 1 }),
    ],
  });
  const p = pickDestination(snap, 'db1');
  assert.equal(dest(p), 'node03');
  assert.ok(p.ok);
  assert.equal(p.warnings.length, 1);
  assert.match(p.warnings[0]?.message ?? '', /anti-affinity: guest db1 of group db goes to node03/);
});
