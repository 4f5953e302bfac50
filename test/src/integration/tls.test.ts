/**
 * Mutual TLS and roles, against a real drover-server and drover-agent: every kind of caller
 * that must be refused is refused, and the allowed ones get through.
 */
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import * as grpc from '@grpc/grpc-js';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { clientOptions, pki, RpcClient } from '@drover/contract';
import { TestCluster } from '../support/cluster.js';
import { waitFor, run, BIN, freePort, startProc } from '../support/procs.js';

let c: TestCluster;
before(async () => {
  c = await TestCluster.start({ agents: 1, heartbeatMs: 300 });
  await waitFor('node01 up', async () => (await c.cliJson<{ state: string }[]>(['lshosts']))[0]?.state === 'up');
});
after(async () => {
  await c?.stop();
});

function adminClient(creds: grpc.ChannelCredentials, port = c.grpcPort): RpcClient<'AdminService'> {
  return new RpcClient('AdminService', `127.0.0.1:${port}`, creds, clientOptions('drover-server'));
}
function agentClient(creds: grpc.ChannelCredentials): RpcClient<'AgentService'> {
  return new RpcClient('AgentService', `127.0.0.1:${c.agents[0]!.port}`, creds, clientOptions('node01'));
}
function bundleCreds(file: string): grpc.ChannelCredentials {
  const b = parse(readFileSync(file, 'utf8')) as { ca: string; cert: string; key: string };
  return grpc.credentials.createSsl(Buffer.from(b.ca), Buffer.from(b.key), Buffer.from(b.cert));
}
async function expectCode(p: Promise<unknown>, codes: grpc.status[], what: string): Promise<grpc.ServiceError> {
  const e = await p.then(
    () => assert.fail(`${what}: the call was accepted`),
    (err: grpc.ServiceError) => err,
  );
  assert.ok(
    codes.includes(e.code),
    `${what}: got ${grpc.status[e.code]} (${e.details}), want ${codes.map((x) => grpc.status[x]).join('|')}`,
  );
  return e;
}

test('tls - an admin bundle lists hosts', async () => {
  const cl = adminClient(bundleCreds(c.bundles.viewer));
  const r = await cl.unary('ListHosts', {});
  assert.equal(r.hosts.length, 1);
  cl.close();
});

test('tls - a call without a client certificate is refused', async () => {
  const b = parse(readFileSync(c.bundles.admin, 'utf8')) as { ca: string };
  const cl = adminClient(grpc.credentials.createSsl(Buffer.from(b.ca)));
  await expectCode(
    cl.unary('ListHosts', {}, { deadlineMs: 5000 }),
    [grpc.status.UNAVAILABLE, grpc.status.UNAUTHENTICATED],
    'no client certificate',
  );
  cl.close();
});

test('tls - a plaintext call is refused', async () => {
  const cl = adminClient(grpc.credentials.createInsecure());
  await expectCode(cl.unary('ListHosts', {}, { deadlineMs: 5000 }), [grpc.status.UNAVAILABLE], 'plaintext');
  cl.close();
});

test('tls - a certificate from another CA is refused', async () => {
  const otherCa = await pki.createCa('intruder');
  const cert = await pki.issueCert(otherCa, { name: 'mallory', kind: 'admin' });
  const b = parse(readFileSync(c.bundles.admin, 'utf8')) as { ca: string };
  const cl = adminClient(grpc.credentials.createSsl(Buffer.from(b.ca), Buffer.from(cert.keyPem), Buffer.from(cert.certPem)));
  await expectCode(cl.unary('ListHosts', {}, { deadlineMs: 5000 }), [grpc.status.UNAVAILABLE, grpc.status.UNAUTHENTICATED], 'foreign CA');
  cl.close();
});

test('tls - a viewer calling a mutating RPC is refused, naming the role it needs', async () => {
  const cl = adminClient(bundleCreds(c.bundles.viewer));
  const e = await expectCode(cl.unary('NodeAdd', { noderange: 'x1', attrs: {} }), [grpc.status.PERMISSION_DENIED], 'viewer NodeAdd');
  assert.match(e.details, /needs role admin/);
  const e2 = await expectCode(cl.unary('Migrate', { noderange: 'x1' }), [grpc.status.PERMISSION_DENIED], 'viewer Migrate');
  assert.match(e2.details, /needs role operator/);
  cl.close();
});

