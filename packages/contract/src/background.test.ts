import { test } from 'node:test';
import assert from 'node:assert/strict';
import { background } from './background.js';

test('background - a failed task is logged with its name, not left unhandled', async () => {
  const lines: { obj: object; msg: string }[] = [];
  let unhandled = 0;
  const onUnhandled = (): void => void unhandled++;
  process.on('unhandledRejection', onUnhandled);
  try {
    background('pump', Promise.reject(new Error('boom')), { error: (obj, msg) => lines.push({ obj, msg }) });
    await new Promise((r) => setImmediate(r));
    assert.deepEqual(lines, [{ obj: { err: 'boom', task: 'pump' }, msg: 'pump failed' }]);
    assert.equal(unhandled, 0);
  } finally {
    process.off('unhandledRejection', onUnhandled);
  }
});

test('background - a task that succeeds logs nothing', async () => {
  const lines: string[] = [];
  background('ok', Promise.resolve(1), { error: (_o, msg) => lines.push(msg) });
  await new Promise((r) => setImmediate(r));
  assert.deepEqual(lines, []);
});
