/**
 * The step runner: the RPC sequence of one move. Checks (the source reaches the destination's
 * libvirt, the destination can give the guest its CPU), prepare on the destination, start on the
 * source, the outcome (JetStream, or asked for when it is late), verification of where the guest
 * runs, and rollback when it did not move. A step whose fate is unknown is settled from both
 * hosts' answers (machine.reconcile), never by starting a second copy of the guest.
 */
import {
  DroverError,
  type FailureReason__Output,
  type MigrationOutcome__Output,
  type QueryMigrationResponse__Output,
  type Logger,
} from '@drover/contract';
import * as grpc from '@grpc/grpc-js';
import { cpuVerdict, type CpuVerdict } from './cpucheck.js';
import { isFinal, reconcile, rollbackReason, type HostFacts } from './machine.js';
import type { Agents, Clock, Cluster } from './deps.js';
import type { OpRun, StepRow, Steps } from './journal.js';

export const fail = (code: string, message: string, node?: string): DroverError =>
  new DroverError(code, message, { status: grpc.status.FAILED_PRECONDITION, ...(node ? { node } : {}) });

/** How often a step waiting for its outcome asks the source whether the job ended (an outcome may be missed). */
export const OUTCOME_POLL_MS = 5000;

export class StepRunner {
  constructor(private readonly d: { agents: Agents; cluster: Cluster; clock: Clock; steps: Steps; stopped: () => boolean }) {}

  /** Runs one move from `preparing` to a final state. */
  async run(run: OpRun, s: StepRow): Promise<void> {
    const { guest, source, dest } = s.move;
    const { agents, steps } = this.d;
    const log = run.log.child({ node: guest, host: source, dest, step: s.stepId });
    const copy = s.move.storage.mode === 'copy';
    // What a failure before the job starts is: a refused pre-check, or an agent refusing to prepare or start.
    let early: FailureReason__Output = 'FAILURE_REASON_PRECHECK_FAILED';
    try {
      // First the source must reach the destination's libvirt (the URI its heartbeat announces),
      // so a cut link fails here with that reason, before the destination is asked to prepare.
      const destView = this.d.cluster.host(dest);
      const announced = destView?.facts?.migrationUri ?? '';
      if (announced) await this.assertReachable(source, dest, announced, guest);
      const cpu = await this.cpuCheck(source, dest, guest);
      if (!cpu.ok) throw fail('CPU_INCOMPATIBLE', `check cpu-compare: ${cpu.message}`, guest);
      if (cpu.message) log.info({ cpu: cpu.message }, 'cpu check');
      early = 'FAILURE_REASON_NOT_STARTED';
      // preparing: the destination makes pools, directories and checks bridges.
      const spec = await this.d.cluster.guestSpec(guest, destView);
      const prep = await agents.call(
        dest,
        'PrepareMigration',
        { operationId: run.id, stepId: s.stepId, spec, copyStorage: copy },
        { deadlineMs: 60_000 },
      );
      s.destUri = prep.libvirtUri;
      early = 'FAILURE_REASON_PRECHECK_FAILED';
      if (prep.libvirtUri !== announced) await this.assertReachable(source, dest, prep.libvirtUri, guest);
      early = 'FAILURE_REASON_NOT_STARTED';
      if (run.cancelling) {
        await steps.transition(
          run,
          s,
          'cancelled',
          'operation cancelled before the migration started',
          'FAILURE_REASON_CANCELLED_BY_REQUEST',
        );
        return;
      }
      // migrating: the source agent starts the p2p live migration and returns at once.
      await steps.transition(run, s, 'migrating');
      const outcome = new Promise<MigrationOutcome__Output>((res) => (s.outcome = res));
      const o = run.options;
      const started = await agents.call(
        source,
        'StartMigration',
        {
          operationId: run.id,
          stepId: s.stepId,
          guest,
          dest,
          destUri: prep.libvirtUri,
          migrateUri: prep.migrateUri,
          options: {
            bandwidthMibps: o.bandwidthMibps,
            maxDowntimeMs: o.maxDowntimeMs,
            copyStorage: copy,
            unsafeShared: !copy,
            autoConverge: o.autoConverge,
            postcopy: false,
            timeoutS: o.timeoutS,
            stallS: o.stallS,
            tls: o.tls === true,
          },
        },
        { deadlineMs: 30_000 },
      );
      s.jobId = started.jobId;
      await steps.save(s);
      // A cancel that came while the job was being started may have reached the source before it.
      if (run.cancelling) await this.abort(run, s);
      const out = await this.awaitOutcome(run, s, outcome);
      await this.settle(run, s, out.state === 'JOB_STATE_COMPLETED', out.error, out.reason, log);
    } catch (e) {
      const msg = (e as Error).message;
      log.warn({ err: msg }, 'step failed');
      if (s.state === 'migrating') {
        // We may not know whether the job started: ask, and settle from what the hosts say.
        await this.reconcile(run, s).catch((err: Error) =>
          steps.transition(run, s, 'failed', `${msg}; then ${err.message}`, 'FAILURE_REASON_UNSETTLED'),
        );
      } else if (!isFinal(s.state)) {
        await steps.transition(run, s, 'failed', msg, early);
      }
    } finally {
      s.outcome = undefined;
    }
  }

