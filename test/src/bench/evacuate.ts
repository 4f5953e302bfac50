/**
 * `npm run bench -- evacuate [--runs N] [--guests 8]`: emptying a host of 8 counter guests on shared
 * storage, on a 3-host lab with a drover cluster.
 *
 *   revacuate:  `drover revacuate node01 --max-out 8 --max-in 4 --max-total 8` (one planned, parallel
 *               operation; CLI wall time, start-up included)
 *   sequential: the xCAT way, one move at a time: 8 `drover rmigrate <g> <dest>` in a row, the
 *               destination alternating node02/node03 (each a full CLI process; total wall time).
 *               drover rmigrate rather than virsh, so the ratio isolates the scheduling.
 *   defaults:   `drover revacuate node01` with no limit flags (site defaults).
 *
 * The three alternate in rotating order, at least 3 runs each; guests go back to node01 between
 * runs (maintenance off, then one rmigrate of all of them to node01; not timed). Figures are
 * medians; per-move timelines come from `drover ops show <id> -o json`.
 * Uses the lab named by DROVER_LAB_ID (3 hosts), or starts a 3-host lab of its own.
 * Last line: {"bench":"evacuate","ratio":..,"revacuate_s":..,"sequential_s":..,"defaults_ratio":..}.
 */
import { parseArgs } from 'node:util';
import { assertCountRises, readCounts, resetHosts, virsh, type Lab, type LabHost } from '../lab';
import { startLabCluster } from '../support/labcluster.js';
import type { TestCluster } from '../support/cluster.js';
import { waitFor } from '../support/procs.js';
import { addCounterGuests, declareSharedStorage } from '../support/labguests.js';
import { acquireLab, median, opIdOf, r2, r3, timedCli, type Op } from './util.js';

const LIMITS = ['--max-out', '8', '--max-in', '4', '--max-total', '8'];

async function running(lab: Lab): Promise<Map<string, string[]>> {
  const out = new Map<string, string[]>();
  await Promise.all(
    lab.hosts.map(async (h) => {
      for (const n of (await virsh(h, ['list', '--name', '--state-running']))
        .split('\n')
        .map((s) => s.trim())
        .filter(Boolean))
        out.set(n, [...(out.get(n) ?? []), h.name]);
    }),
  );
  return out;
}

function timeline(op: Op): string[] {
  const t0 = op.createdMs;
  const steps = [...op.steps].sort((a, b) => a.startedMs - b.startedMs);
  const end = Math.max(...steps.map((s) => s.finishedMs)) - t0;
  const scale = 40 / Math.max(1, end);
  return steps.map((s) => {
    const a = Math.round((s.startedMs - t0) * scale);
    const b = Math.max(a + 1, Math.round((s.finishedMs - t0) * scale));
    return `    ${s.guest.padEnd(6)} ${s.source}->${s.dest} ${((s.startedMs - t0) / 1000).toFixed(2).padStart(6)}s .. ${((s.finishedMs - t0) / 1000).toFixed(2).padStart(6)}s  ${' '.repeat(a)}${'#'.repeat(b - a)}  ${s.state}`;
  });
}

function maxConcurrent(op: Op): number {
  const ev: [number, number][] = [];
  for (const s of op.steps) ev.push([s.startedMs, 1], [s.finishedMs, -1]);
  ev.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  let cur = 0;
  let max = 0;
  for (const [, d] of ev) max = Math.max(max, (cur += d));
  return max;
}

