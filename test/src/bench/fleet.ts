/**
 * Fleet benchmark: one headnode (nats-server + drover-server on a SQLite file) against a fleet of
 * simulated hosts (`drover-agent simulate`, ~250 hosts per process), by default 2,000 hosts and
 * 40,000 guests.
 *
 *   npm run bench -- fleet [--hosts 2000] [--guests 40000] [--per-sim 250] [--heartbeat-ms 5000]
 *                          [--repeat 5] [--lag-samples 200] [--ingest-msgs 60000] [--no-live] [--no-cache]
 *
 * Figures (medians of repeated runs where repeated), printed as one JSON object at the end:
 *   converge_s        simulators started -> every host up and every guest's state in the server's view
 *   lag_p50_ms/p99    a lifecycle event's time at the agent (GuestEvent.time_ms, taken as the agent
 *                     publishes it) -> `rpower stat` (PowerStat, from the server's view) shows the new
 *                     state; power changes are driven through the admin API (rpower off/on)
 *   rpower_stat_s     `drover rpower fleet stat` (CLI process, 40,000 lines), and rpower_stat_live_s
 *   lsdef_s, nodels_s `drover lsdef -o json` and `drover nodels` of every node (CLI process)
 *   plan_ms           dry-run evacuation of the 40-guest host (Evacuate RPC: snapshot + plan + record,
 *                     and the reachability check of each source/destination pair, made by the agents)
 *   evacuate_emulated_s  that evacuation run on the simulator: every part real but the migrations,
 *                     which the simulator emulates (a timed stand-in, no libvirt), hence the name
 *   server_rss_mb     drover-server's peak resident set while measured
 *   sim_rss_mb_per_100_hosts
 *   ingest_ratio      server ingest rate of a burst of reports (heartbeats + inventory diffs
 *                     published as one enrolled probe host) / raw NATS pub/sub rate of the same
 *                     messages to a plain subscriber, same burst
 */
import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { spawn } from 'node:child_process';
import {
  codec,
  connectNats,
  inboxPrefix,
  subjects,
  type GuestEvent__Output,
  type Heartbeat,
  type Inventory,
  type LsVmResponse__Output,
  type Operation__Output,
  type GuestStatus,
  background,
} from '@drover/contract';
import { FleetCluster, rssMiB, type FleetLayout } from '../support/fleet.js';
import { BIN } from '../support/procs.js';

interface Args {
  hosts: number;
  guests: number;
  perSim: number;
  heartbeatMs: number;
  repeat: number;
  lagSamples: number;
  ingestMsgs: number;
  live: boolean;
  cache: boolean;
  migrationMs: number;
  evacuate: boolean;
}

function parseArgs(argv: string[]): Args {
  const a: Args = {
    hosts: 2000,
    guests: 40_000,
    perSim: 0,
    heartbeatMs: 5000,
    repeat: 5,
    lagSamples: 200,
    ingestMsgs: 60_000,
    live: true,
    cache: true,
    migrationMs: 1000,
    evacuate: true,
  };
  for (let i = 0; i < argv.length; i++) {
    const k = argv[i]!;
    const num = (): number => {
      const v = Number(argv[++i]);
      if (!Number.isFinite(v) || v < 0) throw new Error(`${k}: expected a number`);
      return v;
    };
    if (k === '--hosts') a.hosts = num();
    else if (k === '--guests') a.guests = num();
    else if (k === '--per-sim') a.perSim = num();
    else if (k === '--heartbeat-ms') a.heartbeatMs = num();
    else if (k === '--repeat') a.repeat = Math.max(1, num());
    else if (k === '--lag-samples') a.lagSamples = num();
    else if (k === '--ingest-msgs') a.ingestMsgs = num();
    else if (k === '--migration-ms') a.migrationMs = num();
    else if (k === '--no-live') a.live = false;
    else if (k === '--no-cache') a.cache = false;
    else if (k === '--no-evacuate') a.evacuate = false;
    else throw new Error(`fleet: unknown argument ${k}`);
  }
  if (a.hosts < 2) throw new Error('--hosts: at least 2');
  if (!a.perSim) a.perSim = Math.max(50, Math.ceil(a.hosts / 8));
  return a;
}

const median = (xs: readonly number[]): number => {
  if (!xs.length) return NaN;
  const s = [...xs].sort((x, y) => x - y);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};
const pct = (xs: readonly number[], p: number): number => {
  if (!xs.length) return NaN;
  const s = [...xs].sort((x, y) => x - y);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))]!;
};
const r2 = (x: number): number => Math.round(x * 100) / 100;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const log = (s: string): void => void process.stderr.write(`fleet: ${s}\n`);

