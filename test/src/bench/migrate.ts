/**
 * `npm run bench -- migrate [--runs N]`: one live migration of a counter guest on shared storage
 * between two lab hosts, as the admin sees it. (`--storage nfs|iscsi`: see migrate-storage.ts.)
 *
 *   drover: `drover rmigrate <g> <dest>`: the CLI process's wall time, start-up included.
 *   virsh:  `virsh -c <source> migrate --live --p2p --unsafe --persistent --undefinesource <g> <dest uri>`
 *           against the source host's libvirtd, also the whole process's wall time.
 *
 * Methods alternate (A B, B A, ...) and so do the directions (each method moves the guest to the
 * other host), N runs of each after one unmeasured warm-up of each; figures are medians.
 * Where drover's time goes comes from the operation's step transitions in the server log (op and
 * step ids on every line) and the source agent's 'migration started/finished' lines.
 *
 * Uses the lab named by DROVER_LAB_ID (its first two hosts), or starts a 2-host lab of its own.
 * Last line: {"bench":"migrate","ratio":..,"drover_s":..,"virsh_s":..,...}.
 */
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { assertCountRises, readBoots, readCounts, resetHosts, virsh, type Lab, type LabHost } from '../lab';
import { startLabCluster } from '../support/labcluster.js';
import type { TestCluster } from '../support/cluster.js';
import { waitFor } from '../support/procs.js';
import { addCounterGuests, declareSharedStorage, whereRunning } from '../support/labguests.js';
import { acquireLab, logLines, median, opIdOf, r2, r3, timed, timedCli, type LogLine, type Timed } from './util.js';

const GUEST = 'bmig1';

/** Phases of one drover rmigrate, in ms, from the CLI's spawn to its exit. */
interface Phases {
  cli_and_plan: number; // spawn -> 'operation started' (CLI start-up, TLS connect, Migrate RPC, plan, journal)
  prepare: number; // 'preparing' -> first 'migrating' (CheckReachable from source, GuestCpu + CompareCpu, PrepareMigration on dest)
  start_rpc: number; // first 'migrating' -> agent 'migration started' (StartMigration RPC, lookup, journal)
  libvirt: number; // agent 'migration started' -> 'migration finished' (virDomainMigrateToURI3)
  outcome: number; // agent 'migration finished' -> server 'verifying' (job stats, JetStream outcome)
  verify: number; // 'verifying' -> 'done' (QueryMigration on both hosts)
  tail: number; // 'done' -> CLI exit (watch stream final, GetOperation, print, exit)
}

function phasesOf(c: TestCluster, run: Timed, source: string): Phases | undefined {
  const id = opIdOf(run.stdout);
  if (!id) return undefined;
  const srv = logLines(c.server!.logFile, run.startMs - 1000).filter((l) => l.op === id);
  const agent = logLines(join(c.dir, `agent-${source}.log`), run.startMs - 1000).filter((l) => l.op === id);
  const at = (ls: LogLine[], pred: (l: LogLine) => boolean, nth = 0): number => ls.filter(pred)[nth]?.t ?? NaN;
  const created = at(srv, (l) => l.msg === 'operation started');
  const preparing = at(srv, (l) => l.state === 'preparing');
  const migrating = at(srv, (l) => l.state === 'migrating');
  const verifying = at(srv, (l) => l.state === 'verifying');
  const done = at(srv, (l) => l.state === 'done');
  const aStart = at(agent, (l) => l.msg === 'migration started');
  const aEndLine = agent.find((l) => l.msg === 'migration finished');
  const aEnd = aEndLine?.t ?? NaN;
  return {
    cli_and_plan: created - run.startMs,
    prepare: migrating - preparing + (preparing - created), // the step starts in the same tick as the plan
    start_rpc: aStart - migrating,
    libvirt: typeof aEndLine?.ms === 'number' ? (aEndLine.ms as number) : aEnd - aStart,
    outcome: verifying - aEnd,
    verify: done - verifying,
    tail: run.endMs - done,
  };
}

