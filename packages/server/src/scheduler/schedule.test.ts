import { test } from 'node:test';
import assert from 'node:assert/strict';
import { planEvacuation, planMoves } from './plan';
import { nextStartable, retryOf, simulateSchedule } from './schedule';
import { mkGuest, mkHost, mkSnapshot } from './testkit';
import type { Move, Plan } from './types';

const SHARED = { mode: 'shared', copyDisks: [] } as const;

function mv(guest: string, source: string, dest: string, memoryMiB = 4096, alt?: string): Move {
  const m: Move = { guest, uuid: guest, source, dest, memoryMiB, vcpus: 1, storage: SHARED, attempt: 1 };
  return alt ? { ...m, alternative: { dest: alt, storage: SHARED } } : m;
}

function plan(moves: Move[], rooms: Record<string, number>): Plan {
  return {
    kind: 'migrate',
    moves,
    unplaced: [],
    warnings: [],
    capacity: Object.entries(rooms).map(([host, memoryMiB]) => ({ host, memoryMiB, vcpus: 100 })),
  };
}

const idle = { running: [], done: [], failed: [] };
const names = (ms: readonly Move[]) => ms.map((m) => `${m.guest}@${m.attempt}->${m.dest}`);

function evacuation(n: number, hosts: number) {
  const snap = mkSnapshot({
    hosts: Array.from({ length: hosts }, (_, i) => mkHost(`node${String(i + 1).padStart(2, '0')}`)),
    guests: Array.from({ length: n }, (_, i) => mkGuest(`g${i + 1}`, 'node01', { memoryMiB: 1024 * (i + 1) })),
  });
  return planEvacuation(snap, 'node01');
}

test('nextStartable - maxOut limits moves leaving one host, largest first', () => {
  const p = evacuation(5, 6);
  assert.equal(p.moves.length, 5);
  const first = nextStartable(p, idle, { maxOut: 2 });
  assert.deepEqual(
    first.map((m) => m.guest),
    ['g5', 'g4'],
  );
  assert.equal(nextStartable(p, { running: first, done: [], failed: [] }, { maxOut: 2 }).length, 0);
  const next = nextStartable(p, { running: first.slice(1), done: first.slice(0, 1), failed: [] }, { maxOut: 2 });
  assert.deepEqual(
    next.map((m) => m.guest),
    ['g3'],
  );
});

test('nextStartable - maxIn limits moves arriving at one host', () => {
  const snap = mkSnapshot({
    hosts: ['node01', 'node02', 'node03', 'node04', 'node05'].map((n) => mkHost(n)),
    guests: [mkGuest('a', 'node01'), mkGuest('b', 'node02'), mkGuest('c', 'node03')],
  });
  const p = planMoves(snap, ['a', 'b', 'c'], 'node05');
  assert.equal(p.moves.length, 3);
  assert.deepEqual(
    nextStartable(p, idle, { maxIn: 2 }).map((m) => m.guest),
    ['a', 'b'],
  );
  assert.equal(nextStartable(p, idle, { maxIn: 3 }).length, 3);
});

test('nextStartable - maxTotal limits the whole cluster, counting external moves', () => {
  const moves = Array.from({ length: 6 }, (_, i) => mv(`g${i}`, `src${i}`, `dst${i}`));
  const p = plan(moves, Object.fromEntries(moves.map((m) => [m.dest, 8192])));
  assert.equal(nextStartable(p, idle, { maxTotal: 4 }).length, 4);
  const external = [{ guest: 'other', source: 'src0', dest: 'dst5' }];
  assert.deepEqual(names(nextStartable(p, { ...idle, external }, { maxTotal: 4, maxOut: 1, maxIn: 1 })), [
    'g1@1->dst1',
    'g2@1->dst2',
    'g3@1->dst3',
  ]);
});

test('nextStartable - room on a source returns only when its outgoing move finishes', () => {
  // dst has no room until x has left it.
  const x = mv('x', 'dst', 'far');
  const y = mv('y', 'src', 'dst');
  const p = plan([y, x], { dst: 0, far: 8192, src: 0 });
  assert.deepEqual(names(nextStartable(p, idle)), ['x@1->far']);
  assert.deepEqual(names(nextStartable(p, { running: [x], done: [], failed: [] })), []);
  assert.deepEqual(names(nextStartable(p, { running: [], done: [x], failed: [] })), ['y@1->dst']);
});