  /** Whether `source` reaches `dest`'s libvirt at `uri` (a TCP connect made by the source agent). */
  async reachable(source: string, dest: string, uri: string): Promise<{ ok: boolean; message: string }> {
    const { hostname, port } = libvirtEndpoint(uri);
    const where = `${dest}'s libvirt (${hostname}:${port})`;
    const reach = await this.d.agents
      .call(source, 'CheckReachable', { address: hostname, port, timeoutMs: 3000 }, { deadlineMs: 10_000 })
      .catch((e: Error) => ({ reachable: false, error: `the source agent did not answer (${e.message})` }));
    return reach.reachable
      ? { ok: true, message: `${where} reached from ${source}` }
      : {
          ok: false,
          message: `${where} cannot be reached from ${source}: ${reach.error}; check the network between them and libvirtd's listener on ${dest}`,
        };
  }

  private async assertReachable(source: string, dest: string, uri: string, guest: string): Promise<void> {
    const r = await this.reachable(source, dest, uri);
    if (!r.ok) throw fail('UNREACHABLE', `check reachability: ${r.message}`, guest);
  }

  /**
   * Whether `dest`'s hypervisor can give `guest` the CPU it runs with on `source`: the source agent
   * reads it from the live domain, the destination's libvirt compares (GuestCpu, CompareCpu).
   * `message` is empty for a plain yes and says why when nothing could be compared.
   */
  async cpuCheck(source: string, dest: string, guest: string, deadlineMs = 10_000): Promise<CpuVerdict> {
    const g = await this.d.agents.call(source, 'GuestCpu', { guest }, { deadlineMs });
    const r = g.model
      ? await this.d.agents.call(dest, 'CompareCpu', { guest, hvType: g.hvType, model: g.model, features: g.features }, { deadlineMs })
      : undefined;
    return cpuVerdict({ guest, source, dest }, g, r);
  }

  /** Waits for the outcome from JetStream, asking the source now and then in case one was missed. */
  private async awaitOutcome(run: OpRun, s: StepRow, outcome: Promise<MigrationOutcome__Output>): Promise<MigrationOutcome__Output> {
    for (;;) {
      const r = await Promise.race([outcome, this.d.clock.sleep(OUTCOME_POLL_MS).then(() => undefined)]);
      if (r) return r;
      if (this.d.stopped()) throw new Error('server stopping');
      const q = await this.query(s.move.source, run, s, 10_000);
      if (q && (q.state === 'JOB_STATE_COMPLETED' || q.state === 'JOB_STATE_FAILED' || q.state === 'JOB_STATE_CANCELLED')) {
        return {
          operationId: run.id,
          stepId: s.stepId,
          guest: s.move.guest,
          source: s.move.source,
          dest: s.move.dest,
          jobId: q.jobId,
          state: q.state,
          error: q.error,
          reason: q.reason,
          libvirtCode: 0,
          runningOn: '',
          elapsedMs: 0,
          downtimeMs: 0,
          timeMs: this.d.clock.now(),
        };
      }
    }
  }

