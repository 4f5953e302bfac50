import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EscapeScanner } from './rcons.js';

test('rcons escape - Ctrl-E c . detaches, split across chunks too', () => {
  const s = new EscapeScanner();
  assert.deepEqual(s.feed(Buffer.from('ab\x05')), { forward: Buffer.from('ab'), detach: false });
  assert.deepEqual(s.feed(Buffer.from('c.')), { forward: Buffer.from(''), detach: true });
});

test('rcons escape - a partial escape followed by other bytes is forwarded as typed', () => {
  const s = new EscapeScanner();
  assert.deepEqual(s.feed(Buffer.from('\x05cx')), { forward: Buffer.from('\x05cx'), detach: false });
  assert.deepEqual(s.feed(Buffer.from('\x05\x05c.')).detach, true);
});
