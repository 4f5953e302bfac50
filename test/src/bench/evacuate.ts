/**
 * `npm run bench -- evacuate [--runs 5] [--guests 8]`: emptying a host of N counter guests on shared
 * storage (default 8), on a 3-host lab with a drover cluster, against two baselines.
 *
 *   drover:        `drover revacuate node01` at the default limits (site.maxout/maxin/maxtotal, or the
 *                  scheduler's own: 2 out of a host, 2 into a host, 8 in all); one planned, parallel
 *                  operation; the CLI's wall time, start-up included.
 *   one at a time: `drover revacuate node01 --max-out 1 --max-total 1`: the same operation, its moves
 *                  one after another. drover ÷ this is `ratio`: what the schedule's parallelism gains,
 *                  everything else being equal.
 *   loop:          xCAT's way: one `drover rmigrate <g> <dest>` per guest in a shell-like loop, the
 *                  destination alternating node02/node03 (each a full CLI process; the loop's wall
 *                  time). drover ÷ this is `ratio_vs_loop`: what an admin gains over the old habit.
 *
 * The three alternate in rotating order, 5 runs each by default; guests go back to node01 between
 * runs (maintenance off, then one rmigrate of all of them to node01; not timed). Figures are
 * medians; per-move timelines come from `drover ops show <id> -o json`.
 * Uses the lab named by DROVER_LAB_ID (3 hosts), or starts a 3-host lab of its own.
 * Last line: {"bench":"evacuate","ratio":..,"ratio_vs_loop":..,"baseline":"drover revacuate node01
 * --max-out 1 --max-total 1","revacuate_s":..,"one_at_a_time_s":..,"loop_s":..,"guests":N,...}.
 */
import { parseArgs } from 'node:util';
import { assertCountRises, readCounts, resetHosts, virsh, type Lab, type LabHost } from '../lab';
import { startLabCluster } from '../support/labcluster.js';
import type { TestCluster } from '../support/cluster.js';
import { waitFor } from '../support/procs.js';
import { addCounterGuests, declareSharedStorage } from '../support/labguests.js';
import { acquireLab, median, opIdOf, r2, r3, timedCli, type Op } from './util.js';

const ONE_AT_A_TIME = ['--max-out', '1', '--max-total', '1'];
type Method = 'defaults' | 'one' | 'loop';

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

const secs = (xs: number[]): string => xs.map((x) => (x / 1000).toFixed(2)).join(', ');

