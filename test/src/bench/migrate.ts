/**
 * `npm run bench -- migrate [--runs N] [--tls on|off]`: one live migration of a counter guest on
 * shared storage between two lab hosts, as the admin sees it, against `virsh migrate` doing the
 * same migration. (`--storage nfs|iscsi`: see migrate-storage.ts.)
 *
 *   drover: `drover rmigrate <g> <dest>`: the CLI process's wall time, start-up included.
 *   virsh:  `virsh -c <source> migrate <options> <g> <dest uri>` against the source host's libvirtd,
 *           also the whole process's wall time. Its options are not written here: they are derived
 *           from what drover's source agent passed to virDomainMigrateToURI3 (its 'migration started'
 *           log line: flags and parameters) and its destination URI is the one drover used, so both
 *           sides run the same migration (live, p2p, persistent on the destination, undefined on
 *           the source, unsafe for declared-shared storage, abort-on-error, auto-converge with
 *           drover's initial/increment, TLS when on). A flag or parameter with no virsh option
 *           stops the bench.
 *   --tls:  on: a TLS lab (libvirt over TLS on 16514, QEMU's migration stream over TLS), drover's
 *           agents announce qemu+tls:// and site.migrationtls=1; off: a plain lab, qemu+tcp://.
 *           Default off for now; it becomes on once migrations use TLS by default (issue 14).
 *
 * Methods alternate (A B, B A, ...) and so do the directions (each method moves the guest to the
 * other host), N runs of each (default 5) after one unmeasured warm-up of each. Each run's pair and
 * its ratio are printed; `ratio` is the median of the pairwise ratios (drover/virsh), so a machine
 * whose speed drifts over the run shifts both sides of each pair alike.
 * Where drover's time goes comes from the operation's step transitions in the server log (op and
 * step ids on every line) and the source agent's 'migration started/finished' lines.
 *
 * Uses the lab named by DROVER_LAB_ID (its first two hosts; a TLS lab for --tls on), or starts a
 * 2-host lab of its own. Last line: {"bench":"migrate","ratio":..,"tls":..,"drover_flags":[..],
 * "virsh_flags":[..],"pairs":[[drover_s,virsh_s],..],...}.
 */
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { DomainMigrateFlags, type MigrateParams } from '@drover/libvirt';
import { assertCountRises, readBoots, readCounts, resetHosts, virsh, type Lab, type LabHost } from '../lab';
import { startLabCluster } from '../support/labcluster.js';
import type { TestCluster } from '../support/cluster.js';
import { waitFor } from '../support/procs.js';
import { addCounterGuests, declareSharedStorage, whereRunning } from '../support/labguests.js';
import { acquireLab, logLines, median, opIdOf, r2, r3, timed, timedCli, type LogLine, type Timed } from './util.js';

const GUEST = 'bmig1';

/** virsh migrate's option for each migration flag drover may pass (virsh(1), "migrate"). */
const VIRSH_FLAG: Partial<Record<keyof typeof DomainMigrateFlags, string>> = {
  LIVE: '--live',
  PEER2PEER: '--p2p',
  TUNNELLED: '--tunnelled',
  PERSIST_DEST: '--persistent',
  UNDEFINE_SOURCE: '--undefinesource',
  PAUSED: '--suspend',
  NON_SHARED_DISK: '--copy-storage-all',
  NON_SHARED_INC: '--copy-storage-inc',
  CHANGE_PROTECTION: '--change-protection',
  UNSAFE: '--unsafe',
  OFFLINE: '--offline',
  COMPRESSED: '--compressed',
  ABORT_ON_ERROR: '--abort-on-error',
  AUTO_CONVERGE: '--auto-converge',
  POSTCOPY: '--postcopy',
  TLS: '--tls',
};
/** virsh migrate's option for each migration parameter drover may pass. */
const VIRSH_PARAM: Partial<Record<keyof MigrateParams, string>> = {
  migrateUri: '--migrateuri',
  bandwidth: '--bandwidth',
  autoConvergeInitial: '--auto-converge-initial',
  autoConvergeIncrement: '--auto-converge-increment',
};

/** What drover's source agent passed to migrateToURI3, from its 'migration started' line. */
interface DroverCall {
  flags: number;
  params: Record<string, unknown>;
  uri: string;
}

