/**
 * `npm run bench -- agent [--events 200] [--guests 40]`: drover-agent's footprint and event latency,
 * two agents on libvirt's test driver behind a real drover-server and NATS on loopback.
 *
 *   RSS (VmRSS of the agent process, median of samples a second apart after settling):
 *     idle: node01, no guests;  40 guests: node02 after nodeadd + rpower on of 40 guests.
 *     Baseline: a bare Node process with @grpc/grpc-js, protobufjs, nats and pino loaded
 *     (what any agent written on this stack pays before doing anything), started with the same
 *     NODE_OPTIONS as the agents (those of the systemd unit setup-hypervisor writes), so that
 *     idle minus baseline is the agent's own part and not a difference of V8 heap settings.
 *   Event latency: suspend/resume one guest on node02 through the agent's gRPC Power, one at a
 *     time, with a NATS subscriber (as the server) on node02's event subject. Two clocks, both
 *     on this machine:
 *       libvirt event -> NATS: the GuestEvent's time_ms (stamped when libvirt's event reaches the
 *         agent's JS thread, the earliest point the agent can see it) to its arrival here;
 *       gRPC reply -> NATS: the Power call's completion to the arrival (negative when the event
 *         arrives before the reply).
 * Last line: {"bench":"agent","rss_idle_mb":..,"rss_40_mb":..,"baseline_mb":..,"event_p50_ms":..,"event_p99_ms":..}.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type { NatsConnection } from 'nats';
import { codec, connectNats, subjects, type GuestEvent__Output, background } from '@drover/contract';
import { TestCluster } from '../support/cluster.js';
import { AgentClient, serverPki } from '../support/agent-client.js';
import { cleanupDir, REPO, tempDir } from '../support/procs.js';
import { writeTestHostFile } from '../support/testdriver.js';
import { median, percentile, r2, rssMb } from './util.js';
import { systemdUnit } from '@drover/agent/lib/setup/setup.js';

const evCodec = codec<GuestEvent__Output>('GuestEvent');
/** NODE_OPTIONS of the systemd unit drover-agent setup-hypervisor writes (packages/agent/src/setup/setup.ts). */
const UNIT_NODE_OPTIONS = (() => {
  const m = /^Environment=NODE_OPTIONS=(.*)$/m.exec(systemdUnit('/usr/bin/drover-agent run'));
  if (!m) throw new Error("bench agent: the agent's systemd unit sets no NODE_OPTIONS");
  return m[1]!;
})();
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function sampleRss(pid: number, n = 5, everyMs = 1000): Promise<number> {
  const xs: number[] = [];
  for (let i = 0; i < n; i++) {
    if (i) await sleep(everyMs);
    xs.push(rssMb(pid));
  }
  return median(xs);
}

