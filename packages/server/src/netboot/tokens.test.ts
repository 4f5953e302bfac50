import { test } from 'node:test';
import assert from 'node:assert/strict';
import { openDb } from '../db/database.js';
import { InstallTokens } from './tokens.js';

function setup(): { tokens: InstallTokens; clock: { t: number }; close: () => void; db: ReturnType<typeof openDb> } {
  const db = openDb(':memory:');
  db.prepare("INSERT INTO nodelist(node, groups) VALUES ('n1', 'all'), ('n2', 'all')").run();
  const clock = { t: 1_000_000 };
  return { tokens: new InstallTokens(db, 60_000, () => clock.t), clock, close: () => db.close(), db };
}

test('install tokens - a token is accepted once, then refused as used', (t) => {
  const { tokens, close } = setup();
  t.after(close);
  const tok = InstallTokens.generate();
  assert.match(tok, /^[A-Za-z0-9_-]{32}$/);
  tokens.store('n1', tok);
  assert.deepEqual(tokens.check('n1', tok), { ok: true });
  assert.deepEqual(tokens.consume('n1', tok), { ok: true });
  assert.deepEqual(tokens.consume('n1', tok), { ok: false, problem: 'used' });
  assert.deepEqual(tokens.check('n1', tok), { ok: false, problem: 'used' });
});

test('install tokens - wrong node, wrong token, malformed and expired tokens are refused', (t) => {
  const { tokens, clock, close } = setup();
  t.after(close);
  const tok = InstallTokens.generate();
  tokens.store('n1', tok);
  assert.deepEqual(tokens.check('n2', tok), { ok: false, problem: 'none-issued' });
  assert.deepEqual(tokens.check('n1', InstallTokens.generate()), { ok: false, problem: 'mismatch' });
  assert.deepEqual(tokens.check('n1', 'short'), { ok: false, problem: 'malformed' });
  assert.deepEqual(tokens.check('n1', `${tok}'`), { ok: false, problem: 'malformed' });
  clock.t += 60_000;
  assert.deepEqual(tokens.consume('n1', tok), { ok: false, problem: 'expired' });
});

test('install tokens - a new nodeset replaces the token; revoke and rmdef forget it', (t) => {
  const { tokens, close, db } = setup();
  t.after(close);
  const first = InstallTokens.generate();
  const second = InstallTokens.generate();
  tokens.store('n1', first);
  tokens.consume('n1', first);
  tokens.store('n1', second);
  assert.deepEqual(tokens.check('n1', first), { ok: false, problem: 'mismatch' });
  assert.deepEqual(tokens.consume('n1', second), { ok: true });
  tokens.store('n2', first);
  tokens.revoke('n2');
  assert.deepEqual(tokens.check('n2', first), { ok: false, problem: 'none-issued' });
  tokens.store('n2', first);
  db.prepare("DELETE FROM nodelist WHERE node = 'n2'").run();
  assert.deepEqual(tokens.check('n2', first), { ok: false, problem: 'none-issued' });
});