async function settle(c: TestCluster, lab: Lab, dest: string): Promise<void> {
  // drover's view must agree with where the guest runs before the next move (virsh moves it behind drover's back).
  await waitFor(
    `${GUEST} reported on ${dest}`,
    async () => {
      const s = await c.cliJson<{ message: string; data?: { host?: string } }[]>(['rpower', GUEST, 'stat']);
      return s[0]?.message === 'on';
    },
    30_000,
    200,
  );
  const where = await whereRunning(lab, GUEST, virsh);
  if (where.length !== 1 || where[0] !== dest) throw new Error(`${GUEST} runs on ${where.join(',') || 'no host'}, expected ${dest}`);
}

export async function run(args: string[]): Promise<void> {
  // --storage nfs|iscsi: shared storage against copy-storage (migrate-storage.ts).
  if (args.some((a) => a === '--storage' || a.startsWith('--storage='))) return (await import('./migrate-storage.js')).run(args);
  const { values } = parseArgs({
    args,
    options: { runs: { type: 'string', default: '5' }, pause: { type: 'string', default: '1500' } },
    strict: true,
  });
  const runs = Math.max(1, Math.min(50, Number(values.runs)));
  const pauseMs = Number(values.pause);
  const { lab, release } = await acquireLab(2, 'migrate');
  const [a, b] = lab.hosts as [LabHost, LabHost];
  const hostOf = new Map(lab.hosts.map((h) => [h.name, h]));
  let c: TestCluster | undefined;
  try {
    await resetHosts(lab);
    c = await startLabCluster(lab, { hostNames: [a.name, b.name] });
    const cl = c;
    await c.waitHostsUp(2);
    await declareSharedStorage(c, lab);
    await addCounterGuests(c, lab, [GUEST], a.name);
    let at = a.name;
    const other = (h: string): string => (h === a.name ? b.name : a.name);

    const droverMove = async (): Promise<{ run: Timed; phases?: Phases; from: string; to: string }> => {
      const from = at;
      const to = other(at);
      const r = await timedCli(cl.bundles.admin, ['rmigrate', GUEST, to]);
      if (r.code !== 0 || !new RegExp(`${GUEST}: done ${from} -> ${to}`).test(r.stdout))
        throw new Error(`drover rmigrate failed (${r.code}): ${r.stdout}${r.stderr}`);
      at = to;
      const phases = phasesOf(cl, r, from);
      await settle(cl, lab, to);
      return { run: r, ...(phases ? { phases } : {}), from, to };
    };
    const virshMove = async (): Promise<{ run: Timed; from: string; to: string }> => {
      const from = at;
      const to = other(at);
      const src = hostOf.get(from)!;
      const r = await timed('virsh', [
        '-c',
        src.socketUri,
        'migrate',
        '--live',
        '--p2p',
        '--unsafe',
        '--persistent',
        '--undefinesource',
        GUEST,
        hostOf.get(to)!.uri,
      ]);
      if (r.code !== 0) throw new Error(`virsh migrate failed (${r.code}): ${r.stderr}`);
      at = to;
      const ch = await cl.cli(['chdef', GUEST, `vm.host=${to}`]);
      if (ch.code !== 0) throw new Error(`chdef failed: ${ch.stderr}`);
      await settle(cl, lab, to);
      return { run: r, from, to };
    };
    const pause = (): Promise<void> => new Promise((res) => setTimeout(res, pauseMs));

    console.log(`warm-up: one move of each (not counted)`);
    await pause();
    await droverMove();
    await pause();
    await virshMove();

    const dr: number[] = [];
    const vr: number[] = [];
    const pairs: number[] = [];
    const phases: Phases[] = [];
    const cliStart: number[] = [];
    for (let i = 0; i < runs; i++) {
      const order = i % 2 === 0 ? (['drover', 'virsh'] as const) : (['virsh', 'drover'] as const);
      let d = 0;
      let v = 0;
      for (const m of order) {
        await pause();
        if (m === 'drover') {
          const x = await droverMove();
          d = x.run.ms;
          dr.push(d);
          if (x.phases) phases.push(x.phases);
          const p = x.phases;
          console.log(
            `run ${i + 1} drover ${x.from}->${x.to}: ${(d / 1000).toFixed(2)} s${p ? ` (cli+plan ${p.cli_and_plan} ms, prepare ${p.prepare}, start ${p.start_rpc}, libvirt ${p.libvirt}, outcome ${p.outcome}, verify ${p.verify}, tail ${p.tail})` : ''}`,
          );
        } else {
          const x = await virshMove();
          v = x.run.ms;
          vr.push(v);
          console.log(`run ${i + 1} virsh  ${x.from}->${x.to}: ${(v / 1000).toFixed(2)} s`);
        }
      }
      pairs.push(d / v);
      // CLI start-up alone: the same binary, all commands loaded, no connection.
      cliStart.push((await timedCli(cl.bundles.admin, ['rmigrate', '--help'])).ms);
    }
    const counts = readCounts(lab, GUEST);
    assertCountRises(counts, `${GUEST} across ${2 * runs + 2} migrations`);
    const boots = readBoots(lab, GUEST);
    console.log(
      `${GUEST}: counted up to ${counts[counts.length - 1]} across ${2 * runs + 2} migrations, booted ${boots} time(s), never restarted`,
    );

    const med = (k: keyof Phases): number => median(phases.map((p) => p[k]));
    const dMed = median(dr);
    const vMed = median(vr);
    const ratio = dMed / vMed;
    const phaseMed = {
      cli_and_plan: med('cli_and_plan'),
      prepare: med('prepare'),
      start_rpc: med('start_rpc'),
      libvirt: med('libvirt'),
      outcome: med('outcome'),
      verify: med('verify'),
      tail: med('tail'),
    };
    console.log('');
    console.log(
      `drover rmigrate: median ${(dMed / 1000).toFixed(2)} s over ${dr.length} runs (min ${(Math.min(...dr) / 1000).toFixed(2)}, max ${(Math.max(...dr) / 1000).toFixed(2)})`,
    );
    console.log(
      `virsh migrate:   median ${(vMed / 1000).toFixed(2)} s over ${vr.length} runs (min ${(Math.min(...vr) / 1000).toFixed(2)}, max ${(Math.max(...vr) / 1000).toFixed(2)})`,
    );
    console.log(
      `ratio drover/virsh: ${ratio.toFixed(2)} (median of pairwise ratios ${median(pairs).toFixed(2)}); target <= 1.25, goal 1.10`,
    );
    console.log(`where drover's time goes (medians, ms):`);
    console.log(`  CLI start-up alone (rmigrate --help):         ${Math.round(median(cliStart))}`);
    console.log(
      `  spawn -> operation planned+journaled:         ${phaseMed.cli_and_plan}  (CLI start-up, mTLS connect, Migrate RPC, snapshot, plan)`,
    );
    console.log(`  prepare (reach+CPU checks, PrepareMigration): ${phaseMed.prepare}`);
    console.log(`  StartMigration RPC -> libvirt call started:   ${phaseMed.start_rpc}`);
    console.log(`  libvirt migration (virDomainMigrateToURI3):   ${phaseMed.libvirt}`);
    console.log(`  job end -> outcome at server (JetStream):     ${phaseMed.outcome}`);
    console.log(`  verify (QueryMigration on both hosts):        ${phaseMed.verify}`);
    console.log(`  done -> CLI exit (watch final, GetOperation): ${phaseMed.tail}`);
    const overhead = dMed - phaseMed.libvirt;
    console.log(
      `  drover overhead around the libvirt call:       ${Math.round(overhead)} ms; virsh's own around the same call: ${Math.round(vMed - phaseMed.libvirt)} ms`,
    );
    console.log(
      JSON.stringify({
        bench: 'migrate',
        ratio: r2(ratio),
        pair_ratio: r2(median(pairs)),
        drover_s: r3(dMed / 1000),
        virsh_s: r3(vMed / 1000),
        runs,
        cli_start_s: r3(median(cliStart) / 1000),
        libvirt_s: r3(phaseMed.libvirt / 1000),
        phases_ms: Object.fromEntries(Object.entries(phaseMed).map(([k, v]) => [k, Math.round(v)])),
      }),
    );
  } finally {
    await c?.stop().catch(() => undefined);
    await resetHosts(lab).catch(() => undefined);
    await release();
  }
}