test("tls - an agent's certificate is refused on the admin API", async () => {
  const a = c.agents[0]!;
  const creds = grpc.credentials.createSsl(
    readFileSync(join(a.dir, 'ca.pem')),
    readFileSync(join(a.dir, 'agent-key.pem')),
    readFileSync(join(a.dir, 'agent.pem')),
  );
  const cl = adminClient(creds);
  const e = await expectCode(cl.unary('ListHosts', {}), [grpc.status.PERMISSION_DENIED], 'agent cert on admin API');
  assert.match(e.details, /does not accept agent certificates/);
  cl.close();
});

test("tls - an admin's certificate is refused by an agent", async () => {
  const cl = agentClient(bundleCreds(c.bundles.admin));
  const e = await expectCode(cl.unary('GetFacts', { host: 'node01' }), [grpc.status.PERMISSION_DENIED], 'admin cert on agent');
  assert.match(e.details, /does not accept admin certificates/);
  cl.close();
});

test("tls - the server's certificate is accepted by an agent", async () => {
  const st = join(c.dir, 'state', 'pki');
  const creds = grpc.credentials.createSsl(
    readFileSync(join(st, 'ca.pem')),
    readFileSync(join(st, 'server-key.pem')),
    readFileSync(join(st, 'server.pem')),
  );
  const cl = agentClient(creds);
  // Authorised: the agent answers (the handler may not be implemented in this build, but the
  // refusal codes of the authorisation layer must not appear).
  const r: grpc.ServiceError | undefined = await cl.unary('GetFacts', { host: 'node01' }).then(
    () => undefined,
    (e: grpc.ServiceError) => e,
  );
  if (r) assert.ok(![grpc.status.PERMISSION_DENIED, grpc.status.UNAUTHENTICATED].includes(r.code), r.details);
  cl.close();
});

test('tls - a revoked certificate is refused at once', async () => {
  const file = join(c.dir, 'temp-admin.yaml');
  await c.serverCmd(['user', 'add', 'temp', '--role', 'admin', '--out', file]);
  const cl = adminClient(bundleCreds(file));
  await cl.unary('ListHosts', {});
  await c.serverCmd(['revoke', 'user', 'temp']);
  const e = await expectCode(cl.unary('ListHosts', {}), [grpc.status.UNAUTHENTICATED], 'revoked');
  assert.match(e.details, /revoked/);
  cl.close();
  // The CLI says so in one line.
  const r = await run(process.execPath, [BIN.cli, 'lshosts'], { env: { DROVER_CONFIG: file } });
  assert.equal(r.code, 1);
  assert.match(r.stderr, /^drover: refused by drover-server: .*revoked/);
  assert.equal(r.stderr.trim().split('\n').length, 1);
});

test('tls - a renewed user certificate works and the old one is refused', async () => {
  const file = join(c.dir, 'renew.yaml');
  await c.serverCmd(['user', 'add', 'renewme', '--role', 'viewer', '--out', file]);
  const old = readFileSync(file, 'utf8');
  await c.serverCmd(['renew', 'user', 'renewme', '--role', 'viewer', '--out', file]);
  const oldFile = join(c.dir, 'renew-old.yaml');
  writeFileSync(oldFile, old);
  const fresh = adminClient(bundleCreds(file));
  await fresh.unary('ListHosts', {});
  const stale = adminClient(bundleCreds(oldFile));
  await expectCode(stale.unary('ListHosts', {}), [grpc.status.UNAUTHENTICATED], 'old certificate after renewal');
  fresh.close();
  stale.close();
});