/** Names of the flags set in `bits`, in libvirt's order. */
function flagNames(bits: number): string[] {
  const names = Object.entries(DomainMigrateFlags)
    .filter(([, v]) => typeof v === 'number' && (bits & (v as number)) !== 0)
    .map(([k]) => k);
  const known = names.reduce((acc, k) => acc | (DomainMigrateFlags[k as keyof typeof DomainMigrateFlags] as number), 0);
  if (bits & ~known) names.push(`0x${(bits & ~known).toString(16)}`);
  return names;
}

/** virsh migrate's options for the same call, or an error naming what virsh cannot express. */
function virshOptions(call: DroverCall): string[] {
  const out: string[] = [];
  for (const name of flagNames(call.flags)) {
    const opt = VIRSH_FLAG[name as keyof typeof DomainMigrateFlags];
    if (!opt) throw new Error(`bench migrate: drover passes migration flag ${name}, which has no virsh option here; add it to VIRSH_FLAG`);
    out.push(opt);
  }
  for (const [k, v] of Object.entries(call.params)) {
    const opt = VIRSH_PARAM[k as keyof MigrateParams];
    if (!opt)
      throw new Error(`bench migrate: drover passes migration parameter ${k}, which has no virsh option here; add it to VIRSH_PARAM`);
    out.push(opt, String(v));
  }
  return out;
}

/** The flags and parameters a virsh argv asks for, named as drover_flags are (read back from the argv). */
function virshFlagNames(argv: string[]): string[] {
  const byOpt = new Map(Object.entries(VIRSH_FLAG).map(([k, v]) => [v, k]));
  const byParam = new Map(Object.entries(VIRSH_PARAM).map(([k, v]) => [v, k]));
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (byOpt.has(a)) out.push(byOpt.get(a)!);
    else if (byParam.has(a)) out.push(`${byParam.get(a)!}=${argv[++i]}`);
  }
  return out;
}

const describeCall = (call: DroverCall): string[] => [
  ...flagNames(call.flags),
  ...Object.entries(call.params).map(([k, v]) => `${k}=${String(v)}`),
];

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

