import { test } from 'node:test';
import assert from 'node:assert/strict';
import { powerStateWord } from './states.js';

test('powerStateWord - one vocabulary for rpower lines and lsvm columns', () => {
  assert.equal(powerStateWord('POWER_STATE_ON'), 'on');
  assert.equal(powerStateWord('POWER_STATE_BLOCKED'), 'on');
  assert.equal(powerStateWord('POWER_STATE_SHUTTING_DOWN'), 'on (shutting down)');
  assert.equal(powerStateWord('POWER_STATE_SHUTTING_DOWN', 'column'), 'shutting-down');
  assert.equal(powerStateWord('POWER_STATE_PMSUSPENDED', 'column'), 'pmsuspended');
  assert.equal(powerStateWord(undefined), 'unknown');
  assert.equal(powerStateWord('POWER_STATE_NOT_A_STATE'), 'unknown');
});