export async function run(args: string[]): Promise<void> {
  const { values } = parseArgs({
    args,
    options: {
      runs: { type: 'string', default: '5' },
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
  const baseline = `drover revacuate ${h1.name} ${ONE_AT_A_TIME.join(' ')}`;
  const label: Record<Method, string> = {
    defaults: `revacuate ${h1.name} (default limits)`,
    one: `revacuate ${h1.name} ${ONE_AT_A_TIME.join(' ')}`,
    loop: `loop of ${nGuests} x rmigrate`,
  };
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
    const loop = async (): Promise<{ ms: number; each: number[] }> => {
      const each: number[] = [];
      const t0 = process.hrtime.bigint();
      for (const [i, n] of names.entries()) {
        const dest = i % 2 === 0 ? h2.name : h3.name;
        const r = await timedCli(cl.bundles.admin, ['rmigrate', n, dest]);
        if (r.code !== 0) throw new Error(`rmigrate ${n} ${dest} failed (${r.code}): ${r.stdout}${r.stderr}`);
        each.push(r.ms);
      }
      const ms = Number(process.hrtime.bigint() - t0) / 1e6;
      await checkEvacuated('after the loop of rmigrate');
      return { ms, each };
    };

    const times: Record<Method, number[]> = { defaults: [], one: [], loop: [] };
    const eachLoop: number[] = [];
    const last: Partial<Record<'defaults' | 'one', Op>> = {};
    const conc: Record<'defaults' | 'one', number> = { defaults: 0, one: 0 };
    const orders: Method[][] = [
      ['defaults', 'one', 'loop'],
      ['one', 'loop', 'defaults'],
      ['loop', 'defaults', 'one'],
    ];
    for (let i = 0; i < runs; i++) {
      for (const m of orders[i % orders.length]!) {
        await pause();
        if (m === 'loop') {
          const x = await loop();
          times.loop.push(x.ms);
          eachLoop.push(...x.each);
          console.log(`run ${i + 1} ${label.loop}: ${(x.ms / 1000).toFixed(2)} s (each ${secs(x.each)})`);
        } else {
          const x = await revacuate(m === 'one' ? ONE_AT_A_TIME : []);
          times[m].push(x.ms);
          last[m] = x.op;
          const cc = maxConcurrent(x.op);
          conc[m] = Math.max(conc[m], cc);
          console.log(
            `run ${i + 1} ${label[m]}: ${(x.ms / 1000).toFixed(2)} s, ${x.op.steps.length} moves, at most ${cc} at once, ${x.op.summary}`,
          );
        }
        await goHome();
      }
    }
    for (const n of names) assertCountRises(readCounts(lab, n), `${n} across every move`);
    console.log(`all ${names.length} guests kept counting across ${runs * 6} evacuations/returns each; none restarted`);

    const med = { defaults: median(times.defaults), one: median(times.one), loop: median(times.loop) };
    console.log('');
    for (const m of ['defaults', 'one'] as const) {
      const op = last[m];
      if (!op) continue;
      console.log(`per-move timeline of the last ${label[m]} (${op.id}; from ops show, relative to the operation's creation):`);
      for (const l of timeline(op)) console.log(l);
    }
    const stepMs = (op?: Op): number => median((op?.steps ?? []).map((s) => s.finishedMs - s.startedMs));
    console.log(
      `one move: inside revacuate at default limits ${(stepMs(last.defaults) / 1000).toFixed(2)} s, one at a time ${(stepMs(last.one) / 1000).toFixed(2)} s; one rmigrate of the loop (whole CLI) ${(median(eachLoop) / 1000).toFixed(2)} s`,
    );
    console.log(
      `${label.defaults.padEnd(44)} median ${(med.defaults / 1000).toFixed(2)} s (${secs(times.defaults)}), at most ${conc.defaults} moves at once`,
    );
    console.log(`${label.one.padEnd(44)} median ${(med.one / 1000).toFixed(2)} s (${secs(times.one)}), at most ${conc.one} at once`);
    console.log(`${label.loop.padEnd(44)} median ${(med.loop / 1000).toFixed(2)} s (${secs(times.loop)})`);
    console.log(`ratio (default limits ÷ one at a time): ${(med.defaults / med.one).toFixed(2)} (target <= 0.5, goal 0.33)`);
    console.log(`ratio_vs_loop (default limits ÷ ${label.loop}): ${(med.defaults / med.loop).toFixed(2)}`);
    console.log(
      JSON.stringify({
        bench: 'evacuate',
        ratio: r2(med.defaults / med.one),
        ratio_vs_loop: r2(med.defaults / med.loop),
        baseline,
        baseline_loop: `for g in <${nGuests} guests>; do drover rmigrate $g <${h2.name}|${h3.name}>; done`,
        revacuate_s: r3(med.defaults / 1000),
        one_at_a_time_s: r3(med.one / 1000),
        loop_s: r3(med.loop / 1000),
        guests: names.length,
        runs,
        max_concurrent: conc.defaults,
        move_s: r3(stepMs(last.defaults) / 1000),
        move_one_at_a_time_s: r3(stepMs(last.one) / 1000),
        loop_move_s: r3(median(eachLoop) / 1000),
      }),
    );
  } finally {
    await c?.stop().catch(() => undefined);
    await resetHosts(lab).catch(() => undefined);
    await release();
  }
}
