/** Expected failures print one clear line naming the problem and the fix, with a non-zero exit. */
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync, mkdirSync, rmSync, cpSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { BIN, run, tempDir, cleanupDir, freePort } from '../support/procs.js';

let dir: string;
before(() => {
  dir = tempDir('drover-cfgerr-');
});
after(() => cleanupDir(dir));

function oneLine(stderr: string): string {
  const lines = stderr.trim().split('\n');
  assert.equal(lines.length, 1, `one line expected, got:\n${stderr}`);
  assert.doesNotMatch(stderr, /\n\s+at /, 'no stack trace');
  return lines[0]!;
}

test('config errors - a bad server config field is named with its accepted form, exit 2', async () => {
  const f = join(dir, 'bad.yaml');
  writeFileSync(f, stringify({ stateDir: dir, grpc: { listen: 'nowhere' } }));
  const r = await run(process.execPath, [BIN.server, '--config', f, 'run']);
  assert.equal(r.code, 2);
  assert.match(oneLine(r.stderr), /^drover-server: config .*bad\.yaml: field 'grpc\.listen': expected host:port/);
});

test('config errors - thresholds that contradict each other are refused', async () => {
  const f = join(dir, 'thr.yaml');
  writeFileSync(f, stringify({ stateDir: dir, hosts: { staleAfterMs: 5000, downAfterMs: 1000 } }));
  const r = await run(process.execPath, [BIN.server, '--config', f, 'run']);
  assert.equal(r.code, 2);
  assert.match(oneLine(r.stderr), /downAfterMs must be larger than hosts\.staleAfterMs/);
});

test('config errors - an environment override is validated like the file', async () => {
  const f = join(dir, 'env.yaml');
  writeFileSync(f, stringify({ stateDir: dir }));
  const r = await run(process.execPath, [BIN.server, '--config', f, 'run'], { env: { DROVER_SERVER_HOSTS_STALE_AFTER_MS: 'soon' } });
  assert.equal(r.code, 2);
  assert.match(oneLine(r.stderr), /field 'hosts\.staleAfterMs'/);
});

test('config errors - YAML that does not parse names the file', async () => {
  const f = join(dir, 'broken.yaml');
  writeFileSync(f, 'grpc: [unclosed');
  const r = await run(process.execPath, [BIN.server, '--config', f, 'run']);
  assert.equal(r.code, 2);
  assert.match(oneLine(r.stderr), /broken\.yaml: not valid YAML/);
});

test('config errors - a server without its CA says how to create it', async () => {
  const f = join(dir, 'noca.yaml');
  writeFileSync(f, stringify({ stateDir: join(dir, 'empty') }));
  const r = await run(process.execPath, [BIN.server, '--config', f, 'run']);
  assert.equal(r.code, 1);
  assert.match(oneLine(r.stderr), /the cluster CA is not initialised .*run: drover-server ca init/);
});

test('config errors - unreachable NATS is named with the fix', async () => {
  const f = join(dir, 'nonats.yaml');
  const port = await freePort();
  writeFileSync(
    f,
    stringify({ stateDir: join(dir, 'st'), grpc: { listen: `127.0.0.1:${await freePort()}` }, nats: { url: `nats://127.0.0.1:${port}` } }),
  );
  assert.equal((await run(process.execPath, [BIN.server, '--config', f, 'ca', 'init'])).code, 0);
  const r = await run(process.execPath, [BIN.server, '--config', f, 'run']);
  assert.equal(r.code, 1);
  assert.match(oneLine(r.stderr), new RegExp(`cannot reach NATS at nats://127\\.0\\.0\\.1:${port}.*start nats-server`));
});

test('config errors - an agent with missing certificates says how to enrol', async () => {
  const f = join(dir, 'agent.yaml');
  writeFileSync(
    f,
    stringify({ host: 'node01', tls: { ca: 'ca.pem', cert: 'a.pem', key: 'k.pem' }, nats: { url: 'nats://127.0.0.1:1', seedFile: 's' } }),
  );
  const r = await run(process.execPath, [BIN.agent, '--config', f, 'run']);
  assert.equal(r.code, 1);
  assert.match(oneLine(r.stderr), /missing CA certificate .*ca\.pem; enrol this host first/);
});

test('config errors - an agent host name with a dot is refused', async () => {
  const f = join(dir, 'agent-dot.yaml');
  writeFileSync(f, stringify({ host: 'node01.example', tls: { ca: 'a', cert: 'b', key: 'c' }, nats: { url: 'x', seedFile: 's' } }));
  const r = await run(process.execPath, [BIN.agent, '--config', f, 'run']);
  assert.equal(r.code, 2);
  assert.match(oneLine(r.stderr), /field 'host': expected a DNS label/);
});

test('config errors - the CLI without a bundle, with a broken bundle, and with an unreachable server', async () => {
  const none = await run(process.execPath, [BIN.cli, 'lshosts'], { env: { DROVER_CONFIG: join(dir, 'nope.yaml') } });
  assert.equal(none.code, 2);
  assert.match(oneLine(none.stderr), /no admin bundle at .*nope\.yaml; set DROVER_CONFIG/);
  const bad = join(dir, 'badbundle.yaml');
  writeFileSync(bad, stringify({ server: 'x', ca: 'no', cert: 'no', key: 'no' }));
  const b = await run(process.execPath, [BIN.cli, 'lshosts'], { env: { DROVER_CONFIG: bad } });
  assert.equal(b.code, 2);
  assert.match(oneLine(b.stderr), /badbundle\.yaml: field 'server': expected host:port/);
  // A valid bundle pointing at a port where nothing listens.
  const st = join(dir, 'cli-st');
  mkdirSync(st, { recursive: true });
  const sf = join(dir, 'cli.yaml');
  const port = await freePort();
  writeFileSync(sf, stringify({ stateDir: st, grpc: { listen: `127.0.0.1:${port}` } }));
  await run(process.execPath, [BIN.server, '--config', sf, 'ca', 'init']);
  const ub = join(dir, 'u.yaml');
  assert.equal((await run(process.execPath, [BIN.server, '--config', sf, 'user', 'add', 'u', '--role', 'viewer', '--out', ub])).code, 0);
  const u = await run(process.execPath, [BIN.cli, 'lshosts'], { env: { DROVER_CONFIG: ub } });
  assert.equal(u.code, 1);
  assert.match(oneLine(u.stderr), new RegExp(`cannot reach drover-server at 127\\.0\\.0\\.1:${port}`));
  rmSync(st, { recursive: true, force: true });
  void cpSync;
});