  /** Verifies where the guest runs and ends the step: done (vm.host moves) or failed/cancelled (guest on the source). */
  private async settle(
    run: OpRun,
    s: StepRow,
    completed: boolean,
    error: string,
    reason: FailureReason__Output,
    log: Logger,
  ): Promise<void> {
    const { guest, source, dest } = s.move;
    const { steps } = this.d;
    if (completed) {
      await steps.transition(run, s, 'verifying');
      const [d, src] = await Promise.all([this.query(dest, run, s), this.query(source, run, s)]);
      if (d?.runningHere && !src?.runningHere) {
        await steps.transition(run, s, 'done', '', undefined, true);
        log.info({ ms: s.finishedMs - s.startedMs }, `${guest}: now on ${dest}`);
        return;
      }
      s.final = true;
      await steps.transition(
        run,
        s,
        'failed',
        `verification: expected ${guest} running on ${dest} only, found ${describe(d)} on ${dest} and ${describe(src)} on ${source}`,
        'FAILURE_REASON_VERIFICATION_FAILED',
      );
      return;
    }
    await steps.transition(run, s, 'aborting', error);
    await this.ensureOnSource(run, s);
    const cancelled = run.cancelling || reason === 'FAILURE_REASON_CANCELLED_BY_REQUEST';
    await steps.transition(
      run,
      s,
      cancelled ? 'cancelled' : 'failed',
      error || 'migration failed',
      cancelled ? 'FAILURE_REASON_CANCELLED_BY_REQUEST' : reason,
    );
  }

  /** After a failed or aborted migration: the guest must run on the source (resumed if left paused). */
  private async ensureOnSource(run: OpRun, s: StepRow): Promise<void> {
    const src = await this.query(s.move.source, run, s);
    if (src?.guestHere?.state === 'POWER_STATE_PAUSED') {
      const dst = await this.query(s.move.dest, run, s);
      if (!dst?.runningHere && dst?.guestHere?.state !== 'POWER_STATE_PAUSED') {
        await this.resume(s);
      }
    }
  }

  /** Asks the source to abort the step's migration (cancel); a failed request is logged, the outcome tells the rest. */
  abort(run: OpRun, s: StepRow): Promise<unknown> {
    return this.d.agents
      .call(
        s.move.source,
        'AbortMigration',
        { operationId: run.id, stepId: s.stepId, guest: s.move.guest },
        { deadlineMs: 15_000, allowStale: true },
      )
      .catch((e: Error) => run.log.warn({ step: s.stepId, err: e.message }, 'abort request failed'));
  }

  private resume(s: StepRow): Promise<unknown> {
    return this.d.agents.call(s.move.source, 'Power', { guest: s.move.guest, action: 'POWER_ACTION_RESUME' }).catch(() => undefined);
  }

  private query(host: string, run: OpRun, s: StepRow, deadlineMs = 15_000): Promise<QueryMigrationResponse__Output | undefined> {
    return this.d.agents
      .call(host, 'QueryMigration', { operationId: run.id, stepId: s.stepId, guest: s.move.guest }, { deadlineMs, allowStale: true })
      .catch(() => undefined);
  }

