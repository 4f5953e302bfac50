/**
 * `npm run bench -- rpower [--agents 20] [--guests 1000] [--runs 5]`: a fleet of drover-agents on
 * libvirt's test driver (one `<node>` file each) behind one drover-server and NATS, all real
 * processes on loopback.
 *
 *   nodeadd vm[0001-1000]   one noderange, one call (then vm.host set per host in 20 ranges)
 *   rpower all on           defines and starts every guest through the agents
 *   rpower all stat         answered from the reported inventory
 *   rpower all stat --live  asks the agents
 *
 * Each is the CLI process's wall time (start-up included), text output as an admin reads it.
 * Baseline for the ratios: `drover lshosts` on the same cluster — the same CLI start-up, the same
 * mutual-TLS connection and one small RPC, so ratio - 1 is what the 1,000 guests themselves cost
 * (the fleet-size-independent part of the admin's wait is the baseline). stat, stat --live and
 * lshosts alternate; medians. Server RSS from /proc/<pid>/status (VmRSS; VmHWM for the peak).
 * Last line: {"bench":"rpower","stat_s":..,"stat_live_s":..,"nodeadd_1000_s":..,"server_rss_mb":..,...}.
 */
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { TestCluster } from '../support/cluster.js';
import { cleanupDir, tempDir, waitFor } from '../support/procs.js';
import { writeTestHostFile } from '../support/testdriver.js';
import { median, r2, r3, rssMb, timedCli } from './util.js';

const pad = (n: number, w: number): string => String(n).padStart(w, '0');

function hwmMb(pid: number): number {
  const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : NaN;
}