test('nextStartable - a failed move gives its reservation back and is retried once on its alternative', () => {
  const a = mv('a', 'src', 'dst1', 4096, 'dst2');
  const b = mv('b', 'src', 'dst1', 4096);
  const p = plan([a, b], { dst1: 4096, dst2: 4096, src: 0 });
  assert.deepEqual(names(nextStartable(p, idle)), ['a@1->dst1']);
  const retry = retryOf(a);
  assert.ok(retry);
  assert.deepEqual(names(nextStartable(p, { running: [], done: [], failed: [a] })), ['a@2->dst2', 'b@1->dst1']);
  assert.equal(retry.alternative, undefined);
  assert.deepEqual(names(nextStartable(p, { running: [], done: [], failed: [a, retry] })), ['b@1->dst1']);
  assert.deepEqual(names(nextStartable(p, { running: [], done: [], failed: [b] })), ['a@1->dst1']);
});

test('nextStartable - a move failed for good (guest not where it was expected) is not retried', () => {
  const a = mv('a', 'src', 'dst1', 4096, 'dst2');
  const b = mv('b', 'src', 'dst1', 4096);
  const p = plan([a, b], { dst1: 4096, dst2: 4096, src: 0 });
  assert.deepEqual(names(nextStartable(p, { running: [], done: [], failed: [], failedFinal: [a] })), ['b@1->dst1']);
  assert.deepEqual(names(nextStartable(p, { running: [], done: [], failed: [a], failedFinal: [a] })), ['b@1->dst1']);
});

test('nextStartable - a retry may not take room a planned move still needs', () => {
  const a = mv('a', 's1', 'd1', 4096, 'd2');
  const b = mv('b', 's2', 'd2', 4096);
  const p = plan([a, b], { d1: 4096, d2: 4096 });
  // b has not started and needs all of d2, so a's retry waits.
  assert.deepEqual(names(nextStartable(p, { running: [], done: [], failed: [a] }, { maxIn: 1 })), ['b@1->d2']);
  assert.deepEqual(names(nextStartable(p, { running: [b], done: [], failed: [a] })), []);
});

test('simulateSchedule - replays a plan into a timeline', () => {
  const p = evacuation(3, 4);
  const sim = simulateSchedule(p, { maxOut: 2 }, { g3: 10, g2: 5, g1: 1 });
  assert.deepEqual(
    sim.events.map((e) => `${e.at} ${e.kind} ${e.move.guest}`),
    ['0 start g3', '0 start g2', '5 finish g2', '5 start g1', '6 finish g1', '10 finish g3'],
  );
  assert.equal(sim.makespan, 10);
  assert.equal(sim.peakRunning, 2);
  assert.deepEqual(sim.done, ['g1', 'g2', 'g3']);
  assert.deepEqual(sim.failed, []);
  assert.deepEqual(sim.stuck, []);
});

test('simulateSchedule - failed first attempts are retried on the alternative', () => {
  const p = evacuation(2, 4);
  const sim = simulateSchedule(p, undefined, (m) => (m.attempt === 2 ? 3 : 2), { fails: (m) => m.guest === 'g2' && m.attempt === 1 });
  assert.deepEqual(
    sim.events.map((e) => `${e.at} ${e.kind} ${e.move.guest}@${e.move.attempt}`),
    ['0 start g2@1', '0 start g1@1', '2 finish g1@1', '2 fail g2@1', '2 start g2@2', '5 finish g2@2'],
  );
  assert.deepEqual(sim.done, ['g1', 'g2']);
  const twice = simulateSchedule(
    p,
    undefined,
    new Map([
      ['g1', 1],
      ['g2', 1],
    ]),
    { fails: (m) => m.guest === 'g2' },
  );
  assert.deepEqual(twice.failed, ['g2']);
  assert.deepEqual(twice.done, ['g1']);
});

test('simulateSchedule - moves that can never start are reported as stuck', () => {
  const p = plan([mv('a', 'src', 'dst')], { dst: 1024 });
  const sim = simulateSchedule(p, undefined, { a: 1 });
  assert.deepEqual(sim.stuck, ['a']);
  assert.deepEqual(sim.events, []);
});

test('simulateSchedule - a missing duration is an error', () => {
  assert.throws(() => simulateSchedule(evacuation(1, 2), undefined, {}), /no usable duration for guest g1/);
});
