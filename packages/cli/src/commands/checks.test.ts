import { test } from 'node:test';
import assert from 'node:assert/strict';
import { codec, type Check__Output, type Operation__Output } from '@drover/contract';
import { checkLine, operationJson } from './checks.js';

const c = (node: string, name: string, verdict: Check__Output['verdict'], message = ''): Check__Output => ({
  node,
  name,
  verdict,
  message,
});

test('checks - each verdict prints as the lines a dry run has always printed', () => {
  assert.equal(checkLine(c('vm1', 'host-up', 'CHECK_VERDICT_OK')), 'vm1: ok host-up');
  assert.equal(
    checkLine(c('vm1', 'memory', 'CHECK_VERDICT_FAILED', 'memory: node02 has 512 MiB free; vm1 needs 1024 MiB')),
    'vm1: FAILED memory: memory: node02 has 512 MiB free; vm1 needs 1024 MiB',
  );
  assert.equal(checkLine(c('vm1', 'anti-affinity', 'CHECK_VERDICT_WARNING', 'shares node02')), 'vm1: warning anti-affinity: shares node02');
  // A passing check may say what it found (cpu-compare that could not compare).
  assert.equal(
    checkLine(c('vm1', 'cpu-compare', 'CHECK_VERDICT_OK', 'not compared: vm1 has no CPU model on node01')),
    'vm1: ok cpu-compare: not compared: vm1 has no CPU model on node01',
  );
  // A note on the whole plan names no guest and no check.
  assert.equal(checkLine(c('', '', 'CHECK_VERDICT_WARNING', 'guest a of group g goes to h')), 'warning: guest a of group g goes to h');
  // Unrecognised text kept from before checks were structured prints as it was.
  assert.equal(checkLine(c('', '', 'CHECK_VERDICT_UNSPECIFIED', 'something: odd')), 'something: odd');
});

test('checks - an operation in -o json is byte for byte what it was when checks were text lines', () => {
  const ops = codec<Operation__Output>('Operation');
  const op = ops.decode(
    ops.encode({
      id: 'op1',
      kind: 'migrate',
      state: 'failed',
      requestedBy: 'alice',
      createdMs: 1000,
      finishedMs: 2000,
      summary: '0 moved, 1 failed',
      steps: [
        {
          id: '001-a',
          guest: 'a',
          source: 'h1',
          dest: 'h2',
          state: 'failed',
          error: 'timed out after 1s',
          startedMs: 1100,
          finishedMs: 1900,
          attempt: 1,
          reason: 'FAILURE_REASON_TIMEOUT',
        },
      ],
      checks: [c('a', 'reachability', 'CHECK_VERDICT_FAILED', 'h2 unreachable'), c('', '', 'CHECK_VERDICT_WARNING', 'group g shares h2')],
      unplaced: ['b: no room'],
    }),
  );
  // What the same operation printed as, decoded with the proto from before this change.
  const before =
    '{"steps":[{"id":"001-a","guest":"a","source":"h1","dest":"h2","state":"failed","error":"timed out after 1s","startedMs":1100,"finishedMs":1900,"progress":null,"attempt":1}],"checks":["a: FAILED reachability: h2 unreachable","warning: group g shares h2"],"unplaced":["b: no room"],"id":"op1","kind":"migrate","state":"failed","requestedBy":"alice","createdMs":1000,"finishedMs":2000,"summary":"0 moved, 1 failed"}';
  assert.equal(JSON.stringify(operationJson(op)), before);
});
