import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SchedulerError } from './errors';
import { DEFAULT_POLICY, headroomMiB, resolvePolicy } from './policy';
import { planEvacuation, planMoves } from './plan';
import { mkGuest, mkHost, mkSnapshot } from './testkit';

test('policy - defaults fill what the caller leaves out', () => {
  assert.deepEqual(resolvePolicy(), DEFAULT_POLICY);
  assert.deepEqual(resolvePolicy({ maxIn: 3, copyStorage: undefined }), { ...DEFAULT_POLICY, maxIn: 3 });
  assert.deepEqual(
    { maxOut: DEFAULT_POLICY.maxOut, maxIn: DEFAULT_POLICY.maxIn, maxTotal: DEFAULT_POLICY.maxTotal, ratio: DEFAULT_POLICY.vcpuOvercommit },
    { maxOut: 2, maxIn: 2, maxTotal: 8, ratio: 4 },
  );
});

test('policy - nonsense values are refused with the field named', () => {
  for (const [bad, field] of [
    [{ maxOut: 0 }, 'maxOut'],
    [{ maxTotal: 1.5 }, 'maxTotal'],
    [{ vcpuOvercommit: 0 }, 'vcpuOvercommit'],
    [{ memoryHeadroomMiB: -1 }, 'memoryHeadroomMiB'],
    [{ memoryHeadroomFraction: 1 }, 'memoryHeadroomFraction'],
    [{ copyStorage: 'sometimes' as never }, 'copyStorage'],
  ] as const) {
    assert.throws(
      () => resolvePolicy(bad),
      (e: unknown) => e instanceof SchedulerError && e.code === 'BAD_POLICY' && e.subject === field,
    );
  }
});

test('policy - headroom is the larger of the flat amount and the fraction', () => {
  const p = resolvePolicy({ memoryHeadroomMiB: 512, memoryHeadroomFraction: 0.01 });
  assert.equal(headroomMiB(p, 16384), 512);
  assert.equal(headroomMiB(p, 262144), 2622);
});

test('snapshot - duplicate guest names are refused when guests are looked up', () => {
  const snap = mkSnapshot({ hosts: [mkHost('node01'), mkHost('node02')], guests: [mkGuest('a', 'node01'), mkGuest('a', 'node01')] });
  const dup = (e: unknown) => e instanceof SchedulerError && e.code === 'DUPLICATE_GUEST' && e.subject === 'a';
  assert.throws(() => planEvacuation(snap, 'node01'), dup);
  assert.throws(() => planMoves(snap, ['a'], undefined), dup);
});
