import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checksFromJson, legacyCheck, planWarning, schedulerCheck } from './checks.js';

test('checks - scheduler results: a pass carries no message, a soft failure warns, a hard one fails', () => {
  assert.deepEqual(schedulerCheck('vm1', { check: 'memory', pass: true, soft: false, message: 'fits' }), {
    node: 'vm1',
    name: 'memory',
    verdict: 'CHECK_VERDICT_OK',
    message: '',
  });
  assert.deepEqual(schedulerCheck('vm1', { check: 'anti-affinity', pass: false, soft: true, message: 'shares h2' }), {
    node: 'vm1',
    name: 'anti-affinity',
    verdict: 'CHECK_VERDICT_WARNING',
    message: 'shares h2',
  });
  assert.deepEqual(schedulerCheck('vm1', { check: 'host-up', pass: false, soft: false, message: 'h2 is down' }), {
    node: 'vm1',
    name: 'host-up',
    verdict: 'CHECK_VERDICT_FAILED',
    message: 'h2 is down',
  });
  assert.deepEqual(planWarning('two of g on h2'), { node: '', name: '', verdict: 'CHECK_VERDICT_WARNING', message: 'two of g on h2' });
});

test('checks - lines journaled before checks were structured are read back into checks', () => {
  assert.deepEqual(legacyCheck('vm1: ok reachability'), { node: 'vm1', name: 'reachability', verdict: 'CHECK_VERDICT_OK', message: '' });
  assert.deepEqual(legacyCheck("vm1: FAILED cpu-compare: agent on 'h2' did not answer CompareCpu (x: y)"), {
    node: 'vm1',
    name: 'cpu-compare',
    verdict: 'CHECK_VERDICT_FAILED',
    message: "agent on 'h2' did not answer CompareCpu (x: y)",
  });
  assert.deepEqual(legacyCheck('vm1: warning reachability: h2 has not announced its migration URI yet'), {
    node: 'vm1',
    name: 'reachability',
    verdict: 'CHECK_VERDICT_WARNING',
    message: 'h2 has not announced its migration URI yet',
  });
  assert.deepEqual(legacyCheck('warning: guest a of group g goes to h2'), planWarning('guest a of group g goes to h2'));
  assert.deepEqual(legacyCheck('not a check line'), {
    node: '',
    name: '',
    verdict: 'CHECK_VERDICT_UNSPECIFIED',
    message: 'not a check line',
  });
});

test('checks - the journal column holds structured checks; old text lines and damaged values are tolerated', () => {
  const now = [schedulerCheck('vm1', { check: 'cpu', pass: true, soft: false, message: '' }), planWarning('w')];
  assert.deepEqual(checksFromJson(JSON.stringify(now)), now);
  assert.deepEqual(checksFromJson(JSON.stringify(['vm2: FAILED memory: too big'])), [
    { node: 'vm2', name: 'memory', verdict: 'CHECK_VERDICT_FAILED', message: 'too big' },
  ]);
  assert.deepEqual(checksFromJson(JSON.stringify([{ node: 'vm3', name: 'x', verdict: 'BOGUS' }])), [
    { node: 'vm3', name: 'x', verdict: 'CHECK_VERDICT_UNSPECIFIED', message: '' },
  ]);
  assert.deepEqual(checksFromJson('not json'), []);
  assert.deepEqual(checksFromJson(null), []);
});