export async function run(args: string[]): Promise<void> {
  const { values } = parseArgs({
    args,
    options: {
      runs: { type: 'string', default: '3' },
      guests: { type: 'string', default: '8' },
      pause: { type: 'string', default: '2000' },
    },
    strict: true,
  });
  const runs = Math.max(1, Math.min(20, Number(values.runs)));
  const nGuests = Math.max(2, Math.min(16, Number(values.guests)));
  const pauseMs = Number(values.pause);
  const { lab, release } = await acquireLab(3, 'evacuate');
  const [h1, h2, h3] = lab.hosts as [LabHost, LabHost, LabHost];
  const names = Array.from({ length: nGuests }, (_, i) => `bev${i + 1}`);
  let c: TestCluster | undefined;
  try {
    await resetHosts(lab);
    c = await startLabCluster(lab, { hostNames: [h1.name, h2.name, h3.name] });
    const cl = c;
    await c.waitHostsUp(3);
    await declareSharedStorage(c, lab);
    await addCounterGuests(c, lab, names, h1.name);
    const pause = (): Promise<void> => new Promise((res) => setTimeout(res, pauseMs));

    /** Every guest runs on exactly one host, none on node01; drover agrees. */
    const checkEvacuated = async (what: string): Promise<void> => {
      const where = await running(lab);
      const bad = names.filter((n) => (where.get(n) ?? []).length !== 1 || where.get(n)![0] === h1.name);
      if (bad.length) throw new Error(`${what}: ${bad.map((n) => `${n} on ${(where.get(n) ?? []).join(',') || 'nothing'}`).join('; ')}`);
    };
    /** Back home (not timed): maintenance off, all to node01, drover's inventory caught up. */
    const goHome = async (): Promise<void> => {
      await cl.cli(['maintenance', h1.name, 'off']);
      const r = await cl.cli(['rmigrate', names.join(','), h1.name]);
      if (r.code !== 0) throw new Error(`moving the guests back failed: ${r.stdout}${r.stderr}`);
      const where = await running(lab);
      const bad = names.filter((n) => (where.get(n) ?? []).join(',') !== h1.name);
      if (bad.length) throw new Error(`not back on ${h1.name}: ${bad.join(',')}`);
      await waitFor(
        'inventory: all on node01',
        async () => {
          const s = await cl.cliJson<{ message: string }[]>(['rpower', names.join(','), 'stat']);
          return s.every((x) => x.message === 'on');
        },
        30_000,
        250,
      );
    };
    const opOf = (id: string): Promise<Op> => cl.cliJson<Op>(['ops', 'show', id]);

    const revacuate = async (flags: string[]): Promise<{ ms: number; op: Op }> => {
      const r = await timedCli(cl.bundles.admin, ['revacuate', h1.name, ...flags]);
      if (r.code !== 0) throw new Error(`revacuate failed (${r.code}): ${r.stdout}${r.stderr}`);
      const id = opIdOf(r.stdout);
      if (!id) throw new Error(`no operation id in: ${r.stdout}`);
      await checkEvacuated('after revacuate');
      return { ms: r.ms, op: await opOf(id) };
    };
    const sequential = async (): Promise<{ ms: number; each: number[] }> => {
      const each: number[] = [];
      const t0 = process.hrtime.bigint();
      for (const [i, n] of names.entries()) {
        const dest = i % 2 === 0 ? h2.name : h3.name;
        const r = await timedCli(cl.bundles.admin, ['rmigrate', n, dest]);
        if (r.code !== 0) throw new Error(`rmigrate ${n} ${dest} failed (${r.code}): ${r.stdout}${r.stderr}`);
        each.push(r.ms);
      }
      const ms = Number(process.hrtime.bigint() - t0) / 1e6;
      await checkEvacuated('after the sequential moves');
      return { ms, each };
    };

    const rv: number[] = [];
    const sq: number[] = [];
    const df: number[] = [];
    const eachSeq: number[] = [];
    let lastLimits: Op | undefined;
    let lastDefaults: Op | undefined;
    let conc = 0;
    let concDefaults = 0;
    const orders = [
      ['limits', 'sequential', 'defaults'],
      ['sequential', 'defaults', 'limits'],
      ['defaults', 'limits', 'sequential'],
    ] as const;
    for (let i = 0; i < runs; i++) {
      for (const m of orders[i % orders.length]!) {
        await pause();
        if (m === 'sequential') {
          const x = await sequential();
          sq.push(x.ms);
          eachSeq.push(...x.each);
          console.log(
            `run ${i + 1} sequential (8 x rmigrate): ${(x.ms / 1000).toFixed(2)} s (each ${x.each.map((e) => (e / 1000).toFixed(2)).join(' ')})`,
          );
        } else {
          const x = await revacuate(m === 'limits' ? LIMITS : []);
          (m === 'limits' ? rv : df).push(x.ms);
          const cc = maxConcurrent(x.op);
          if (m === 'limits') {
            lastLimits = x.op;
            conc = Math.max(conc, cc);
          } else {
            lastDefaults = x.op;
            concDefaults = Math.max(concDefaults, cc);
          }
          console.log(
            `run ${i + 1} revacuate ${m === 'limits' ? LIMITS.join(' ') : '(defaults)'}: ${(x.ms / 1000).toFixed(2)} s, ${x.op.steps.length} moves, at most ${cc} at once, ${x.op.summary}`,
          );
        }
        await goHome();
      }
    }
    for (const n of names) assertCountRises(readCounts(lab, n), `${n} across every move`);
    console.log(`all ${names.length} guests kept counting across ${runs * 4} evacuations/returns each; none restarted`);

    const rMed = median(rv);
    const sMed = median(sq);
    const dMed = median(df);
    console.log('');
    if (lastLimits) {
      console.log(
        `per-move timeline of the last revacuate ${LIMITS.join(' ')} (${lastLimits.id}; from ops show, relative to the operation's creation):`,
      );
      for (const l of timeline(lastLimits)) console.log(l);
    }
    if (lastDefaults) {
      console.log(`per-move timeline of the last revacuate with default limits (${lastDefaults.id}):`);
      for (const l of timeline(lastDefaults)) console.log(l);
    }
    const stepMs = (op?: Op): number => median((op?.steps ?? []).map((s) => s.finishedMs - s.startedMs));
    console.log(
      `one move inside revacuate (limits): median ${(stepMs(lastLimits) / 1000).toFixed(2)} s; with defaults ${(stepMs(lastDefaults) / 1000).toFixed(2)} s; one sequential rmigrate (whole CLI): ${(median(eachSeq) / 1000).toFixed(2)} s`,
    );
    console.log(
      `revacuate ${LIMITS.join(' ')}: median ${(rMed / 1000).toFixed(2)} s (${rv.map((x) => (x / 1000).toFixed(2)).join(', ')}), at most ${conc} moves at once`,
    );
    console.log(
      `revacuate (defaults):               median ${(dMed / 1000).toFixed(2)} s (${df.map((x) => (x / 1000).toFixed(2)).join(', ')}), at most ${concDefaults} moves at once`,
    );
    console.log(
      `sequential 8 x drover rmigrate:     median ${(sMed / 1000).toFixed(2)} s (${sq.map((x) => (x / 1000).toFixed(2)).join(', ')})`,
    );
    console.log(
      `ratio revacuate/sequential: ${(rMed / sMed).toFixed(2)} (target <= 0.5, goal 0.33); defaults: ${(dMed / sMed).toFixed(2)}`,
    );
    console.log(
      JSON.stringify({
        bench: 'evacuate',
        ratio: r2(rMed / sMed),
        revacuate_s: r3(rMed / 1000),
        sequential_s: r3(sMed / 1000),
        defaults_ratio: r2(dMed / sMed),
        defaults_s: r3(dMed / 1000),
        guests: names.length,
        runs,
        limits: LIMITS.join(' '),
        max_concurrent: conc,
        max_concurrent_defaults: concDefaults,
        sequential_method: 'drover rmigrate x8, dest alternating',
        move_s: r3(stepMs(lastLimits) / 1000),
        move_defaults_s: r3(stepMs(lastDefaults) / 1000),
        seq_move_s: r3(median(eachSeq) / 1000),
      }),
    );
  } finally {
    await c?.stop().catch(() => undefined);
    await resetHosts(lab).catch(() => undefined);
    await release();
  }
}
