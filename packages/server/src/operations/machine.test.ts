import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { canTransition, reconcile, rollbackReason, SWITCHOVER_TRIES, type HostFacts, type StepState } from './machine.js';

const on: HostFacts = { reachable: true, defined: true, running: true, paused: false, job: 'none' };
const gone: HostFacts = { reachable: true, defined: false, running: false, paused: false, job: 'none' };
const paused: HostFacts = { ...on, running: false, paused: true };
const away: HostFacts = { reachable: false, defined: false, running: false, paused: false, job: 'unknown' };

test('machine - steps move forward only along the journal', () => {
  assert.ok(canTransition('queued', 'preparing'));
  assert.ok(canTransition('migrating', 'aborting'));
  assert.ok(!canTransition('done', 'migrating'));
  assert.ok(!canTransition('queued', 'done'));
  assert.ok(canTransition('failed', 'queued'), 'retry on an alternative destination');
});

test('reconcile - a running job is followed, not restarted', () => {
  assert.equal(reconcile('migrating', true, { ...on, job: 'running' }, gone).action, 'wait');
});

test('reconcile - guest on the destination only: finish', () => {
  assert.equal(reconcile('migrating', true, gone, on).action, 'finish');
  assert.equal(reconcile('verifying', true, { ...gone, defined: true }, on).action, 'finish');
});

test('reconcile - guest still on the source: roll back, resuming it when paused', () => {
  const r = reconcile('migrating', true, paused, gone);
  assert.deepEqual([r.action, r.action === 'rollback' && r.resumeSource], ['rollback', true]);
  const r2 = reconcile('migrating', true, on, gone);
  assert.deepEqual([r2.action, r2.action === 'rollback' && r2.resumeSource], ['rollback', false]);
});

test('reconcile - never resumes the source while the destination has the guest active', () => {
  const r = reconcile('migrating', true, paused, { ...gone, defined: true, paused: true });
  assert.equal(r.action, 'conflict');
});

test('reconcile - an unreachable host means ask again later', () => {
  assert.equal(reconcile('migrating', true, away, on).action, 'retry-later');
  assert.equal(reconcile('migrating', true, on, away).action, 'retry-later');
});

test('reconcile - a step never started is taken again', () => {
  assert.equal(reconcile('queued', false, on, gone).action, 'restart-step');
  assert.equal(reconcile('preparing', false, on, gone).action, 'restart-step');
});

test('reconcile - property: no decision ever resumes or keeps a source copy while the destination runs the guest', () => {
  const facts = fc
    .record({
      reachable: fc.boolean(),
      defined: fc.boolean(),
      running: fc.boolean(),
      paused: fc.boolean(),
      job: fc.constantFrom('none', 'running', 'completed', 'failed', 'cancelled', 'unknown'),
    })
    .map((f) => (f.running ? { ...f, paused: false, defined: true } : f.paused ? { ...f, defined: true } : f) as HostFacts);
  const state = fc.constantFrom<StepState>('queued', 'preparing', 'migrating', 'verifying', 'aborting');
  fc.assert(
    fc.property(state, fc.boolean(), facts, facts, (st, started, src, dst) => {
      const r = reconcile(st, started, src, dst);
      if (r.action === 'rollback' && r.resumeSource)
        assert.ok(!(dst.running || dst.paused), 'resumes the source while the destination has the guest');
      if (r.action === 'finish' && !['queued', 'preparing'].includes(st))
        assert.ok(dst.running && !(src.running || src.paused), 'finishes without the destination alone running it');
      if (src.reachable && dst.reachable && (src.running || src.paused) && (dst.running || dst.paused) && src.job !== 'running') {
        assert.equal(r.action, 'conflict', `both active -> ${r.action}`);
      }
    }),
    { numRuns: 2000, seed: 7 },
  );
});

test('reconcile - the destination paused while the source is gone is the switch-over: waited out, then a conflict', () => {
  const srcDone: HostFacts = { ...gone, job: 'completed' };
  const dstPaused: HostFacts = { ...gone, defined: true, paused: true };
  assert.equal(reconcile('migrating', true, srcDone, dstPaused).action, 'retry-later');
  assert.equal(reconcile('migrating', true, srcDone, dstPaused, SWITCHOVER_TRIES - 1).action, 'retry-later');
  assert.equal(reconcile('migrating', true, srcDone, dstPaused, SWITCHOVER_TRIES).action, 'conflict');
  // Once it resumes there, the step finishes.
  assert.equal(reconcile('migrating', true, srcDone, on, SWITCHOVER_TRIES).action, 'finish');
});

test("machine - a rolled-back step says why: cancel first, then the source job's own reason, else started or not", () => {
  assert.equal(rollbackReason(true, true, 'FAILURE_REASON_TIMEOUT'), 'FAILURE_REASON_CANCELLED_BY_REQUEST');
  assert.equal(rollbackReason(false, true, 'FAILURE_REASON_TIMEOUT'), 'FAILURE_REASON_TIMEOUT');
  assert.equal(rollbackReason(false, true, 'FAILURE_REASON_CANCELLED_BY_REQUEST'), 'FAILURE_REASON_CANCELLED_BY_REQUEST');
  assert.equal(rollbackReason(false, true, 'FAILURE_REASON_UNSPECIFIED'), 'FAILURE_REASON_UNSETTLED');
  assert.equal(rollbackReason(false, false, undefined), 'FAILURE_REASON_NOT_STARTED');
});