/** drover's migrateToURI3 call for the operation `run` printed, from the source agent's log. */
function droverCallOf(c: TestCluster, run: Timed, source: string): DroverCall {
  const id = opIdOf(run.stdout);
  const line = logLines(join(c.dir, `agent-${source}.log`), run.startMs - 1000).find((l) => l.op === id && l.msg === 'migration started');
  if (!line) throw new Error(`bench migrate: no 'migration started' line for ${id ?? 'the operation'} in agent-${source}.log`);
  return { flags: Number(line.flags), params: (line.params ?? {}) as Record<string, unknown>, uri: String(line.uri) };
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
    // --tls: default off until migrations use TLS by default (issue 14); then it becomes on.
    options: {
      runs: { type: 'string', default: '5' },
      pause: { type: 'string', default: '1500' },
      tls: { type: 'string', default: 'off' },
    },
    strict: true,
  });
  const runs = Math.max(1, Math.min(50, Number(values.runs)));
  const pauseMs = Number(values.pause);
  if (values.tls !== 'on' && values.tls !== 'off') throw new Error(`bench migrate: --tls '${values.tls}': expected on or off`);
  const tls = values.tls === 'on';
  const { lab, release } = await acquireLab(2, 'migrate', { tls });
  const [a, b] = lab.hosts as [LabHost, LabHost];
  const hostOf = new Map(lab.hosts.map((h) => [h.name, h]));
  let c: TestCluster | undefined;
  try {
    await resetHosts(lab);
    c = await startLabCluster(lab, {
      hostNames: [a.name, b.name],
      // With TLS the agents announce libvirt's TLS listener (as production hosts do), not the lab's plain TCP one.
      ...(tls ? { agentEnv: (host: string) => ({ DROVER_AGENT_MIGRATION_URI: `qemu+tls://${hostOf.get(host)!.ip}/system` }) } : {}),
    });
    const cl = c;
    await c.waitHostsUp(2);
    await declareSharedStorage(c, lab);
    const site = await c.cli(['chtab', 'key=migrationtls', `site.value=${tls ? 1 : 0}`]);
    if (site.code !== 0) throw new Error(`chtab site.migrationtls failed: ${site.stderr}`);
    await addCounterGuests(c, lab, [GUEST], a.name);
    let at = a.name;
    const other = (h: string): string => (h === a.name ? b.name : a.name);

    let droverCall: DroverCall | undefined;
    const droverMove = async (): Promise<{ run: Timed; phases?: Phases; from: string; to: string }> => {
      const from = at;
      const to = other(at);
      const r = await timedCli(cl.bundles.admin, ['rmigrate', GUEST, to]);
      if (r.code !== 0 || !new RegExp(`${GUEST}: done ${from} -> ${to}`).test(r.stdout))
        throw new Error(`drover rmigrate failed (${r.code}): ${r.stdout}${r.stderr}`);
      at = to;
      const phases = phasesOf(cl, r, from);
      // Every drover move makes the same call (but for the destination): the virsh side copies it.
      const call = droverCallOf(cl, r, from);
      const same = (x: DroverCall, y: DroverCall): boolean => x.flags === y.flags && JSON.stringify(x.params) === JSON.stringify(y.params);
      if (droverCall && !same(droverCall, call))
        throw new Error(
          `bench migrate: drover's call changed between runs: ${describeCall(droverCall).join(' ')} / ${describeCall(call).join(' ')}`,
        );
      droverCall = call;
      uriOf.set(to, call.uri);
      await settle(cl, lab, to);
      return { run: r, ...(phases ? { phases } : {}), from, to };
    };
    /** The destination URI drover used for each host (the same URI form for virsh). */
    const uriOf = new Map<string, string>();
    let virshArgv: string[] = [];
    const virshMove = async (): Promise<{ run: Timed; from: string; to: string }> => {
      const from = at;
      const to = other(at);
      const src = hostOf.get(from)!;
      if (!droverCall) throw new Error('bench migrate: virsh runs after a drover move (its options come from it)');
      const destUri = uriOf.get(to) ?? droverCall.uri.replace(`//${src.ip}/`, `//${hostOf.get(to)!.ip}/`);
      virshArgv = ['migrate', ...virshOptions(droverCall), GUEST, destUri];
      const r = await timed('virsh', ['-c', src.socketUri, ...virshArgv]);
      if (r.code !== 0) throw new Error(`virsh migrate failed (${r.code}): ${r.stderr}`);
      at = to;
      const ch = await cl.cli(['chdef', GUEST, `vm.host=${to}`]);
      if (ch.code !== 0) throw new Error(`chdef failed: ${ch.stderr}`);
      await settle(cl, lab, to);
      return { run: r, from, to };
    };
    const pause = (): Promise<void> => new Promise((res) => setTimeout(res, pauseMs));

    console.log(`warm-up: one move of each (not counted), TLS ${tls ? 'on' : 'off'}`);
    await pause();
    await droverMove();
    await pause();
    await virshMove();
    // Both directions' URIs are known after the warm-up (one move each way).
    const droverFlags = describeCall(droverCall!);
    console.log(`drover's call (source agent's log): ${droverFlags.join(' ')}; destination ${droverCall!.uri}`);
    console.log(`virsh: virsh -c <source> ${virshArgv.join(' ')}`);

    const dr: number[] = [];
    const vr: number[] = [];
    const pairs: number[] = [];
    const pairSeconds: [number, number][] = [];
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
      pairSeconds.push([d / 1000, v / 1000]);
      console.log(
        `run ${i + 1} pair: drover ${(d / 1000).toFixed(2)} s, virsh ${(v / 1000).toFixed(2)} s, drover/virsh ${(d / v).toFixed(2)}`,
      );
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
    const ratio = median(pairs);
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
      `ratio drover/virsh: ${ratio.toFixed(2)} (median of the ${pairs.length} pairwise ratios; ratio of the medians ${(dMed / vMed).toFixed(2)}); target <= 1.25, goal 1.10`,
    );
    console.log(`same migration on both sides: ${virshFlagNames(virshArgv).join(' ')}; TLS ${tls ? 'on' : 'off'}`);
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
        ratio_of_medians: r2(dMed / vMed),
        drover_s: r3(dMed / 1000),
        virsh_s: r3(vMed / 1000),
        runs,
        tls,
        drover_flags: droverFlags,
        virsh_flags: virshFlagNames(virshArgv),
        dest_uri_form: droverCall!.uri.replace(/\/\/[^/]+\//, '//<host>/'),
        pairs: pairSeconds.map(([d, v]) => [r3(d), r3(v)]),
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
