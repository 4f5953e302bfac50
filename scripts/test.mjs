#!/usr/bin/env node
// Runs drover's test tiers with node's built-in test runner and ends with one closing line
// "N passed, M failed" that counts every test's final result; the exit status is 0 only when M is 0.
// Usage: node scripts/test.mjs all|unit|integration|e2e [file ...]
//
// - unit:        packages/*/lib/**/*.test.js (pure logic, no processes)
// - integration: test/lib/integration/**/*.test.js (real nats-server, gRPC+mTLS, SQLite, libvirt test driver)
// - e2e:         test/lib/e2e/**/*.test.js (real libvirtd + QEMU lab hosts; one lab per run, or the
//                running lab named by DROVER_LAB_ID)
// "all" also runs the generated-code freshness check and the dependency rules first. Files named
// after a single tier run instead of that tier's whole list (and the tier's minimum count is not checked).
//
// What is printed besides node's spec output:
// - `emulated: ...` before the integration tier: the tests whose migrations are the fleet simulator's
//   emulation, not libvirt's (test/src/support/emulated.ts);
// - `skipped: <file> › <test>` for every skipped or todo test, in every tier;
// - `flaky: <file> › <test>` for every end-to-end test that failed on its file's first run and passed
//   when the file ran once more (the retry's results are the final ones; the first failure is named,
//   never dropped).
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { isAbsolute, join, relative, resolve } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const reporter = join(root, 'scripts', 'test-reporter.mjs');
const [tier = 'all', ...named] = process.argv.slice(2);
const tiers = tier === 'all' ? ['unit', 'integration', 'e2e'] : [tier];
if (!tiers.every((t) => ['unit', 'integration', 'e2e'].includes(t))) {
  console.error(`test: unknown tier '${tier}'; use all, unit, integration or e2e`);
  process.exit(2);
}
if (named.length && tier === 'all') {
  console.error('test: files can be named only with one tier (unit, integration or e2e)');
  process.exit(2);
}
const missing = named.filter((f) => !existsSync(f));
if (missing.length) {
  console.error(`test: no such test file: ${missing.join(', ')}`);
  process.exit(2);
}

function find(dir, out = []) {
  if (!existsSync(dir)) return out;
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) find(p, out);
    else if (name.endsWith('.test.js')) out.push(p);
  }
  return out;
}
function filesFor(t) {
  if (named.length) return named.map((f) => resolve(f));
  if (t === 'unit') {
    return readdirSync(join(root, 'packages')).flatMap((p) => find(join(root, 'packages', p, 'lib')));
  }
  return find(join(root, 'test', 'lib', t));
}
/** A file as printed: relative to the repository when inside it. */
const shown = (f) => {
  const r = relative(root, f);
  return r.startsWith('..') || isAbsolute(r) ? f : r;
};

function step(name, cmd, args) {
  const r = spawnSync(cmd, args, { cwd: root, stdio: 'inherit' });
  if (r.status !== 0) {
    console.error(`test: ${name} failed`);
    console.log('0 passed, 1 failed');
    process.exit(1);
  }
}

/**
 * Runs test files in one `node --test` process: spec output to the terminal, one JSON line per
 * test to `out` (scripts/test-reporter.mjs). Resolves to each test's result, and to a note when
 * the process failed without any test saying so (a crash outside every test).
 */
async function runFiles(list, out, env, concurrency) {
  const args = [
    '--test',
    `--test-concurrency=${concurrency}`,
    '--test-reporter=spec',
    '--test-reporter-destination=stdout',
    `--test-reporter=${reporter}`,
    `--test-reporter-destination=${out}`,
    ...list.map((f) => relative(root, f)),
  ];
  const code = await new Promise((res) =>
    spawn(process.execPath, args, { cwd: root, env, stdio: 'inherit' }).on('exit', (c, sig) => res(c ?? (sig ? 128 : 1))),
  );
  const results = (existsSync(out) ? readFileSync(out, 'utf8') : '')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l))
    .map((r) => ({ ...r, file: r.file ? resolve(root, r.file) : '' }));
  const failed = results.some((r) => r.status === 'fail' || r.status === 'cancelled');
  if (code !== 0 && !failed) {
    results.push({
      file: list.length === 1 ? list[0] : '',
      name: `node --test exited with status ${code} and no failing test`,
      status: 'fail',
    });
  }
  return results;
}

const key = (r) => `${shown(r.file)} › ${r.name}`;
const isFail = (r) => r.status === 'fail' || r.status === 'cancelled';

/**
 * What failed in `first` and not in `retry` (same file, same name): tests that passed on the
 * retry, and failures the retry never reached again (a crash outside the tests), marked as such.
 */
