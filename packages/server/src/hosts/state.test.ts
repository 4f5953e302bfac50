import { test } from 'node:test';
import assert from 'node:assert/strict';
import { classify } from './state.js';

const t = { staleAfterMs: 1000, downAfterMs: 3000 };

test('host state - up before the stale threshold, stale before the down threshold, then down', () => {
  assert.equal(classify(10_000, 10_999, t), 'up');
  assert.equal(classify(10_000, 11_000, t), 'stale');
  assert.equal(classify(10_000, 12_999, t), 'stale');
  assert.equal(classify(10_000, 13_000, t), 'down');
});

test('host state - a host never seen is down', () => {
  assert.equal(classify(0, 5, t), 'down');
});