/** RSS of a bare Node process with the agent's four big dependencies loaded, run with `nodeOptions`. */
async function baselineRss(nodeOptions: string): Promise<number> {
  const script =
    "require('@grpc/grpc-js');require('protobufjs');require('nats');require('pino');process.stdout.write('ready\\n');setInterval(()=>{},1e6);";
  const child = spawn(process.execPath, ['-e', script], {
    cwd: join(REPO, 'packages', 'agent'),
    env: { ...process.env, NODE_OPTIONS: nodeOptions },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  try {
    await new Promise<void>((res, rej) => {
      child.stdout.on('data', (d: Buffer) => d.toString().includes('ready') && res());
      child.once('exit', (code) => rej(new Error(`baseline process exited (${code})`)));
    });
    await sleep(1000);
    return await sampleRss(child.pid!, 3, 500);
  } finally {
    child.kill('SIGTERM');
  }
}

export async function run(args: string[]): Promise<void> {
  const { values } = parseArgs({
    args,
    options: { events: { type: 'string', default: '200' }, guests: { type: 'string', default: '40' } },
    strict: true,
  });
  const nEvents = Math.max(10, Math.min(5000, Number(values.events)));
  const nGuests = Math.max(1, Math.min(500, Number(values.guests)));
  const dir = tempDir('drover-bench-agent-');
  const vms = join(dir, 'vms');
  mkdirSync(vms);
  const prevRoots = process.env.DROVER_AGENT_STORAGE_ROOTS;
  process.env.DROVER_AGENT_STORAGE_ROOTS = vms;
  let c: TestCluster | undefined;
  let nc: NatsConnection | undefined;
  let client: AgentClient | undefined;
  try {
    const hosts = ['node01', 'node02'];
    const uris = hosts.map(
      (h) => writeTestHostFile(join(dir, h), { memoryMiB: 65536, cpus: 32, networks: [{ name: 'default', bridge: 'br0' }] }).uri,
    );
    // The agents run as setup-hypervisor's systemd unit runs them (its NODE_OPTIONS).
    c = await TestCluster.start({
      hostNames: hosts,
      heartbeatMs: 1000,
      staleAfterMs: 10_000,
      downAfterMs: 60_000,
      libvirtUri: (i) => uris[i]!,
      agentEnv: () => ({ NODE_OPTIONS: UNIT_NODE_OPTIONS }),
    });
    const cl = c;
    await cl.waitHostsUp(2);
    const [idle, busy] = c.agents as [(typeof c.agents)[number], (typeof c.agents)[number]];
    const w = String(nGuests).length;
    const range = `vm[${'1'.padStart(w, '0')}-${nGuests}]`;
    const add = await cl.cli(['nodeadd', range, 'vm.host=node02', 'vm.memory=64M', 'vm.nics=br0', 'groups=all,vms']);
    if (add.code !== 0) throw new Error(`nodeadd failed: ${add.stderr}`);
    const on = await cl.cli(['rpower', 'vms', 'on']);
    if (on.code !== 0) throw new Error(`rpower on failed: ${on.stderr}`);
    await sleep(3000); // let reports, inventory and GC settle
    const [rssIdle, rss40] = await Promise.all([sampleRss(idle.proc!.pid), sampleRss(busy.proc!.pid)]);
    // The baseline with the agents' NODE_OPTIONS, and without them (V8's default young generation,
    // as this bench measured it before), alternating, 5 fresh processes each; medians.
    const withOpts: number[] = [];
    const withoutOpts: number[] = [];
    for (let i = 0; i < 5; i++) {
      for (const o of i % 2 === 0 ? [UNIT_NODE_OPTIONS, ''] : ['', UNIT_NODE_OPTIONS])
        (o ? withOpts : withoutOpts).push(await baselineRss(o));
    }
    const base = median(withOpts);
    const baseDefault = median(withoutOpts);
    console.log(
      `agent RSS (NODE_OPTIONS=${UNIT_NODE_OPTIONS}, as its systemd unit runs it): idle ${rssIdle.toFixed(1)} MB (node01, no guests); with ${nGuests} guests ${rss40.toFixed(1)} MB (node02), +${(rss40 - rssIdle).toFixed(1)} MB`,
    );
    console.log(
      `baseline: bare Node with grpc-js, protobufjs, nats, pino loaded, NODE_OPTIONS=${UNIT_NODE_OPTIONS}: ${base.toFixed(1)} MB (the agent's own part when idle: ${(rssIdle - base).toFixed(1)} MB)`,
    );
    console.log(
      `  the same baseline without NODE_OPTIONS: ${baseDefault.toFixed(1)} MB (idle minus that: ${(rssIdle - baseDefault).toFixed(1)} MB, which mixes in V8's heap settings); medians of 5 processes each, alternating (${withOpts.map((x) => x.toFixed(1)).join(' ')} / ${withoutOpts.map((x) => x.toFixed(1)).join(' ')})`,
    );
    console.log(`targets: < 100 MB with ${nGuests} guests; <= 20 MB above idle`);

    // Event latency.
    const pki = serverPki(c.dir);
    nc = await connectNats({ url: `nats://127.0.0.1:${c.natsPort}`, seed: readFileSync(pki.natsSeed, 'utf8').trim(), name: 'bench-agent' });
    const sub = nc.subscribe(subjects.event('node02'));
    const guest = `vm${'1'.padStart(w, '0')}`;
    let waiter: ((e: { ev: GuestEvent__Output; at: number; hr: bigint }) => void) | undefined;
    background(
      'subscription reader',
      (async () => {
        for await (const m of sub) {
          const at = Date.now();
          const hr = process.hrtime.bigint();
          try {
            const ev = evCodec.decode(m.data);
            if (ev.guest === guest && waiter) waiter({ ev, at, hr });
          } catch {
            // not ours
          }
        }
      })(),
    );
    await nc.flush();
    client = new AgentClient(c.dir, 'node02', `127.0.0.1:${busy.port}`);
    const fromEvent: number[] = [];
    const fromReply: number[] = [];
    const callMs: number[] = [];
    let misses = 0;
    for (let i = 0; i < nEvents; i++) {
      const action = i % 2 === 0 ? 'POWER_ACTION_SUSPEND' : 'POWER_ACTION_RESUME';
      const want = i % 2 === 0 ? 'suspended' : 'resumed';
      const got = new Promise<{ ev: GuestEvent__Output; at: number; hr: bigint } | undefined>((res) => {
        const t = setTimeout(() => res(undefined), 5000);
        waiter = (e) => {
          if (e.ev.kind !== want) return;
          clearTimeout(t);
          res(e);
        };
      });
      const c0 = process.hrtime.bigint();
      await client.call('Power', { guest, action });
      const replied = process.hrtime.bigint();
      const e = await got;
      waiter = undefined;
      callMs.push(Number(replied - c0) / 1e6);
      if (!e) {
        misses++;
        continue;
      }
      fromEvent.push(e.at - Number(e.ev.timeMs));
      fromReply.push(Number(e.hr - replied) / 1e6);
    }
    const p50 = percentile(fromEvent, 50);
    const p99 = percentile(fromEvent, 99);
    console.log(`events: ${fromEvent.length} of ${nEvents} power changes seen on NATS${misses ? ` (${misses} not within 5 s)` : ''}`);
    console.log(
      `libvirt event (agent's time_ms, ms resolution) -> NATS subscriber: p50 ${p50} ms, p99 ${p99} ms, max ${Math.max(...fromEvent)} ms`,
    );
    console.log(
      `gRPC Power reply -> NATS subscriber: p50 ${percentile(fromReply, 50).toFixed(2)} ms, p99 ${percentile(fromReply, 99).toFixed(2)} ms (negative: the event came first)`,
    );
    console.log(
      `Power call itself (suspend/resume on the test driver): p50 ${percentile(callMs, 50).toFixed(2)} ms, p99 ${percentile(callMs, 99).toFixed(2)} ms`,
    );
    const rssAfter = rssMb(busy.proc!.pid);
    console.log(`node02 RSS after ${nEvents} power changes: ${rssAfter.toFixed(1)} MB`);
    console.log(
      JSON.stringify({
        bench: 'agent',
        rss_idle_mb: r2(rssIdle),
        rss_40_mb: r2(rss40),
        baseline_mb: r2(base),
        baseline_node_options: UNIT_NODE_OPTIONS,
        baseline_default_options_mb: r2(baseDefault),
        agent_own_idle_mb: r2(rssIdle - base),
        rss_delta_mb: r2(rss40 - rssIdle),
        event_p50_ms: p50,
        event_p99_ms: p99,
        reply_to_event_p50_ms: r2(percentile(fromReply, 50)),
        reply_to_event_p99_ms: r2(percentile(fromReply, 99)),
        events: fromEvent.length,
        guests: nGuests,
        rss_after_events_mb: r2(rssAfter),
      }),
    );
  } finally {
    client?.close();
    await nc?.close().catch(() => undefined);
    await c?.stop().catch(() => undefined);
    if (prevRoots === undefined) delete process.env.DROVER_AGENT_STORAGE_ROOTS;
    else process.env.DROVER_AGENT_STORAGE_ROOTS = prevRoots;
    cleanupDir(dir);
  }
}