export async function run(args: string[]): Promise<void> {
  const { values } = parseArgs({
    args,
    options: {
      agents: { type: 'string', default: '20' },
      guests: { type: 'string', default: '1000' },
      runs: { type: 'string', default: '5' },
    },
    strict: true,
  });
  const nAgents = Math.max(1, Math.min(64, Number(values.agents)));
  const nGuests = Math.max(nAgents, Math.min(10_000, Number(values.guests)));
  const runs = Math.max(1, Math.min(30, Number(values.runs)));
  const w = String(nGuests).length;
  const range = (lo: number, hi: number): string => `vm[${pad(lo, w)}-${pad(hi, w)}]`;
  const dir = tempDir('drover-bench-rpower-');
  const hosts = Array.from({ length: nAgents }, (_, i) => `node${pad(i + 1, 2)}`);
  const vms = join(dir, 'vms');
  mkdirSync(vms);
  const prevRoots = process.env.DROVER_AGENT_STORAGE_ROOTS;
  process.env.DROVER_AGENT_STORAGE_ROOTS = vms;
  let c: TestCluster | undefined;
  try {
    const uris = hosts.map(
      (h) => writeTestHostFile(join(dir, h), { memoryMiB: 1024 * 1024, cpus: 256, networks: [{ name: 'default', bridge: 'br0' }] }).uri,
    );
    const t0 = Date.now();
    c = await TestCluster.start({
      hostNames: hosts,
      heartbeatMs: 2000,
      staleAfterMs: 20_000,
      downAfterMs: 120_000,
      libvirtUri: (i) => uris[i]!,
    });
    const cl = c;
    let states = '';
    await waitFor(
      `${nAgents} hosts up`,
      async () => {
        const hs = await cl.cliJson<{ host: string; state: string; libvirt: string }[]>(['lshosts']);
        const by = new Map<string, number>();
        for (const h of hs) by.set(`${h.state}/${h.libvirt}`, (by.get(`${h.state}/${h.libvirt}`) ?? 0) + 1);
        states = [...by].map(([k, v]) => `${v} ${k}`).join(', ');
        return hs.filter((h) => h.state === 'up').length === nAgents;
      },
      180_000,
      1000,
    ).catch((e: Error) => {
      throw new Error(`${e.message}; hosts: ${states}`);
    });
    console.log(`cluster of ${nAgents} agents (test driver) up in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    const spid = c.server!.pid;
    const rssStart = rssMb(spid);
    const admin = c.bundles.admin;

    const add = await timedCli(admin, ['nodeadd', range(1, nGuests), 'groups=all,vms', 'vm.memory=64M', 'vm.nics=br0']);
    if (add.code !== 0) throw new Error(`nodeadd failed: ${add.stderr}`);
    console.log(`nodeadd ${range(1, nGuests)}: ${(add.ms / 1000).toFixed(2)} s`);
    const per = Math.ceil(nGuests / nAgents);
    const tPlace = Date.now();
    for (const [i, h] of hosts.entries()) {
      const lo = i * per + 1;
      const hi = Math.min(nGuests, lo + per - 1);
      if (lo > hi) break;
      const r = await cl.cli(['chdef', range(lo, hi), `vm.host=${h}`]);
      if (r.code !== 0) throw new Error(`chdef failed: ${r.stderr}`);
    }
    console.log(`vm.host set in ${nAgents} ranges of ${per}: ${((Date.now() - tPlace) / 1000).toFixed(2)} s`);
    const on = await timedCli(admin, ['rpower', 'all', 'on'], 600_000);
    const onOk = (on.stdout.match(/: on$/gm) ?? []).length;
    if (on.code !== 0 || onOk !== nGuests) throw new Error(`rpower all on: ${onOk}/${nGuests} on (${on.code}): ${on.stderr.slice(0, 500)}`);
    console.log(`rpower all on (${nGuests} guests defined and started): ${(on.ms / 1000).toFixed(2)} s`);
    await waitFor(
      'inventory to show every guest on',
      async () => {
        const r = await cl.cli(['rpower', 'all', 'stat']);
        return (r.stdout.match(/: on$/gm) ?? []).length === nGuests;
      },
      60_000,
      500,
    );
    const rssLoaded = rssMb(spid);

    const stat: number[] = [];
    const live: number[] = [];
    const base: number[] = [];
    const rssAfter: number[] = [];
    const kinds = [['stat'], ['stat', '--live'], ['lshosts']] as const;
    for (let i = 0; i < runs; i++) {
      const order = i % 2 === 0 ? kinds : [...kinds].reverse();
      const line: string[] = [];
      for (const k of order) {
        const argv = k[0] === 'lshosts' ? ['lshosts'] : ['rpower', 'all', ...k];
        const r = await timedCli(admin, argv);
        if (r.code !== 0) throw new Error(`${argv.join(' ')} failed: ${r.stderr.slice(0, 300)}`);
        if (k[0] !== 'lshosts') {
          const n = (r.stdout.match(/: on$/gm) ?? []).length;
          if (n !== nGuests) throw new Error(`${argv.join(' ')}: ${n}/${nGuests} on`);
        }
        (k[0] === 'lshosts' ? base : k.length === 2 ? live : stat).push(r.ms);
        line.push(`${argv.slice(argv[0] === 'rpower' ? 2 : 0).join(' ')} ${(r.ms / 1000).toFixed(3)} s`);
      }
      rssAfter.push(rssMb(spid));
      console.log(`run ${i + 1}: ${line.join(', ')}; server RSS ${rssAfter[rssAfter.length - 1]!.toFixed(0)} MB`);
    }
    const sMed = median(stat);
    const lMed = median(live);
    const bMed = median(base);
    const rss = median(rssAfter);
    const hwm = hwmMb(spid);
    console.log('');
    console.log(`nodeadd ${nGuests}: ${(add.ms / 1000).toFixed(2)} s; rpower all on: ${(on.ms / 1000).toFixed(2)} s`);
    console.log(
      `rpower all stat (${nGuests} guests, ${nAgents} hosts, from inventory): median ${sMed.toFixed(0)} ms; ratio to lshosts ${(sMed / bMed).toFixed(2)}`,
    );
    console.log(
      `rpower all stat --live (asks the agents):        median ${lMed.toFixed(0)} ms; ratio to lshosts ${(lMed / bMed).toFixed(2)}`,
    );
    console.log(`baseline drover lshosts (CLI start-up + mTLS + 1 RPC): median ${bMed.toFixed(0)} ms`);
    console.log(
      `server RSS: ${rssStart.toFixed(0)} MB idle with ${nAgents} hosts, ${rssLoaded.toFixed(0)} MB with ${nGuests} guests, ${rss.toFixed(0)} MB after the stat runs (median), peak ${hwm.toFixed(0)} MB`,
    );
    console.log(
      JSON.stringify({
        bench: 'rpower',
        stat_s: r3(sMed / 1000),
        stat_live_s: r3(lMed / 1000),
        nodeadd_1000_s: r3(add.ms / 1000),
        on_1000_s: r3(on.ms / 1000),
        server_rss_mb: Math.round(rss),
        server_rss_idle_mb: Math.round(rssStart),
        server_peak_mb: Math.round(hwm),
        baseline_lshosts_s: r3(bMed / 1000),
        stat_ratio: r2(sMed / bMed),
        stat_live_ratio: r2(lMed / bMed),
        agents: nAgents,
        guests: nGuests,
        runs,
      }),
    );
  } finally {
    await c?.stop().catch(() => undefined);
    if (prevRoots === undefined) delete process.env.DROVER_AGENT_STORAGE_ROOTS;
    else process.env.DROVER_AGENT_STORAGE_ROOTS = prevRoots;
    cleanupDir(dir);
  }
}
