/**
 * scripts/test.mjs, the runner behind `npm test`, on small test files of its own: a green run
 * means green. A retried end-to-end file names every test that failed first (`flaky:`), the closing
 * line counts final results and decides the exit status, skipped tests are named in every tier, and
 * the integration tier is preceded by the `emulated:` line.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO, run, tempDir, cleanupDir } from '../support/procs.js';
import { EMULATED_MIGRATION_TESTS } from '../support/emulated.js';

let dir: string;
before(() => {
  dir = tempDir('drover-runner-');
});
after(() => cleanupDir(dir));

function fixture(name: string, body: string): string {
  const f = join(dir, name);
  writeFileSync(f, `'use strict';\nconst { test } = require('node:test');\n${body}\n`);
  return f;
}

/** The runner on named files of one tier. No lab is started: DROVER_LAB_ID names one (unused by these files). */
function runner(tier: string, files: string[], env: NodeJS.ProcessEnv = {}): ReturnType<typeof run> {
  return run(process.execPath, [join(REPO, 'scripts', 'test.mjs'), tier, ...files], {
    cwd: REPO,
    // NODE_TEST_CONTEXT would make the runner's own node --test talk to this test process instead.
    env: { NODE_TEST_CONTEXT: undefined, DROVER_LAB_ID: 'nolab', DROVER_E2E_OPT_OUT: undefined, ...env },
    timeoutMs: 60_000,
  });
}

const lastLine = (out: string): string => out.trim().split('\n').pop() ?? '';

test('test runner - a test that fails on the first run of its e2e file and passes on the retry is named flaky; final results count; exit 0', async () => {
  const marker = join(dir, 'first-run-done');
  const flaky = fixture(
    'flaky.test.js',
    `const fs = require('node:fs');
test('steady one', () => {});
test('fails the first time', () => {
  if (!fs.existsSync(${JSON.stringify(marker)})) { fs.writeFileSync(${JSON.stringify(marker)}, ''); throw new Error('first run'); }
});`,
  );
  const steady = fixture('steady.test.js', `test('always passes', () => {});`);
  const r = await runner('e2e', [flaky, steady]);
  assert.equal(r.code, 0, r.stdout + r.stderr);
  assert.match(r.stdout, /== e2e: \S*flaky\.test\.js failed \(1\); running it once more/);
  const flakyLines = r.stdout.split('\n').filter((l) => l.startsWith('flaky: '));
  assert.deepEqual(flakyLines, [`flaky: ${flaky} › fails the first time`]);
  // final results: the retry's 2 of flaky.test.js and the 1 of steady.test.js
  assert.equal(lastLine(r.stdout), '3 passed, 0 failed');
  // the flaky line comes before the closing line
  assert.ok(r.stdout.indexOf('flaky: ') < r.stdout.lastIndexOf('3 passed, 0 failed'));
});

test('test runner - a test that fails on both runs is counted once as failed, is not called flaky, and the run exits 1', async () => {
  const broken = fixture(
    'broken.test.js',
    `test('passes', () => {});
test('always fails', () => { throw new Error('broken'); });`,
  );
  const r = await runner('e2e', [broken]);
  assert.equal(r.code, 1, r.stdout + r.stderr);
  assert.doesNotMatch(r.stdout, /^flaky: /m);
  assert.equal(lastLine(r.stdout), '1 passed, 1 failed');
});

test('test runner - skipped and todo tests are named in every tier; the e2e tier counts a skip as a failure', async () => {
  const skips = fixture(
    'skips.test.js',
    `test('runs', () => {});
test('is skipped', { skip: 'not here' }, () => {});
test('parent', async (t) => { await t.test('child skipped', { skip: true }, () => {}); });
test('not yet', { todo: true }, () => {});`,
  );
  const unit = await runner('unit', [skips]);
  assert.equal(unit.code, 0, unit.stdout + unit.stderr);
  const named = unit.stdout.split('\n').filter((l) => l.startsWith('skipped: '));
  assert.deepEqual(named.sort(), [
    `skipped: ${skips} › is skipped`,
    `skipped: ${skips} › not yet`,
    `skipped: ${skips} › parent › child skipped`,
  ]);
  assert.equal(lastLine(unit.stdout), '2 passed, 0 failed');

  const e2e = await runner('e2e', [skips]);
  assert.equal(e2e.code, 1, e2e.stdout);
  assert.match(e2e.stdout, /^skipped: \S+ › is skipped$/m);
  assert.match(e2e.stdout, /test: e2e: 3 tests skipped; the end-to-end tier does not skip silently/);
  assert.equal(lastLine(e2e.stdout), '2 passed, 3 failed');
});

test('test runner - the integration tier starts with the emulated: line naming the tests on emulated migrations', async () => {
  const one = fixture('one.test.js', `test('one', () => {});`);
  const r = await runner('integration', [one]);
  assert.equal(r.code, 0, r.stdout + r.stderr);
  const lines = r.stdout.split('\n');
  const at = lines.findIndex((l) => l.startsWith('emulated: '));
  assert.ok(at >= 0 && at < lines.findIndex((l) => l.startsWith('== integration')), r.stdout);
  assert.ok(EMULATED_MIGRATION_TESTS.length > 0);
  for (const t of EMULATED_MIGRATION_TESTS) assert.ok(lines[at]!.includes(`${t.file} › ${t.test}`), lines[at]);
  // no emulated: line for the other tiers
  const u = await runner('unit', [one]);
  assert.doesNotMatch(u.stdout, /^emulated: /m);
});
