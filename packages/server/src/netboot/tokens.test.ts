import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SqliteStores } from '../db/sqlite/stores.js';
import { InstallTokens } from './tokens.js';

function setup(): { tokens: InstallTokens; clock: { t: number }; close: () => Promise<void>; stores: SqliteStores } {
  const stores = SqliteStores.open(':memory:');
  stores.db.prepare("INSERT INTO nodelist(node, groups) VALUES ('n1', 'all'), ('n2', 'all')").run();
  const clock = { t: 1_000_000 };
  return { tokens: new InstallTokens(stores.installTokens, 60_000, () => clock.t), clock, close: () => stores.close(), stores };
}

test('install tokens - a token is accepted once, then refused as used', async (t) => {
  const { tokens, close } = setup();
  t.after(close);
  const tok = InstallTokens.generate();
  assert.match(tok, /^[A-Za-z0-9_-]{32}$/);
  await tokens.store('n1', tok);
  assert.deepEqual(await tokens.check('n1', tok), { ok: true });
  assert.deepEqual(await tokens.consume('n1', tok), { ok: true });
  assert.deepEqual(await tokens.consume('n1', tok), { ok: false, problem: 'used' });
  assert.deepEqual(await tokens.check('n1', tok), { ok: false, problem: 'used' });
});

test('install tokens - wrong node, wrong token, malformed and expired tokens are refused', async (t) => {
  const { tokens, clock, close } = setup();
  t.after(close);
  const tok = InstallTokens.generate();
  await tokens.store('n1', tok);
  assert.deepEqual(await tokens.check('n2', tok), { ok: false, problem: 'none-issued' });
  assert.deepEqual(await tokens.check('n1', InstallTokens.generate()), { ok: false, problem: 'mismatch' });
  assert.deepEqual(await tokens.check('n1', 'short'), { ok: false, problem: 'malformed' });
  assert.deepEqual(await tokens.check('n1', `${tok}'`), { ok: false, problem: 'malformed' });
  clock.t += 60_000;
  assert.deepEqual(await tokens.consume('n1', tok), { ok: false, problem: 'expired' });
});

test('install tokens - a new nodeset replaces the token; revoke and rmdef forget it', async (t) => {
  const { tokens, close, stores } = setup();
  t.after(close);
  const first = InstallTokens.generate();
  const second = InstallTokens.generate();
  await tokens.store('n1', first);
  await tokens.consume('n1', first);
  await tokens.store('n1', second);
  assert.deepEqual(await tokens.check('n1', first), { ok: false, problem: 'mismatch' });
  assert.deepEqual(await tokens.consume('n1', second), { ok: true });
  await tokens.store('n2', first);
  await tokens.revoke('n2');
  assert.deepEqual(await tokens.check('n2', first), { ok: false, problem: 'none-issued' });
  await tokens.store('n2', first);
  stores.db.prepare("DELETE FROM nodelist WHERE node = 'n2'").run();
  assert.deepEqual(await tokens.check('n2', first), { ok: false, problem: 'none-issued' });
});
