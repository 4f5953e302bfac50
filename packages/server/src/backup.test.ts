import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync, mkdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { openDb } from './db/sqlite/database.js';
import { backup } from './backup.js';
import { MIGRATIONS } from './db/migrations.js';

test('backup - copies the tables consistently while a writer holds them open, and the CA', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'drover-backup-'));
  try {
    const state = join(dir, 'state');
    const db = openDb(join(state, 'drover.db'));
    db.prepare("INSERT INTO audit(time_ms, who, role, action, outcome) VALUES (1, 'alice', 'admin', 'NodeAdd', 'ok')").run();
    mkdirSync(join(state, 'pki'));
    writeFileSync(join(state, 'pki', 'ca.pem'), 'CA');
    const dest = await backup(state, join(dir, 'out'), new Date(0));
    db.close();
    const copy = new Database(join(dest, 'drover.db'), { readonly: true });
    assert.equal((copy.prepare('SELECT who FROM audit').get() as { who: string }).who, 'alice');
    assert.equal(copy.pragma('user_version', { simple: true }), MIGRATIONS.length, 'schema version copied');
    copy.close();
    assert.equal(readFileSync(join(dest, 'pki', 'ca.pem'), 'utf8'), 'CA');
    await assert.rejects(backup(state, join(dir, 'out'), new Date(0)), /already exists/);
    await assert.rejects(backup(join(dir, 'nothing'), join(dir, 'out')), /no tables at/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