/** sim0001.. with guests vm00001..; the first host carries 40 guests (the evacuation), the rest share the remainder. */
export function fleetLayout(hosts: number, guests: number): FleetLayout {
  const hw = Math.max(4, String(hosts).length);
  const gw = Math.max(5, String(guests).length);
  const names = Array.from({ length: hosts }, (_, i) => `sim${String(i + 1).padStart(hw, '0')}`);
  const first = Math.min(40, guests);
  const rest = guests - first;
  const layout: FleetLayout = {};
  let g = 0;
  for (const [i, h] of names.entries()) {
    const n = i === 0 ? first : Math.floor(rest / (hosts - 1)) + (i - 1 < rest % (hosts - 1) ? 1 : 0);
    layout[h] = Array.from({ length: n }, () => {
      g++;
      // every 10th guest is off, so stat has more than one answer (not on the host to evacuate: it moves running guests)
      return {
        name: `vm${String(g).padStart(gw, '0')}`,
        memoryMiB: 512,
        vcpus: 1,
        state: g % 10 === 0 && i > 0 ? ('shutoff' as const) : ('running' as const),
      };
    });
  }
  return layout;
}

/** A CLI run, wall time from spawn to exit (start-up included), and its stdout line count. */
function timedCli(bundle: string, args: string[]): Promise<{ s: number; code: number | null; lines: number; stderr: string }> {
  return new Promise((res) => {
    const t0 = performance.now();
    const child = spawn(process.execPath, [BIN.cli, ...args], {
      env: { ...process.env, DROVER_CONFIG: bundle },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let lines = 0;
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => {
      for (const b of d) if (b === 10) lines++;
    });
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('close', (code) => res({ s: (performance.now() - t0) / 1000, code, lines, stderr }));
  });
}

class RssSampler {
  peak = 0;
  private t: NodeJS.Timeout | undefined;
  constructor(private readonly pid: () => number) {}
  start(): void {
    this.t = setInterval(() => {
      const v = rssMiB(this.pid());
      if (v > this.peak) this.peak = v;
    }, 250);
    this.t.unref();
  }
  stop(): void {
    if (this.t) clearInterval(this.t);
  }
}

export async function run(argv: string[]): Promise<void> {
  const a = parseArgs(argv);
  const layout = fleetLayout(a.hosts, a.guests);
  const hosts = Object.keys(layout);
  const evacHost = hosts[0]!;
  const out: Record<string, number | string | boolean> = { hosts: a.hosts, guests: a.guests };
  const t00 = performance.now();
  const c = await FleetCluster.start({
    layout,
    extraHosts: ['ingest-probe'],
    hostsPerSim: a.perSim,
    heartbeatMs: a.heartbeatMs,
    staleAfterMs: Math.max(3 * a.heartbeatMs, 3000),
    downAfterMs: Math.max(9 * a.heartbeatMs, 9000),
    migrationMs: a.migrationMs,
    cache: a.cache,
  });
  const onSignal = (sig: string): void => {
    log(`${sig}: stopping the fleet`);
    background(
      'fleet stop',
      c.stop().finally(() => process.exit(130)),
    );
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  const rss = new RssSampler(() => c.server?.pid ?? -1);
  rss.start();
  try {
    out.enroll_s = r2(c.enrollS);
    out.enroll_cached = c.enrollCached;
    log(`server up; ${a.hosts} hosts enrolled in ${c.enrollS.toFixed(1)}s${c.enrollCached ? ' (cache)' : ''}`);
    let t = performance.now();
    await c.addNodes();
    out.nodeadd_s = r2((performance.now() - t) / 1000);
    log(`${a.guests} nodes added with vm.host in ${out.nodeadd_s}s`);

    // ---- converge
    t = performance.now();
    const sims = c.startSims();
    await Promise.all(sims.map((s) => c.simReady(s, 600_000)));
    out.sims = sims.length;
    out.sims_ready_s = r2((performance.now() - t) / 1000);
    log(`${sims.length} simulators ready in ${out.sims_ready_s}s`);
    await waitConverged(c, a.guests, 600_000);
    out.converge_s = r2((performance.now() - t) / 1000);
    log(`converged in ${out.converge_s}s`);

    // ---- rpower stat (CLI), lsdef, nodels
    const stat: number[] = [];
    for (let i = 0; i < a.repeat; i++) {
      const r = await timedCli(c.bundles.viewer, ['rpower', 'fleet', 'stat']);
      if (r.code !== 0 || r.lines !== a.guests) throw new Error(`rpower stat: exit ${r.code}, ${r.lines} lines: ${r.stderr.slice(0, 300)}`);
      stat.push(r.s);
    }
    out.rpower_stat_s = r2(median(stat));
    log(`rpower fleet stat: ${stat.map(r2).join(', ')} s`);
    const lsdef: number[] = [];
    const nodels: number[] = [];
    for (let i = 0; i < Math.min(3, a.repeat); i++) {
      const r = await timedCli(c.bundles.viewer, ['lsdef', '-o', 'json']);
      if (r.code !== 0) throw new Error(`lsdef: exit ${r.code}: ${r.stderr.slice(0, 300)}`);
      lsdef.push(r.s);
      const n = await timedCli(c.bundles.viewer, ['nodels']);
      if (n.code !== 0 || n.lines !== a.guests) throw new Error(`nodels: exit ${n.code}, ${n.lines} lines`);
      nodels.push(n.s);
    }
    out.lsdef_s = r2(median(lsdef));
    out.nodels_s = r2(median(nodels));
    log(`lsdef -o json: ${lsdef.map(r2).join(', ')} s; nodels: ${nodels.map(r2).join(', ')} s`);

    // ---- plan: dry-run evacuation of the 40-guest host
    const plans: number[] = [];
    for (let i = 0; i < Math.max(5, a.repeat * 2 + 1); i++) {
      const p0 = performance.now();
      const ref = await c.call('Evacuate', { host: evacHost, dryRun: true }, 60_000);
      plans.push(performance.now() - p0);
      if (i === 0) {
        const op = await c.call('GetOperation', { id: ref.id });
        out.plan_moves = op.steps.length;
        out.plan_unplaced = op.unplaced.length;
      }
    }
    out.plan_ms = r2(median(plans));
    log(`plan (dry-run Evacuate RPC): ${plans.map(r2).join(', ')} ms; ${out.plan_moves} moves`);

    // ---- lag
    const lags = await measureLag(c, layout, evacHost, a.lagSamples);
    out.lag_samples = lags.length;
    out.lag_p50_ms = r2(pct(lags, 50));
    out.lag_p99_ms = r2(pct(lags, 99));
    log(`lag over ${lags.length} events: p50 ${out.lag_p50_ms} ms, p99 ${out.lag_p99_ms} ms`);

    // ---- ingest ratio
    const ratios: number[] = [];
    const rates: { server: number; raw: number }[] = [];
    for (let i = 0; i < 3; i++) {
      const m = await measureIngest(c, a.ingestMsgs);
      ratios.push(m.server / m.raw);
      rates.push(m);
      log(`ingest burst ${i + 1}: server ${Math.round(m.server)} msg/s, raw NATS ${Math.round(m.raw)} msg/s`);
    }
    out.ingest_ratio = r2(median(ratios));
    out.ingest_server_msgs_per_s = Math.round(median(rates.map((r) => r.server)));
    out.ingest_raw_msgs_per_s = Math.round(median(rates.map((r) => r.raw)));

    // ---- stat --live (asks every agent)
    if (a.live) {
      const r = await timedCli(c.bundles.viewer, ['rpower', 'fleet', 'stat', '--live', '--fanout', '256']);
      if (r.code !== 0 || r.lines !== a.guests)
        throw new Error(`rpower stat --live: exit ${r.code}, ${r.lines} lines: ${r.stderr.slice(0, 300)}`);
      out.rpower_stat_live_s = r2(r.s);
      log(`rpower fleet stat --live: ${out.rpower_stat_live_s} s`);
    }

    // ---- the evacuation, for real on the simulator
    if (a.evacuate) {
      const e0 = performance.now();
      const op = await c.call('Evacuate', { host: evacHost }, 60_000);
      let fin: Operation__Output;
      for (;;) {
        fin = await c.call('GetOperation', { id: op.id });
        if (!['running', 'planned'].includes(fin.state)) break;
        if (performance.now() - e0 > 600_000) throw new Error(`evacuation ${op.id} still ${fin.state} after 10 min`);
        await sleep(250);
      }
      out.evacuate_emulated_s = r2((performance.now() - e0) / 1000);
      out.evacuate_state = fin.state;
      out.evacuate_moved = fin.steps.filter((s) => s.state === 'done').length;
      log(
        `evacuation of ${evacHost}: ${fin.state}, ${out.evacuate_moved}/${fin.steps.length} moved in ${out.evacuate_emulated_s}s (emulated migrations)`,
      );
    }

    out.server_rss_mb = Math.round(rss.peak);
    const simRss = sims.reduce((s, x) => s + rssMiB(x.proc.pid), 0);
    out.sim_rss_mb_per_100_hosts = r2((simRss / a.hosts) * 100);
    out.total_s = r2((performance.now() - t00) / 1000);
  } finally {
    rss.stop();
    await c.stop();
  }
  console.log(JSON.stringify(out));
}

/** Every host up, and every guest's state known to the server (from a full PowerStat). */
async function waitConverged(c: FleetCluster, guests: number, timeoutMs: number): Promise<void> {
  const end = performance.now() + timeoutMs;
  let last = '';
  for (;;) {
    const res = await c.stream('PowerStat', { noderange: 'fleet' }, 120_000).catch((e: Error) => {
      last = e.message;
      return [];
    });
    const known = res.filter((r) => r.ok && r.data.state && r.data.state !== 'unknown' && r.data.defined !== 'false').length;
    // and every host's capacity (facts) known, which the scheduler needs
    const { hosts } = await c.call('ListHosts', {});
    const withFacts = hosts.filter((h) => h.state === 'HOST_STATE_UP' && (h.facts?.memoryTotalMib ?? 0) > 0).length;
    last = `${known}/${guests} guests known, ${withFacts}/${c.hosts.length} hosts up with facts`;
    if (known === guests && withFacts >= c.hosts.length) return;
    if (performance.now() > end) throw new Error(`fleet did not converge: ${last}`);
    await sleep(500);
  }
}

/**
 * Power changes through the admin API, `samples` events in all: batches of 10 running guests
 * (never on the evacuation host) are switched off then on. For each event the agent publishes
 * (seen on NATS with its time_ms) the bench polls PowerStat for the batch until the new state
 * shows.
 */
async function measureLag(c: FleetCluster, layout: FleetLayout, skipHost: string, samples: number): Promise<number[]> {
  const nc = await connectNats({ url: c.natsUrl, seed: c.serverSeed(), name: 'fleet-bench lag', reconnect: false });
  const evCodec = codec<GuestEvent__Output>('GuestEvent');
  const seen = new Map<string, number>(); // `${guest}/${state}` -> event time_ms
  const sub = nc.subscribe('drover.v1.host.*.event');
  background(
    'subscription reader',
    (async () => {
      for await (const m of sub) {
        try {
          const ev = evCodec.decode(m.data);
          seen.set(`${ev.guest}/${ev.state}`, Number(ev.timeMs));
        } catch {
          /* not ours */
        }
      }
    })(),
  );
  const running = Object.entries(layout)
    .filter(([h]) => h !== skipHost)
    .flatMap(([, gs]) => gs.filter((g) => g.state === 'running').map((g) => g.name));
  // spread the samples over the fleet
  const step = Math.max(1, Math.floor(running.length / Math.max(1, samples / 2)));
  const pick = running.filter((_, i) => i % step === 0).slice(0, Math.ceil(samples / 2));
  const lags: number[] = [];
  try {
    for (let i = 0; i < pick.length; i += 10) {
      const batch = pick.slice(i, i + 10);
      for (const [action, state, word] of [
        ['POWER_ACTION_OFF', 'POWER_STATE_OFF', 'off'],
        ['POWER_ACTION_ON', 'POWER_STATE_ON', 'on'],
      ] as const) {
        for (const g of batch) seen.delete(`${g}/${state}`);
        const pending = new Set(batch);
        const power = c.stream('Power', { noderange: batch.join(','), action }, 60_000);
        const end = performance.now() + 30_000;
        while (pending.size && performance.now() < end) {
          const res = await c.stream('PowerStat', { noderange: [...pending].join(',') }, 10_000);
          const now = Date.now();
          for (const r of res) {
            const evMs = seen.get(`${r.node}/${state}`);
            if (r.data.state === word && evMs !== undefined) {
              lags.push(now - evMs);
              pending.delete(r.node);
            }
          }
          if (pending.size) await sleep(2);
        }
        await power;
        if (pending.size) log(`lag: ${pending.size} guests never showed ${word}: ${[...pending].join(',')}`);
      }
    }
  } finally {
    sub.unsubscribe();
    await nc.close();
  }
  return lags;
}

/**
 * A burst of `n` reports published as the enrolled (not simulated) host `ingest-probe`: half
 * heartbeats, half inventory diffs chaining on a full inventory, the last diff carrying a marker.
 * raw: a plain subscriber of the same subjects receives all n; server: LsVm shows the marker.
 */
async function measureIngest(c: FleetCluster, n: number): Promise<{ server: number; raw: number }> {
  const host = 'ingest-probe';
  const pub = await connectNats({
    url: c.natsUrl,
    seed: c.hostSeed(host),
    name: `fleet-bench ${host}`,
    inboxPrefix: inboxPrefix(host),
    reconnect: false,
  });
  const rawNc = await connectNats({ url: c.natsUrl, seed: c.serverSeed(), name: 'fleet-bench raw', reconnect: false });
  const hbCodec = codec<Heartbeat>('Heartbeat');
  const invCodec = codec<Inventory>('Inventory');
  const bootId = randomUUID();
  const G = 20;
  const guests: GuestStatus[] = Array.from({ length: G }, (_, i) => ({
    name: `probe-${String(i).padStart(2, '0')}`,
    uuid: randomUUID(),
    id: i + 1,
    state: 'POWER_STATE_ON',
    reason: 'booted',
    memoryMib: 512,
    vcpus: 1,
    cpuTimeNs: 0,
    persistent: true,
    managed: true,
    migrating: false,
  }));
  try {
    pub.publish(
      subjects.inventory(host),
      invCodec.encode({ host, seq: 1, baseSeq: 0, full: true, guests, removed: [], timeMs: Date.now(), bootId }),
    );
    await pub.flush();
    await waitLsVm(c, host, (r) => r.guests.length === G && r.guests.every((g) => g.reason === 'booted'), 10_000);
    const marker = `final-${randomUUID().slice(0, 8)}`;
    const msgs: { subject: string; data: Uint8Array }[] = [];
    let seq = 1;
    for (let i = 0; i < n; i++) {
      if (i % 2 === 0) {
        const g = {
          ...guests[i % G]!,
          state: (i % 4 === 0 ? 'POWER_STATE_PAUSED' : 'POWER_STATE_ON') as GuestStatus['state'],
          reason: i === n - 2 || i === n - 1 ? marker : `r${i}`,
        };
        msgs.push({
          subject: subjects.inventory(host),
          data: invCodec.encode({ host, seq: seq + 1, baseSeq: seq, full: false, guests: [g], removed: [], timeMs: Date.now(), bootId }),
        });
        seq++;
      } else {
        msgs.push({
          subject: subjects.heartbeat(host),
          data: hbCodec.encode({
            host,
            seq: i,
            timeMs: Date.now(),
            grpcAddress: '127.0.0.1:9',
            libvirt: { reachable: true, uri: 'test:///probe', error: '', sinceMs: 0 },
            agentVersion: 'bench',
            bootId,
            inventorySeq: Math.max(1, seq - 50),
            simulated: true,
          }),
        });
      }
    }
    // the last message is a diff carrying the marker
    if (n % 2 === 0) {
      const g = { ...guests[0]!, reason: marker };
      msgs.push({
        subject: subjects.inventory(host),
        data: invCodec.encode({ host, seq: seq + 1, baseSeq: seq, full: false, guests: [g], removed: [], timeMs: Date.now(), bootId }),
      });
    }
    const total = msgs.length;
    let got = 0;
    let rawDone = 0;
    const sub = rawNc.subscribe(`drover.v1.host.${host}.>`);
    const rawFinished = (async () => {
      for await (const _m of sub) {
        if (++got === total) {
          rawDone = performance.now();
          break;
        }
      }
    })();
    await rawNc.flush();
    const t0 = performance.now();
    for (const m of msgs) pub.publish(m.subject, m.data);
    await pub.flush();
    const serverDone = waitLsVm(c, host, (r) => r.guests.some((g) => g.reason === marker), 120_000).then(() => performance.now());
    const [tServer] = await Promise.all([serverDone, rawFinished]);
    return { server: total / ((tServer - t0) / 1000), raw: total / ((rawDone - t0) / 1000) };
  } finally {
    await pub.close();
    await rawNc.close();
  }
}

async function waitLsVm(c: FleetCluster, host: string, ok: (r: LsVmResponse__Output) => boolean, timeoutMs: number): Promise<void> {
  const end = performance.now() + timeoutMs;
  for (;;) {
    const r = await c.call('LsVm', { host }, 10_000);
    if (ok(r)) return;
    if (performance.now() > end) throw new Error(`LsVm ${host}: condition not met within ${timeoutMs} ms`);
    await sleep(2);
  }
}
