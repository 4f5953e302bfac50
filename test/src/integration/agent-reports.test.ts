// drover-agent's reports over NATS, received as drover-server would receive them: heartbeats with
// facts, the inventory (full, then diffs) and lifecycle events through JetStream, also across a
// nats-server restart (events made while NATS is away are delivered after it comes back).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { NatsConnection, Subscription } from 'nats';
import {
  codec,
  connectNats,
  subjects,
  EVENTS_STREAM,
  type GuestEvent__Output,
  type Heartbeat__Output,
  type Inventory__Output,
  background,
} from '@drover/contract';
import { TestCluster } from '../support/cluster.js';
import { tempDir, waitFor, cleanupDir } from '../support/procs.js';
import { startNats } from '../support/nats.js';
import { writeTestHostFile } from '../support/testdriver.js';
import { AgentClient, serverPki } from '../support/agent-client.js';

const HOST = 'node01';
let dir: string;
let c: TestCluster;
let agent: AgentClient;
let nc: NatsConnection;
const inventories: Inventory__Output[] = [];
const events: GuestEvent__Output[] = [];
const heartbeats: Heartbeat__Output[] = [];
const subs: Subscription[] = [];

function collect<T>(subject: string, type: string, into: T[]): void {
  const sub = nc.subscribe(subject);
  subs.push(sub);
  const cd = codec<T>(type);
  background(
    'subscription reader',
    (async () => {
      for await (const m of sub) into.push(cd.decode(m.data));
    })(),
  );
}

before(async () => {
  dir = tempDir('drover-agent-reports-');
  const h = writeTestHostFile(dir, {
    guests: [{ name: 'alpha' }, { name: 'beta', state: 'shutoff' }],
    networks: [{ name: 'lan', bridge: 'drbr0' }],
  });
  c = await TestCluster.start({ hostNames: [HOST], heartbeatMs: 250, libvirtUri: () => h.uri });
  nc = await connectNats({
    url: `nats://127.0.0.1:${c.natsPort}`,
    seed: readFileSync(serverPki(c.dir).natsSeed, 'utf8').trim(),
    name: 'test-as-server',
  });
  collect(subjects.inventory(HOST), 'Inventory', inventories);
  collect(subjects.event(HOST), 'GuestEvent', events);
  collect(subjects.heartbeat(HOST), 'Heartbeat', heartbeats);
  agent = new AgentClient(c.dir, HOST, `127.0.0.1:${c.agents[0]!.port}`);
  await waitFor('agent with libvirt', async () => (await agent.call('GetFacts')).cpus > 0, 20_000, 200);
});
after(async () => {
  agent?.close();
  for (const s of subs) s.unsubscribe();
  await nc?.close();
  await c?.stop();
  if (dir) cleanupDir(dir);
});

test('agent reports - heartbeats carry libvirt state, facts and the inventory sequence', async () => {
  const hb = await waitFor(
    'a heartbeat with facts and an inventory seq',
    () => heartbeats.find((h) => h.facts && h.libvirt?.reachable && h.inventorySeq > 0),
    10_000,
  );
  assert.equal(hb.host, HOST);
  assert.match(hb.libvirt!.uri, /^test:\/\//);
  assert.equal(hb.libvirt!.error, '');
  assert.equal(hb.facts!.memoryTotalMib, 8192);
  assert.deepEqual(hb.facts!.bridges, ['drbr0']);
  assert.equal(hb.facts!.hypervisor, 'Test');
});

test('agent reports - a power change gives a GuestEvent through JetStream and an inventory diff', async () => {
  const full = await waitFor('a full inventory', () => [...inventories].reverse().find((i) => i.full), 10_000);
  assert.deepEqual(
    full.guests.map((g) => [g.name, g.state]),
    [
      ['alpha', 'POWER_STATE_ON'],
      ['beta', 'POWER_STATE_OFF'],
    ],
  );
  const nInv = inventories.length;
  await agent.call('Power', { guest: 'alpha', action: 'POWER_ACTION_SUSPEND' });

  const ev = await waitFor('the suspended event', () => events.find((e) => e.guest === 'alpha' && e.kind === 'suspended'), 10_000);
  assert.equal(ev.state, 'POWER_STATE_PAUSED');
  assert.equal(ev.detail, 'paused');
  const hb = heartbeats[heartbeats.length - 1]!;
  assert.ok(ev.eventId.startsWith(`${hb.bootId}-`), `event id ${ev.eventId} is boot id + sequence`);

  const diff = await waitFor(
    'an inventory diff',
    () => inventories.slice(nInv).find((i) => !i.full && i.guests.some((g) => g.name === 'alpha')),
    10_000,
  );
  assert.equal(diff.guests.find((g) => g.name === 'alpha')?.state, 'POWER_STATE_PAUSED');
  assert.equal(diff.baseSeq, diff.seq - 1);
  assert.ok(!diff.guests.some((g) => g.name === 'beta'), 'unchanged guests are not in the diff');

  // The event was stored in the JetStream stream, with its id as the de-duplication key.
  const jsm = await nc.jetstreamManager();
  const stored = await jsm.streams.getMessage(EVENTS_STREAM, { last_by_subj: subjects.event(HOST) });
  assert.equal(stored.header.get('Nats-Msg-Id'), events[events.length - 1]!.eventId);
  assert.equal(codec<GuestEvent__Output>('GuestEvent').decode(stored.data).guest, 'alpha');
});

test('agent reports - undefine shows up as removed in a diff', async () => {
  await agent.call('DefineGuest', { spec: { name: 'tmp1', memoryMib: 32, vcpus: 1, hvType: 'qemu' } });
  await waitFor('tmp1 upserted', () => inventories.some((i) => !i.full && i.guests.some((g) => g.name === 'tmp1' && g.managed)), 10_000);
  await agent.call('UndefineGuest', { guest: 'tmp1' });
  const inv = await waitFor('tmp1 removed', () => inventories.find((i) => !i.full && i.removed.includes('tmp1')), 10_000);
  assert.equal(inv.guests.length, 0);
  assert.ok(events.some((e) => e.guest === 'tmp1' && e.kind === 'undefined'));
});

test('agent reports - events made while nats-server is down arrive after it restarts, then a full inventory', async () => {
  const lastSeq = Math.max(...inventories.map((i) => i.seq));
  await c.nats!.stop();
  await agent.call('Power', { guest: 'alpha', action: 'POWER_ACTION_RESUME' });
  await agent.call('Power', { guest: 'beta', action: 'POWER_ACTION_ON' });
  c.nats = await startNats(c.dir, join(c.dir, 'nats.conf'), c.natsPort);
  c.procs.push(c.nats);
  await waitFor(
    'the buffered events',
    () => events.some((e) => e.guest === 'beta' && e.kind === 'started') && events.some((e) => e.guest === 'alpha' && e.kind === 'resumed'),
    20_000,
    100,
  );
  const resumed = events.findIndex((e) => e.guest === 'alpha' && e.kind === 'resumed');
  const started = events.findIndex((e) => e.guest === 'beta' && e.kind === 'started');
  assert.ok(resumed < started, 'in the order they happened');
  const full = await waitFor('a full inventory after the reconnect', () => inventories.find((i) => i.full && i.seq > lastSeq), 20_000);
  assert.deepEqual(
    full.guests.map((g) => [g.name, g.state]),
    [
      ['alpha', 'POWER_STATE_ON'],
      ['beta', 'POWER_STATE_ON'],
    ],
  );
});