function flakyOf(first, retry) {
  const failedAgain = new Set(retry.filter(isFail).map(key));
  const passed = new Set(retry.filter((r) => r.status === 'pass').map(key));
  return [...new Set(first.filter(isFail).map(key))]
    .filter((k) => !failedAgain.has(k))
    .map((k) => (passed.has(k) ? k : `${k} (did not run again on the retry)`));
}

function count(results) {
  return {
    pass: results.filter((r) => r.status === 'pass').length,
    fail: results.filter(isFail).length,
    skip: results.filter((r) => r.status === 'skip' || r.status === 'todo').length,
  };
}

/** The `emulated:` line: tests whose migrations the fleet simulator emulates (none of libvirt's code runs). */
async function emulatedLine() {
  const reg = join(root, 'test', 'lib', 'support', 'emulated.js');
  if (!existsSync(reg)) return 'emulated: (test/lib/support/emulated.js not built; run npx tsc -b)';
  const { EMULATED_MIGRATION_TESTS: list } = await import(reg);
  const names = list.map((t) => `${t.file} › ${t.test}`);
  return `emulated: migrations emulated by the fleet simulator, not run by libvirt, in ${list.length} test(s): ${names.join('; ')}`;
}

async function runTier(t) {
  const files = filesFor(t);
  const dir = mkdtempSync(join(tmpdir(), 'drover-test-'));
  if (t === 'integration') console.log(await emulatedLine());
  console.log(`\n== ${t}: ${files.length} test files`);
  const res = { pass: 0, fail: 0, skip: 0, notes: [], flaky: [], skipped: [] };
  if (files.length === 0) {
    res.fail = 1;
    res.notes.push(`${t}: no test files found`);
    return res;
  }
  const env = { ...process.env, DROVER_TEST_TIER: t };
  let lab = null;
  if (t === 'e2e' && !process.env.DROVER_LAB_ID) {
    lab = await import(join(root, 'test/lib/lab/shared.js')).then((m) => m.startSharedLab());
    env.DROVER_LAB_ID = lab.id;
  }
  let results = [];
  try {
    if (t !== 'e2e') {
      results = await runFiles(files, join(dir, `${t}.jsonl`), env, 2);
    } else {
      // End-to-end files run one by one on the shared lab. A file with a failing test runs once
      // more; its retry's results are the final ones, and every test that failed first and then
      // passed is named on a `flaky:` line (a flaky test is a failing test whose cause is unknown).
      for (const [i, f] of files.entries()) {
        const first = await runFiles([f], join(dir, `e2e.${i}.jsonl`), env, 1);
        let final = first;
        if (first.some(isFail)) {
          console.log(`== e2e: ${shown(f)} failed (${first.filter(isFail).length}); running it once more`);
          final = await runFiles([f], join(dir, `e2e.${i}.retry.jsonl`), env, 1);
          res.flaky.push(...flakyOf(first, final));
        }
        results.push(...final);
      }
    }
  } finally {
    if (lab) await lab.stop();
  }
  Object.assign(res, count(results));
  res.skipped = results.filter((r) => r.status === 'skip' || r.status === 'todo').map(key);
  if (t === 'e2e' && res.skip > 0 && !process.env.DROVER_E2E_OPT_OUT) {
    res.notes.push(`e2e: ${res.skip} tests skipped; the end-to-end tier does not skip silently`);
    res.fail += res.skip;
  }
  const expectFile = join(root, 'test', `${t}.expected`);
  if (!named.length && existsSync(expectFile)) {
    const min = Number(readFileSync(expectFile, 'utf8').trim());
    if (res.pass + res.fail < min) {
      res.notes.push(`${t}: only ${res.pass + res.fail} tests ran, expected at least ${min} (test/${t}.expected)`);
      res.fail += 1;
    }
  }
  return res;
}

if (tier === 'all') {
  step('generated code check (npm run gen:check)', process.execPath, ['scripts/gen.mjs', '--check']);
  step('lint: eslint, prettier --check, dependency rules (npm run lint)', 'bash', ['scripts/lint.sh']);
}
let pass = 0;
let fail = 0;
const notes = [];
const flaky = [];
for (const t of tiers) {
  if (t === 'e2e' && process.env.DROVER_E2E_OPT_OUT) {
    console.log('== e2e: skipped because DROVER_E2E_OPT_OUT is set (never set in CI)');
    continue;
  }
  const r = await runTier(t);
  pass += r.pass;
  fail += r.fail;
  notes.push(...r.notes);
  flaky.push(...r.flaky);
  for (const s of r.skipped) console.log(`skipped: ${s}`);
  console.log(`== ${t}: ${r.pass} passed, ${r.fail} failed${r.skip ? `, ${r.skip} skipped` : ''}`);
}
for (const n of notes) console.log(`test: ${n}`);
for (const f of flaky) console.log(`flaky: ${f}`);
console.log(`${pass} passed, ${fail} failed`);
process.exit(fail ? 1 : 0);
