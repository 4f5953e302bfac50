/**
 * NATS rights from the configuration drover-server generates: an agent may publish only under its
 * own host's subjects; the server may not publish reports at all.
 */
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { NatsConnection } from 'nats';
import { background, connectNats, inboxPrefix, subjects } from '@drover/contract';
import { TestCluster } from '../support/cluster.js';
import { waitFor } from '../support/procs.js';

let c: TestCluster;
const conns: NatsConnection[] = [];
before(async () => {
  c = await TestCluster.start({ hostNames: ['node01', 'node02'] });
});
after(async () => {
  for (const nc of conns) await nc.close().catch(() => undefined);
  await c?.stop();
});

/**
 * The subjects of the test's own messages (one byte each): the cluster's real agents publish their
 * heartbeats on the same subjects, and those must not count.
 */
function recordForged(nc: NatsConnection, into: string[]): void {
  const sub = nc.subscribe('drover.v1.host.>');
  background(
    'subscription reader',
    (async () => {
      for await (const m of sub) if (m.data.length === 1) into.push(m.subject);
    })(),
  );
}

async function connectAs(who: 'node01' | 'node02' | 'server'): Promise<NatsConnection> {
  const seedFile = who === 'server' ? join(c.dir, 'state/pki/server-nats.seed') : join(c.dir, 'agents', who, 'nats.seed');
  const nc = await connectNats({
    url: `nats://127.0.0.1:${c.natsPort}`,
    seed: readFileSync(seedFile, 'utf8').trim(),
    name: `test ${who}`,
    reconnect: false,
    ...(who === 'server' ? {} : { inboxPrefix: inboxPrefix(who) }),
  });
  conns.push(nc);
  return nc;
}

test('nats rights - agent A cannot publish as agent B, and its connection reports the violation', async () => {
  const watcher = await connectAs('server');
  const got: string[] = [];
  recordForged(watcher, got);
  await watcher.flush();

  const a = await connectAs('node01');
  const errors: string[] = [];
  background(
    'subscription reader',
    (async () => {
      for await (const s of a.status()) if (s.type === 'error') errors.push(String(s.data));
    })(),
  );
  a.publish(subjects.heartbeat('node02'), new Uint8Array([1]));
  a.publish(subjects.event('node02'), new Uint8Array([2]));
  a.publish(subjects.heartbeat('node01'), new Uint8Array([3]));
  await a.flush().catch(() => undefined);
  await waitFor("node01's own subject delivered", () => got.includes(subjects.heartbeat('node01')), 5000);
  await waitFor('a permissions error on the agent connection', () => errors.some((e) => /permission/i.test(e)), 5000);
  // Give any stray delivery time to arrive before concluding nothing came through as node02.
  await watcher.flush();
  await new Promise((r) => setTimeout(r, 300));
  assert.deepEqual(
    got.filter((s) => s.includes('.node02.')),
    [],
    'nothing published as node02 reached the subscriber',
  );
});

test("nats rights - an agent cannot subscribe to other hosts' reports", async () => {
  const b = await connectAs('node02');
  const errors: string[] = [];
  background(
    'subscription reader',
    (async () => {
      for await (const s of b.status()) if (s.type === 'error') errors.push(String(s.data));
    })(),
  );
  const sub = b.subscribe(subjects.heartbeat('node01'));
  let received = 0;
  background(
    'subscription reader',
    (async () => {
      for await (const _m of sub) received++;
    })(),
  );
  await b.flush().catch(() => undefined);
  const a = await connectAs('node01');
  a.publish(subjects.heartbeat('node01'), new Uint8Array([4]));
  await a.flush();
  await waitFor('a subscription permission error', () => errors.some((e) => /permission/i.test(e)) || sub.isClosed(), 5000);
  assert.equal(received, 0);
});

test('nats rights - the server may not publish report subjects (commands go over gRPC)', async () => {
  const watcher = await connectAs('node01');
  void watcher;
  const s = await connectAs('server');
  const errors: string[] = [];
  background(
    'subscription reader',
    (async () => {
      for await (const st of s.status()) if (st.type === 'error') errors.push(String(st.data));
    })(),
  );
  const listener = await connectAs('server');
  const got: string[] = [];
  recordForged(listener, got);
  await listener.flush();
  s.publish(subjects.heartbeat('node01'), new Uint8Array([5]));
  await s.flush().catch(() => undefined);
  await waitFor('a permissions error on the server connection', () => errors.some((e) => /permission/i.test(e)), 5000);
  await listener.flush();
  assert.deepEqual(got, []);
});