  /** Settles a step whose fate we do not know, from both hosts' answers (machine.reconcile). */
  async reconcile(run: OpRun, s: StepRow): Promise<void> {
    const { steps } = this.d;
    let later = 0;
    let why = '';
    for (let i = 0; i < 120 && !this.d.stopped(); i++) {
      const [src, dst] = await Promise.all([this.query(s.move.source, run, s), this.query(s.move.dest, run, s)]);
      const hasJob = !!s.jobId || s.state === 'migrating' || s.state === 'verifying';
      const r = reconcile(s.state, hasJob, facts(src), facts(dst), later);
      why = r.why;
      run.log.info({ step: s.stepId, node: s.move.guest, action: r.action, why: r.why }, 'reconciling step');
      switch (r.action) {
        case 'finish':
          if (s.state === 'queued' || s.state === 'preparing') await steps.transition(run, s, 'preparing');
          if (s.state === 'preparing') await steps.transition(run, s, 'migrating');
          return this.settle(run, s, true, '', 'FAILURE_REASON_UNSPECIFIED', run.log);
        case 'rollback':
          if (s.state === 'queued') return;
          if (r.resumeSource) await this.resume(s);
          if (s.state !== 'aborting') await steps.transition(run, s, 'aborting', s.error || r.why);
          await steps.transition(
            run,
            s,
            run.cancelling ? 'cancelled' : 'failed',
            s.error || r.why,
            rollbackReason(run.cancelling, hasJob, src?.reason),
          );
          return;
        case 'restart-step':
          if (s.state === 'preparing') await steps.transition(run, s, 'queued');
          else if (s.state !== 'queued') await steps.transition(run, s, 'failed', `not started (${r.why})`, 'FAILURE_REASON_NOT_STARTED');
          return;
        case 'conflict':
          s.final = true;
          await steps.transition(
            run,
            s,
            s.state === 'queued' ? 'cancelled' : 'failed',
            `conflict: ${r.why}; nothing was changed — check both hosts (rpower stat --live) before acting`,
            'FAILURE_REASON_CONFLICT',
          );
          return;
        case 'wait': {
          // The job runs on: follow it until its outcome arrives or a query shows it ended.
          const outcome = new Promise<MigrationOutcome__Output>((res) => (s.outcome = res));
          const out = await this.awaitOutcome(run, s, outcome);
          return this.settle(run, s, out.state === 'JOB_STATE_COMPLETED', out.error, out.reason, run.log);
        }
        case 'retry-later':
          later++;
          await this.d.clock.sleep(2000);
      }
    }
    throw new Error(`could not settle the step in 4 minutes (last: ${why})`);
  }
}

/** What one host said about a step, in the terms of machine.reconcile. */
function facts(q: QueryMigrationResponse__Output | undefined): HostFacts {
  if (!q) return { reachable: false, defined: false, running: false, paused: false, job: 'unknown' };
  const st = q.guestHere?.state;
  const jobs: Record<string, HostFacts['job']> = {
    JOB_STATE_RUNNING: 'running',
    JOB_STATE_COMPLETED: 'completed',
    JOB_STATE_FAILED: 'failed',
    JOB_STATE_CANCELLED: 'cancelled',
    JOB_STATE_UNKNOWN: 'unknown',
  };
  return {
    reachable: true,
    defined: q.definedHere,
    running: st === 'POWER_STATE_ON' || st === 'POWER_STATE_BLOCKED',
    paused: st === 'POWER_STATE_PAUSED',
    job: jobs[q.state] ?? 'none',
  };
}

function describe(q: QueryMigrationResponse__Output | undefined): string {
  if (!q) return 'no answer';
  if (!q.definedHere) return 'not defined';
  return q.runningHere ? 'running' : (q.guestHere?.state ?? 'unknown').replace('POWER_STATE_', '').toLowerCase();
}

/** Host and port of a libvirt URI (qemu+tls://10.0.0.2/system -> 10.0.0.2:16514). */
export function libvirtEndpoint(uri: string): { hostname: string; port: number } {
  const u = new URL(uri);
  const dflt = u.protocol.startsWith('qemu+tls') || u.protocol.startsWith('xen+tls') ? 16514 : u.protocol.includes('+ssh') ? 22 : 16509;
  return { hostname: u.hostname.replace(/^\[|\]$/g, ''), port: u.port ? Number(u.port) : dflt };
}