test('tls - health checking answers on the mutual-TLS port and, without a certificate, on the enrolment port', async () => {
  const b = parse(readFileSync(c.bundles.viewer, 'utf8')) as { ca: string };
  const { HealthClient } = await import('./health-client.js');
  const ok = await HealthClient.check(`127.0.0.1:${c.grpcPort}`, bundleCreds(c.bundles.viewer));
  assert.equal(ok, 'SERVING');
  const open = await HealthClient.check(`127.0.0.1:${c.enrollPort}`, grpc.credentials.createSsl(Buffer.from(b.ca)));
  assert.equal(open, 'SERVING');
  // The enrolment port serves nothing else.
  const cl = adminClient(grpc.credentials.createSsl(Buffer.from(b.ca)), c.enrollPort);
  await expectCode(cl.unary('ListHosts', {}), [grpc.status.UNIMPLEMENTED], 'admin API on the enrolment port');
  cl.close();
});

test('enrol - a token enrols a host once; reuse, a wrong host and a bad token are refused', async () => {
  const tok = (await c.serverCmd(['enroll', 'node09', '--token', '--ttl', '5m'])).stdout.trim();
  assert.match(tok, /^drv1\./);
  const out = join(c.dir, 'node09');
  const enroll = (token: string, host: string, dir = out) =>
    run(process.execPath, [BIN.agent, 'enroll', '--server', `127.0.0.1:${c.enrollPort}`, '--token', token, '--host', host, '--out', dir]);
  const wrong = await enroll(tok, 'node08', join(c.dir, 'n8'));
  assert.equal(wrong.code, 1);
  assert.match(wrong.stderr, /issued for 'node09'/);
  const ok = await enroll(tok, 'node09');
  assert.equal(ok.code, 0, ok.stderr);
  const cfg = parse(readFileSync(join(out, 'agent.yaml'), 'utf8')) as { host: string };
  assert.equal(cfg.host, 'node09');
  const id = pki.identityOf(readFileSync(join(out, 'agent.pem')));
  assert.deepEqual([id.name, id.kind], ['node09', 'agent']);
  const again = await enroll(tok, 'node09', join(c.dir, 'again'));
  assert.equal(again.code, 1);
  assert.match(again.stderr, /already used/);
  const forged = tok.replace(/\.([^.]+)\.([0-9a-f]{64})$/, '.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA.$2');
  const bad = await enroll(forged, 'node09', join(c.dir, 'forged'));
  assert.equal(bad.code, 1);
  assert.match(bad.stderr, /unknown token|too many/);
  // The enrolled host now appears in lshosts (down until its agent runs).
  const rows = await c.cliJson<{ host: string; state: string }[]>(['lshosts']);
  assert.equal(rows.find((r) => r.host === 'node09')?.state, 'down');
  // nats-server was given the new host's key (config rewritten, SIGHUP): its agent connects and heartbeats.
  const port = await freePort();
  const agentCfg = parse(readFileSync(join(out, 'agent.yaml'), 'utf8')) as Record<string, Record<string, unknown>>;
  agentCfg.grpc = { listen: `127.0.0.1:${port}` };
  writeFileSync(join(out, 'agent.yaml'), stringify(agentCfg));
  const agent = startProc('agent-node09', process.execPath, [BIN.agent, '--config', join(out, 'agent.yaml'), 'run'], {
    dir: c.dir,
    env: { DROVER_AGENT_HEARTBEAT_MS: '300', DROVER_AGENT_LIBVIRT_URI: 'test:///default' },
  });
  try {
    await waitFor(
      'node09 up',
      async () => (await c.cliJson<{ host: string; state: string }[]>(['lshosts'])).find((r) => r.host === 'node09')?.state === 'up',
      15_000,
      200,
    );
  } finally {
    await agent.stop();
  }
});

test('enrol - an expired token is refused', async () => {
  const tok = (await c.serverCmd(['enroll', 'node07', '--token', '--ttl', '1ms'])).stdout.trim();
  await new Promise((r) => setTimeout(r, 20));
  const r = await run(process.execPath, [
    BIN.agent,
    'enroll',
    '--server',
    `127.0.0.1:${c.enrollPort}`,
    '--token',
    tok,
    '--host',
    'node07',
    '--out',
    join(c.dir, 'n7'),
  ]);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /expired|too many/);
});
