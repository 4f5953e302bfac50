/**
 * A small simulated fleet through every real part: 50 hosts of `drover-agent simulate` (three
 * processes, one of them holding a single host so it can be killed), 1,000 guests in the tables,
 * a real nats-server and drover-server. Inventory converges, events arrive, `rpower stat` matches
 * what the simulator runs, `revacuate` completes on emulated migrations, and a host whose agent
 * dies goes stale then down with its guests shown unknown. One simulated host is also called
 * directly, as the headnode calls an agent, to show it is the real agent command service.
 */
import { test, before, after, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import * as grpc from '@grpc/grpc-js';
import { codec, connectNats, type GuestEvent__Output, background } from '@drover/contract';
import { FleetCluster, type FleetLayout } from '../support/fleet.js';
import { AgentClient } from '../support/agent-client.js';
import { waitFor } from '../support/procs.js';
import { isEmulated } from '../support/emulated.js';

const HOSTS = Array.from({ length: 50 }, (_, i) => `fh${String(i + 1).padStart(2, '0')}`);
const EVAC = 'fh01';
const DIES = 'fh50';
let c: FleetCluster;

/** 20 guests per host; on every host but the evacuated one, every 7th guest is off and every 13th paused. */
function layout(): FleetLayout {
  const l: FleetLayout = {};
  let n = 0;
  for (const h of HOSTS) {
    l[h] = Array.from({ length: 20 }, () => {
      n++;
      const state = h === EVAC ? 'running' : n % 7 === 0 ? 'shutoff' : n % 13 === 0 ? 'paused' : 'running';
      // The evacuated host's first guest requires a CPU model (the others have none).
      return { name: `fv${String(n).padStart(4, '0')}`, memoryMiB: 256, state, ...(n === 1 ? { cpuModel: 'Haswell' } : {}) } as const;
    });
  }
  return l;
}
const WORD = { running: 'on', shutoff: 'off', paused: 'paused' } as const;

interface Stat {
  node: string;
  ok: boolean;
  message: string;
  data: Record<string, string>;
}

before(async () => {
  c = await FleetCluster.start({
    layout: layout(),
    hostsPerSim: 25,
    alone: [DIES],
    heartbeatMs: 400,
    staleAfterMs: 2000,
    downAfterMs: 4000,
    migrationMs: 300,
    reconcileMs: 5000,
  });
  await c.addNodes();
  const sims = c.startSims();
  assert.equal(sims.length, 3);
  await Promise.all(sims.map((s) => c.simReady(s, 60_000)));
});
after(async () => {
  await c?.stop();
});

/** Migration steps the server has started so far (every one an emulated migration here). */
async function stepsStarted(): Promise<number> {
  const ops = await c.cliJson<{ steps: { startedMs: number | string }[] }[]>(['ops', 'list', '--all']);
  return ops.flatMap((o) => o.steps).filter((s) => Number(s.startedMs) > 0).length;
}
let startedBefore = 0;
// A test that moved guests on the simulator must be named in support/emulated.ts, so the runner's
// `emulated:` line lists it (and a listed test must still move guests).
afterEach(async (t) => {
  if (!c) return;
  const now = await stepsStarted();
  const moved = now > startedBefore;
  startedBefore = now;
  const listed = isEmulated('test/lib/integration/fleet.test.js', t.name);
  if (moved !== listed)
    throw new Error(
      moved
        ? `'${t.name}' ran ${now} emulated migration step(s) but is not listed in test/src/support/emulated.ts`
        : `'${t.name}' is listed in test/src/support/emulated.ts but ran no migration`,
    );
});

test('fleet - inventory converges and rpower stat matches what the simulated hosts run', async () => {
  const l = c.opts.layout;
  const want = new Map(
    Object.values(l)
      .flat()
      .map((g) => [g.name, WORD[g.state ?? 'running']]),
  );
  await waitFor(
    'every guest reported',
    async () => {
      const r = await c.stream('PowerStat', { noderange: 'fleet' });
      return r.length === 1000 && r.every((x) => x.ok && x.data.state === want.get(x.node));
    },
    30_000,
    300,
  );
  const stat = await c.cliJson<Stat[]>(['rpower', 'fleet', 'stat']);
  assert.equal(stat.length, 1000);
  for (const s of stat) assert.equal(s.data.state, want.get(s.node), `${s.node}: ${s.message}`);
  const { hosts } = await c.call('ListHosts', {});
  const fleetHosts = hosts.filter((h) => HOSTS.includes(h.name));
  assert.equal(fleetHosts.length, 50);
  for (const h of fleetHosts) {
    assert.equal(h.state, 'HOST_STATE_UP', h.name);
    assert.equal(h.simulated, true, `${h.name} heartbeats as simulated`);
  }
  const cliHosts = await c.cliJson<{ host: string; state: string }[]>(['lshosts']);
  assert.equal(cliHosts.filter((h) => HOSTS.includes(h.host) && h.state === 'up').length, 50);
});

test('fleet - lifecycle events from simulated hosts reach the server and its view', async () => {
  const nc = await connectNats({ url: c.natsUrl, seed: c.serverSeed(), name: 'fleet-test events', reconnect: false });
  const evCodec = codec<GuestEvent__Output>('GuestEvent');
  const got: GuestEvent__Output[] = [];
  const sub = nc.subscribe('drover.v1.host.*.event');
  background(
    'subscription reader',
    (async () => {
      for await (const m of sub) got.push(evCodec.decode(m.data));
    })(),
  );
  try {
    const guests = ['fv0101', 'fv0202', 'fv0303']; // running, on fh06, fh11, fh16
    const r = await c.cli(['rpower', guests.join(','), 'off'], 'operator');
    assert.equal(r.code, 0, r.stderr);
    await waitFor(
      'stopped events',
      () => guests.every((g) => got.some((e) => e.guest === g && e.kind === 'stopped' && e.state === 'POWER_STATE_OFF')),
      10_000,
      50,
    );
    for (const g of guests) {
      const e = got.find((x) => x.guest === g && x.kind === 'stopped')!;
      const home = Object.entries(c.opts.layout).find(([, gs]) => gs.some((x) => x.name === g))![0];
      assert.equal(e.host, home, `${g}'s event comes from its own host`);
    }
    await waitFor(
      'stat shows off',
      async () => (await c.stream('PowerStat', { noderange: guests.join(',') })).every((s) => s.data.state === 'off'),
      5000,
      50,
    );
    const on = await c.cli(['rpower', guests.join(','), 'on'], 'operator');
    assert.equal(on.code, 0, on.stderr);
    await waitFor(
      'stat shows on',
      async () => (await c.stream('PowerStat', { noderange: guests.join(',') })).every((s) => s.data.state === 'on'),
      5000,
      50,
    );
  } finally {
    sub.unsubscribe();
    await nc.close();
  }
});

test('fleet - a simulated host is the real agent command service, with its own certificate', async () => {
  const { hosts } = await c.call('ListHosts', {});
  const h = hosts.find((x) => x.name === 'fh02')!;
  const agent = new AgentClient(c.dir, 'fh02', h.address);
  try {
    const list = await agent.call('ListGuests');
    assert.deepEqual(
      list.guests.map((g) => g.name),
      c.opts.layout.fh02!.map((g) => g.name),
    );
    const g = await agent.call('GetGuest', { guest: 'fv0022' });
    assert.equal(g.state, 'POWER_STATE_ON');
    // the handlers' own host check: a request for another host is refused by this one
    const wrong = await agent.fail('GetGuest', { host: 'fh03', guest: 'fv0041' });
    assert.equal(wrong.code, grpc.status.INVALID_ARGUMENT);
    assert.match(wrong.details, /serves 'fh02', not 'fh03'/);
  } finally {
    agent.close();
  }
  // fh02's listener presents fh02's certificate: expecting fh03 there fails the TLS name check
  const impostor = new AgentClient(c.dir, 'fh03', h.address);
  try {
    const e = await impostor.fail('ListGuests');
    assert.equal(e.code, grpc.status.UNAVAILABLE);
  } finally {
    impostor.close();
  }
});

test('fleet - revacuate through the CLI completes on the simulator', async () => {
  const guests = c.opts.layout[EVAC]!.map((g) => g.name);
  // The dry run's checks: a reachability and a CPU check per move; the CPU is read from the live
  // definition on the source and compared by the destination's libvirt, which here (the test
  // driver) cannot compare and says so.
  const dry = await c.cli(['revacuate', EVAC, '--dry-run'], 'operator');
  assert.equal(dry.code, 0, `${dry.stdout}\n${dry.stderr}`);
  for (const g of guests) assert.match(dry.stdout, new RegExp(`check ${g}: ok reachability\n`));
  assert.match(
    dry.stdout,
    /check fv0001: ok cpu-compare: not compared on fh\d+: this host's libvirt driver cannot compare CPUs \(.*virConnectCompareHypervisorCPU\)\n/,
  );
  assert.match(dry.stdout, new RegExp(`check fv0002: ok cpu-compare: not compared: fv0002 has no CPU model on ${EVAC}\n`));
  const r = await c.cli(['revacuate', EVAC, '--max-out', '4', '--max-total', '8'], 'operator');
  assert.equal(r.code, 0, `${r.stdout}\n${r.stderr}`);
  assert.match(r.stdout, /done: 20 moved, 0 failed/);
  await waitFor(
    `${EVAC} empty in the server's view`,
    async () => (await c.cliJson<{ guests: unknown[] }>(['lsvm', EVAC])).guests.length === 0,
    10_000,
    200,
  );
  const rows = await c.cliJson<{ node: string; attrs: Record<string, string> }[]>(['nodels', guests.join(','), 'vm.host']);
  for (const row of rows) {
    assert.notEqual(row.attrs['vm.host'], EVAC, `${row.node} moved in the tables`);
  }
  const stat = await c.stream('PowerStat', { noderange: guests.join(',') });
  for (const s of stat) {
    assert.equal(s.data.state, 'on', `${s.node}: ${s.message}`);
    assert.notEqual(s.data.host, EVAC);
  }
});

test('fleet - a simulated host that stops heartbeating goes stale, then down, and its guests show unknown', async () => {
  const sim = c.sims.find((s) => s.hosts.length === 1 && s.hosts[0] === DIES)!;
  sim.proc.kill('SIGKILL');
  // Sampled through the admin API, not a CLI process per sample: stale lasts 2 s here, and on a
  // loaded machine one CLI start-up can take about that long, so CLI polls could step over it.
  const state = async (): Promise<string | undefined> => (await c.call('ListHosts', {}, 5000)).hosts.find((h) => h.name === DIES)?.state;
  await waitFor(`${DIES} stale`, async () => (await state()) === 'HOST_STATE_STALE', 10_000, 100);
  await waitFor(`${DIES} down`, async () => (await state()) === 'HOST_STATE_DOWN', 10_000, 100);
  const listed = await c.cliJson<{ host: string; state: string }[]>(['lshosts']);
  assert.equal(listed.find((h) => h.host === DIES)?.state, 'down');
  const guests = c.opts.layout[DIES]!.map((g) => g.name);
  const stat = await c.cliJson<Stat[]>(['rpower', guests.join(','), 'stat']);
  assert.equal(stat.length, 20);
  for (const s of stat) {
    assert.equal(s.data.state, 'unknown', `${s.node}: ${s.message}`);
    assert.match(s.message, /host fh50 is down/);
  }
  // the rest of the fleet is untouched
  const others = await c.stream('PowerStat', { noderange: 'fleet' });
  assert.equal(others.filter((s) => s.data.state === 'unknown').length, 20);
});
