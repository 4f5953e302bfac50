/**
 * Durable long operations: rmigrate, revacuate and maintenance. An operation is a plan from the
 * pure scheduler, journaled with its steps in `operations` / `operation_steps` before anything is
 * done; each step follows the state machine in machine.ts, and every transition is written before
 * it is acted on. Progress comes from the agents on NATS; outcomes through JetStream (the durable
 * consumer in nats/reports.ts). After a restart, `recover()` reconciles every unfinished step
 * with what both agents report — never starting a second copy of a guest.
 */
import * as grpc from '@grpc/grpc-js';
import { randomBytes } from 'node:crypto';
import type { NatsConnection, Subscription } from 'nats';
import {
  background,
  codec,
  DroverError,
  subjects,
  type Check__Output,
  type FailureReason__Output,
  type MigrationOutcome__Output,
  type MigrationProgress__Output,
  type Operation,
  type OperationStep,
  type OperationUpdate,
  type QueryMigrationResponse__Output,
  type Logger,
} from '@drover/contract';
import type { ServerContext } from '../context.js';
import { buildGuestSpec } from '../guests/spec.js';
import {
  checkMove,
  nextStartable,
  planEvacuation,
  planMoves,
  resolvePolicy,
  SchedulerError,
  type InFlightMove,
  type Move,
  type Plan,
  type Policy,
  type PolicyInput,
} from '../scheduler/index.js';
import { buildSnapshot, sitePolicy } from './snapshot.js';
import { cpuVerdict, type CpuVerdict } from './cpucheck.js';
import { check, checksFrom, planWarning, schedulerCheck } from './checks.js';
import type { OperationRecord, StepRecord, Stores } from '../db/stores.js';
import { canTransition, isFinal, reconcile, rollbackReason, type HostFacts, type StepState } from './machine.js';

const progressCodec = codec<MigrationProgress__Output>('MigrationProgress');

export interface MigrationOptions {
  timeoutS: number;
  maxDowntimeMs: number;
  bandwidthMibps: number;
  copyStorage: 'auto' | 'always' | 'never';
  stallS: number;
  autoConverge: boolean;
}
export const DEFAULT_OPTIONS: MigrationOptions = {
  timeoutS: 600,
  maxDowntimeMs: 0,
  bandwidthMibps: 0,
  copyStorage: 'auto',
  stallS: 120,
  autoConverge: true,
};

interface StepRow {
  opId: string;
  stepId: string;
  seq: number;
  move: Move;
  state: StepState;
  attempt: number;
  error: string;
  jobId: string;
  startedMs: number;
  finishedMs: number;
  destUri: string;
  /** failed for good: the guest was not where the move expected it, so no retry on the alternative */
  final?: boolean;
  /** why a failed or cancelled step did not move its guest */
  reason?: FailureReason__Output;
  progress?: MigrationProgress__Output;
  /** resolves when an outcome arrives for this step */
  outcome?: (o: MigrationOutcome__Output) => void;
}

interface OpRun {
  id: string;
  kind: 'migrate' | 'evacuate' | 'maintenance';
  state: string;
  requestedBy: string;
  createdMs: number;
  finishedMs: number;
  host: string;
  plan: Plan;
  policy: Policy;
  options: MigrationOptions;
  steps: StepRow[];
  cancelling: boolean;
  summary: string;
  checks: Check__Output[];
  unplaced: string[];
  sub?: Subscription;
  log: Logger;
  pumping: boolean;
}

const ACTIVE: readonly StepState[] = ['preparing', 'migrating', 'verifying', 'aborting'];

function newId(): string {
  return `op-${Date.now().toString(36)}-${randomBytes(3).toString('hex')}`;
}

const fail = (code: string, message: string, node?: string): DroverError =>
  new DroverError(code, message, { status: grpc.status.FAILED_PRECONDITION, ...(node ? { node } : {}) });

export class OperationEngine {
  private readonly runs = new Map<string, OpRun>();
  private readonly watchers = new Map<string, Set<(u: OperationUpdate) => void>>();
  private readonly log: Logger;
  private stopped = false;

  constructor(
    private readonly ctx: ServerContext,
    private readonly nc: NatsConnection,
  ) {
    this.log = ctx.log.child({ part: 'operations' });
  }

  // ------------------------------------------------------------------------------------------
  // Planning

  /** Moves of other running operations (they hold room on their destinations). */
  private inFlight(): InFlightMove[] {
    const out: InFlightMove[] = [];
    for (const r of this.runs.values())
      for (const s of r.steps) if (ACTIVE.includes(s.state)) out.push({ guest: s.move.guest, source: s.move.source, dest: s.move.dest });
    return out;
  }

  private async policyFor(over: Partial<Policy>): Promise<Policy> {
    const p: PolicyInput = { ...(await sitePolicy(this.ctx)) };
    for (const [k, v] of Object.entries(over) as [string, unknown][])
      if (v !== undefined && v !== 0 && v !== '') (p as Record<string, unknown>)[k] = v;
    try {
      return resolvePolicy(p);
    } catch (e) {
      throw new DroverError('INVALID_ARGUMENT', (e as Error).message, { status: grpc.status.INVALID_ARGUMENT });
    }
  }

  /** rmigrate: plans the moves of `nodes` (to `dest`, or where the scheduler picks). */
  async migrate(nodes: string[], dest: string, o: Partial<MigrationOptions>, requestedBy: string, dryRun: boolean): Promise<Operation> {
    const options = { ...DEFAULT_OPTIONS, ...o };
    const policy = await this.policyFor({ copyStorage: options.copyStorage });
    if (dest && !this.ctx.hosts.get(dest))
      throw new DroverError('HOST_UNKNOWN', `destination '${dest}' is not a known host (see lshosts)`, {
        status: grpc.status.NOT_FOUND,
        host: dest,
      });
    const busy = nodes.filter((n) => this.stepOfGuest(n));
    if (busy.length)
      throw fail(
        'ALREADY_MIGRATING',
        busy
          .map((n) => `${n}: already migrating (operation ${this.stepOfGuest(n)!.opId}); wait for it or cancel it with drover ops cancel`)
          .join('\n'),
        busy[0],
      );
    let snap = await buildSnapshot(this.ctx, this.inFlight(), new Set(nodes));
    let known = new Set(snap.guests.filter((g) => g.state === 'running' || g.state === 'paused').map((g) => g.name));
    const unsure = nodes.filter((n) => !known.has(n));
    if (unsure.length) {
      // The reported inventory may lag a guest just started: ask its host before refusing.
      await Promise.all(
        unsure.map(async (n) => {
          const h = await this.ctx.tables.get(n, 'vm.host');
          if (!h) return;
          const g = await this.ctx.agents.call(h, 'GetGuest', { guest: n }, { deadlineMs: 10_000 }).catch(() => undefined);
          if (g) this.ctx.inventory.noteGuest(h, g);
        }),
      );
      snap = await buildSnapshot(this.ctx, this.inFlight(), new Set(nodes));
      known = new Set(snap.guests.map((g) => g.name));
    }
    const missing = nodes.filter((n) => !known.has(n));
    if (missing.length)
      throw fail(
        'NOT_RUNNING',
        missing.map((n) => `${n}: not reported running on any host (power it on, or check its host with rpower stat)`).join('\n'),
        missing[0],
      );
    const checks: Check__Output[] = [];
    if (dest) {
      for (const n of nodes) for (const c of checkMove(snap, n, dest, policy)) checks.push(schedulerCheck(n, c));
    }
    let plan: Plan;
    try {
      plan = planMoves(snap, nodes, dest || undefined, policy);
    } catch (e) {
      if (e instanceof SchedulerError) throw fail(e.code, e.message);
      throw e;
    }
    if (!dryRun && plan.moves.length === 0) {
      throw fail(
        'UNPLACEABLE',
        plan.unplaced.map((u) => `${u.guest}: ${u.reason}`).join('\n') || 'nothing to move',
        plan.unplaced[0]?.guest,
      );
    }
    if (dryRun) checks.push(...(await this.hostChecks(plan)));
    return this.create('migrate', plan, policy, options, requestedBy, checks, dryRun, dest);
  }

  /** revacuate: one plan for every guest on `host`, which goes into maintenance first. */
  async evacuate(
    host: string,
    over: Partial<Policy>,
    o: Partial<MigrationOptions>,
    requestedBy: string,
    dryRun: boolean,
    kind: 'evacuate' | 'maintenance' = 'evacuate',
  ): Promise<Operation> {
    const view = this.ctx.hosts.get(host);
    if (!view)
      throw new DroverError('HOST_UNKNOWN', `host '${host}' is not enrolled (see lshosts)`, { status: grpc.status.NOT_FOUND, host });
    if (view.state !== 'up')
      throw new DroverError(
        'HOST_DOWN',
        `host '${host}' is ${view.state}; its guests cannot be migrated live — bring its agent back first`,
        { status: grpc.status.FAILED_PRECONDITION, host },
      );
    const options = { ...DEFAULT_OPTIONS, ...o };
    const policy = await this.policyFor({ ...over, copyStorage: options.copyStorage });
    if (!dryRun) await this.ctx.hosts.setMaintenance(host, true);
    // Plan from what the host says now, not from a report that may lag a guest just started.
    const live = await this.ctx.agents.call(host, 'ListGuests', {}, { deadlineMs: 15_000 }).catch(() => undefined);
    for (const g of live?.guests ?? []) this.ctx.inventory.noteGuest(host, g);
    const onHost = new Set([...(this.ctx.inventory.host(host)?.guests.keys() ?? [])]);
    const snap = await buildSnapshot(this.ctx, this.inFlight(), onHost);
    const plan = planEvacuation(snap, host, policy);
    return this.create(kind, plan, policy, options, requestedBy, dryRun ? await this.hostChecks(plan) : [], dryRun, host);
  }

  private async create(
    kind: OpRun['kind'],
    plan: Plan,
    policy: Policy,
    options: MigrationOptions,
    requestedBy: string,
    checks: Check__Output[],
    dryRun: boolean,
    host: string,
  ): Promise<Operation> {
    const id = newId();
    const now = Date.now();
    const run: OpRun = {
      id,
      kind,
      state: dryRun ? 'planned' : 'running',
      requestedBy,
      createdMs: now,
      finishedMs: dryRun ? now : 0,
      host,
      plan,
      policy,
      options,
      steps: plan.moves.map((m, i) => ({
        opId: id,
        stepId: `${String(i + 1).padStart(3, '0')}-${m.guest}`,
        seq: i + 1,
        move: m,
        state: 'queued',
        attempt: 1,
        error: '',
        jobId: '',
        startedMs: 0,
        finishedMs: 0,
        destUri: '',
      })),
      cancelling: false,
      summary: '',
      checks,
      unplaced: plan.unplaced.map((u) => `${u.guest}: ${u.reason}`),
      log: this.log.child({ op: id }),
      pumping: false,
    };
    for (const w of plan.warnings) run.checks.push(planWarning(w.message));
    await this.ctx.stores.operations.create(
      {
        id,
        kind,
        state: run.state,
        requestedBy,
        createdMs: now,
        updatedMs: now,
        finishedMs: dryRun ? now : 0,
        host,
        summary: '',
        plan,
        checks: run.checks,
        unplaced: run.unplaced,
        options: { options, policy },
      },
      run.steps.map((st) => stepRecord(st)),
    );
    run.log.info(
      { kind, moves: plan.moves.length, unplaced: plan.unplaced.length, dryRun, host },
      `operation ${dryRun ? 'planned' : 'started'}`,
    );
    if (!dryRun) {
      this.runs.set(id, run);
      this.follow(run);
      background('operation pump', this.pump(run), run.log);
    }
    return this.toOperation(run);
  }

  // ------------------------------------------------------------------------------------------
  // Running

  private follow(run: OpRun): void {
    // Progress of every step of this operation, from whichever source host runs it.
    run.sub = this.nc.subscribe(`${subjects.allMigrations.replace(/\*$/, '')}${run.id}`);
    const progress = async (): Promise<void> => {
      for await (const m of run.sub!) {
        try {
          const p = progressCodec.decode(m.data);
          const s = run.steps.find((x) => x.stepId === p.stepId);
          if (!s || s.move.source !== m.subject.split('.')[3]) continue;
          s.progress = p;
          this.notify(run, s);
        } catch {
          // best effort
        }
      }
    };
    background('progress subscription', progress(), run.log);
  }

  private stepOfGuest(guest: string): StepRow | undefined {
    for (const r of this.runs.values()) for (const s of r.steps) if (s.move.guest === guest && ACTIVE.includes(s.state)) return s;
    return undefined;
  }

  /** Starts every step the limits allow now; ends the operation when nothing is left. */
  private async pump(run: OpRun): Promise<void> {
    if (run.pumping || this.stopped) return;
    run.pumping = true;
    try {
      for (;;) {
        if (run.cancelling) {
          for (const s of run.steps)
            if (s.state === 'queued')
              await this.transition(
                run,
                s,
                'cancelled',
                'operation cancelled before this move started',
                'FAILURE_REASON_CANCELLED_BY_REQUEST',
              );
        }
        const running = run.steps.filter((s) => ACTIVE.includes(s.state)).map((s) => s.move);
        const state = {
          running,
          done: run.steps.filter((s) => s.state === 'done').map((s) => s.move),
          failed: run.steps.filter((s) => (s.state === 'failed' && !s.final) || s.state === 'cancelled').map((s) => s.move),
          failedFinal: run.steps.filter((s) => s.state === 'failed' && s.final).map((s) => s.move),
          external: [...this.runs.values()]
            .filter((r) => r !== run)
            .flatMap((r) =>
              r.steps
                .filter((s) => ACTIVE.includes(s.state))
                .map((s) => ({ guest: s.move.guest, source: s.move.source, dest: s.move.dest })),
            ),
        };
        const startable = run.cancelling ? [] : nextStartable(run.plan, state, run.policy);
        if (startable.length === 0) {
          if (running.length === 0) await this.finishOperation(run);
          return;
        }
        for (const m of startable) {
          let s = run.steps.find((x) => x.move.guest === m.guest && x.attempt === m.attempt && x.state === 'queued');
          if (!s) {
            s = {
              opId: run.id,
              stepId: `${String(run.steps.length + 1).padStart(3, '0')}-${m.guest}-retry`,
              seq: run.steps.length + 1,
              move: m,
              state: 'queued',
              attempt: m.attempt,
              error: '',
              jobId: '',
              startedMs: 0,
              finishedMs: 0,
              destUri: '',
            };
            run.steps.push(s);
            await this.ctx.stores.operations.addStep(stepRecord(s));
          }
          const step = s;
          await this.transition(run, step, 'preparing');
          this.runStep(run, step).catch((e: Error) => run.log.error({ step: step.stepId, err: e.stack }, 'step crashed'));
        }
      }
    } finally {
      run.pumping = false;
    }
  }

  /** Journals a transition (before it is acted on) and tells watchers. */
  private async transition(
    run: OpRun,
    s: StepRow,
    to: StepState,
    error = '',
    reason?: FailureReason__Output,
    tx: Stores = this.ctx.stores,
  ): Promise<void> {
    if (s.state !== to && !canTransition(s.state, to)) {
      run.log.error({ step: s.stepId, from: s.state, to }, 'refused an impossible step transition');
      return;
    }
    s.state = to;
    if (error) s.error = error;
    if (reason && reason !== 'FAILURE_REASON_UNSPECIFIED') s.reason = reason;
    if (to === 'preparing') s.startedMs = Date.now();
    if (isFinal(to)) s.finishedMs = Date.now();
    await this.journal(run, s, tx);
    run.log.info(
      { step: s.stepId, node: s.move.guest, host: s.move.source, dest: s.move.dest, state: to, ...(s.error ? { err: s.error } : {}) },
      `${s.move.guest}: ${to}`,
    );
    this.notify(run, s);
  }

  /** Writes a step's row as it stands (state, error, job id, times, destination URI). */
  private journal(_run: OpRun, s: StepRow, tx: Stores = this.ctx.stores): Promise<void> {
    return tx.operations.saveStep(stepRecord(s));
  }

  private async runStep(run: OpRun, s: StepRow): Promise<void> {
    const { guest, source, dest } = s.move;
    const log = run.log.child({ node: guest, host: source, dest, step: s.stepId });
    const copy = s.move.storage.mode === 'copy';
    // What a failure before the job starts is: a refused pre-check, or an agent refusing to prepare or start.
    let early: FailureReason__Output = 'FAILURE_REASON_PRECHECK_FAILED';
    try {
      // First the source must reach the destination's libvirt (the URI its heartbeat announces),
      // so a cut link fails here with that reason, before the destination is asked to prepare.
      const destView = this.ctx.hosts.get(dest);
      const announced = destView?.facts?.migrationUri ?? '';
      if (announced) await this.assertReachable(source, dest, announced, guest);
      const cpu = await this.cpuCheck(source, dest, guest);
      if (!cpu.ok) throw fail('CPU_INCOMPATIBLE', `check cpu-compare: ${cpu.message}`, guest);
      if (cpu.message) log.info({ cpu: cpu.message }, 'cpu check');
      early = 'FAILURE_REASON_NOT_STARTED';
      // preparing: the destination makes pools, directories and checks bridges.
      const spec = await buildGuestSpec(this.ctx.tables, guest, { ...(destView ? { host: destView } : {}) });
      const prep = await this.ctx.agents.call(
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
        await this.transition(
          run,
          s,
          'cancelled',
          'operation cancelled before the migration started',
          'FAILURE_REASON_CANCELLED_BY_REQUEST',
        );
        return;
      }
      // migrating: the source agent starts the p2p live migration and returns at once.
      await this.transition(run, s, 'migrating');
      const outcome = new Promise<MigrationOutcome__Output>((res) => (s.outcome = res));
      const o = run.options;
      const started = await this.ctx.agents.call(
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
            tls: false,
          },
        },
        { deadlineMs: 30_000 },
      );
      s.jobId = started.jobId;
      await this.journal(run, s);
      const out = await this.awaitOutcome(run, s, outcome);
      await this.settle(run, s, out.state === 'JOB_STATE_COMPLETED', out.error, out.reason, log);
    } catch (e) {
      const msg = (e as Error).message;
      log.warn({ err: msg }, 'step failed');
      if (s.state === 'migrating') {
        // We may not know whether the job started: ask, and settle from what the hosts say.
        await this.reconcileStep(run, s).catch((err: Error) =>
          this.transition(run, s, 'failed', `${msg}; then ${err.message}`, 'FAILURE_REASON_UNSETTLED'),
        );
      } else if (!isFinal(s.state)) {
        await this.transition(run, s, 'failed', msg, early);
      }
    } finally {
      s.outcome = undefined;
      background('operation pump', this.pump(run), run.log);
    }
  }

  /** Whether `source` reaches `dest`'s libvirt at `uri` (a TCP connect made by the source agent). */
  private async reachable(source: string, dest: string, uri: string): Promise<{ ok: boolean; message: string }> {
    const { hostname, port } = libvirtEndpoint(uri);
    const where = `${dest}'s libvirt (${hostname}:${port})`;
    const reach = await this.ctx.agents
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
  private async cpuCheck(source: string, dest: string, guest: string, deadlineMs = 10_000): Promise<CpuVerdict> {
    const g = await this.ctx.agents.call(source, 'GuestCpu', { guest }, { deadlineMs });
    const r = g.model
      ? await this.ctx.agents.call(dest, 'CompareCpu', { guest, hvType: g.hvType, model: g.model, features: g.features }, { deadlineMs })
      : undefined;
    return cpuVerdict({ guest, source, dest }, g, r);
  }

  /**
   * For --dry-run: the reachability check of every move (one TCP connect per host pair) and its CPU
   * check (per guest: guests on one host may run with different CPUs), all in parallel.
   */
  private async hostChecks(plan: Plan): Promise<Check__Output[]> {
    const pairs = new Map<string, Promise<{ ok: boolean; message: string }>>();
    for (const m of plan.moves) {
      const uri = this.ctx.hosts.get(m.dest)?.facts?.migrationUri;
      const key = `${m.source}>${m.dest}`;
      if (uri && !pairs.has(key)) pairs.set(key, this.reachable(m.source, m.dest, uri));
    }
    // A dry run answers within seconds: a host that does not answer in 3 s fails the check.
    const cpus = plan.moves.map((m) =>
      this.cpuCheck(m.source, m.dest, m.guest, 3000).catch((e: Error) => ({ ok: false, message: e.message })),
    );
    const out: Check__Output[] = [];
    for (const [i, m] of plan.moves.entries()) {
      const r = await pairs.get(`${m.source}>${m.dest}`);
      if (!r)
        out.push(
          check(
            m.guest,
            'reachability',
            'CHECK_VERDICT_WARNING',
            `${m.dest} has not announced its migration URI yet; it is checked when the move starts`,
          ),
        );
      else
        out.push(
          r.ok ? check(m.guest, 'reachability', 'CHECK_VERDICT_OK') : check(m.guest, 'reachability', 'CHECK_VERDICT_FAILED', r.message),
        );
      const c = await cpus[i]!;
      // cpu-compare: libvirt's answer, next to the scheduler's own cpu check of the plan.
      out.push(check(m.guest, 'cpu-compare', c.ok ? 'CHECK_VERDICT_OK' : 'CHECK_VERDICT_FAILED', c.message));
    }
    return out;
  }

  /** Waits for the outcome from JetStream, asking the source now and then in case one was missed. */
  private async awaitOutcome(run: OpRun, s: StepRow, outcome: Promise<MigrationOutcome__Output>): Promise<MigrationOutcome__Output> {
    for (;;) {
      const r = await Promise.race([outcome, new Promise<undefined>((res) => setTimeout(() => res(undefined), 5000).unref())]);
      if (r) return r;
      if (this.stopped) throw new Error('server stopping');
      const q = await this.ctx.agents
        .call(
          s.move.source,
          'QueryMigration',
          { operationId: run.id, stepId: s.stepId, guest: s.move.guest },
          { deadlineMs: 10_000, allowStale: true },
        )
        .catch(() => undefined);
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
          timeMs: Date.now(),
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
    if (completed) {
      await this.transition(run, s, 'verifying');
      const [d, src] = await Promise.all([this.query(dest, run, s), this.query(source, run, s)]);
      if (d?.runningHere && !src?.runningHere) {
        await this.ctx.stores.transaction(async (tx) => {
          await this.transition(run, s, 'done', '', undefined, tx);
          await this.ctx.tables.in(tx).recordMove(guest, dest);
        });
        log.info({ ms: s.finishedMs - s.startedMs }, `${guest}: now on ${dest}`);
        return;
      }
      s.final = true;
      await this.transition(
        run,
        s,
        'failed',
        `verification: expected ${guest} running on ${dest} only, found ${describe(d)} on ${dest} and ${describe(src)} on ${source}`,
        'FAILURE_REASON_VERIFICATION_FAILED',
      );
      return;
    }
    await this.transition(run, s, 'aborting', error);
    await this.ensureOnSource(run, s);
    const cancelled = run.cancelling || reason === 'FAILURE_REASON_CANCELLED_BY_REQUEST';
    await this.transition(
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
        await this.ctx.agents.call(s.move.source, 'Power', { guest: s.move.guest, action: 'POWER_ACTION_RESUME' }).catch(() => undefined);
      }
    }
  }

  private query(host: string, run: OpRun, s: StepRow): Promise<QueryMigrationResponse__Output | undefined> {
    return this.ctx.agents
      .call(
        host,
        'QueryMigration',
        { operationId: run.id, stepId: s.stepId, guest: s.move.guest },
        { deadlineMs: 15_000, allowStale: true },
      )
      .catch(() => undefined);
  }

  private facts(q: QueryMigrationResponse__Output | undefined): HostFacts {
    if (!q) return { reachable: false, defined: false, running: false, paused: false, job: 'unknown' };
    const st = q.guestHere?.state;
    const job =
      q.state === 'JOB_STATE_RUNNING'
        ? 'running'
        : q.state === 'JOB_STATE_COMPLETED'
          ? 'completed'
          : q.state === 'JOB_STATE_FAILED'
            ? 'failed'
            : q.state === 'JOB_STATE_CANCELLED'
              ? 'cancelled'
              : q.state === 'JOB_STATE_UNKNOWN'
                ? 'unknown'
                : 'none';
    return {
      reachable: true,
      defined: q.definedHere,
      running: st === 'POWER_STATE_ON' || st === 'POWER_STATE_BLOCKED',
      paused: st === 'POWER_STATE_PAUSED',
      job,
    };
  }

  /** Settles a step whose fate we do not know, from both hosts' answers (machine.reconcile). */
  private async reconcileStep(run: OpRun, s: StepRow): Promise<void> {
    let later = 0;
    let why = '';
    for (let i = 0; i < 120 && !this.stopped; i++) {
      const [src, dst] = await Promise.all([this.query(s.move.source, run, s), this.query(s.move.dest, run, s)]);
      const hasJob = !!s.jobId || s.state === 'migrating' || s.state === 'verifying';
      const r = reconcile(s.state, hasJob, this.facts(src), this.facts(dst), later);
      why = r.why;
      run.log.info({ step: s.stepId, node: s.move.guest, action: r.action, why: r.why }, 'reconciling step');
      switch (r.action) {
        case 'finish':
          if (s.state === 'queued' || s.state === 'preparing') await this.transition(run, s, 'preparing');
          if (s.state === 'preparing') await this.transition(run, s, 'migrating');
          return this.settle(run, s, true, '', 'FAILURE_REASON_UNSPECIFIED', run.log);
        case 'rollback':
          if (s.state === 'queued') return;
          if (r.resumeSource)
            await this.ctx.agents
              .call(s.move.source, 'Power', { guest: s.move.guest, action: 'POWER_ACTION_RESUME' })
              .catch(() => undefined);
          if (s.state !== 'aborting') await this.transition(run, s, 'aborting', s.error || r.why);
          await this.transition(
            run,
            s,
            run.cancelling ? 'cancelled' : 'failed',
            s.error || r.why,
            rollbackReason(run.cancelling, hasJob, src?.reason),
          );
          return;
        case 'restart-step':
          if (s.state === 'preparing') await this.transition(run, s, 'queued');
          else if (s.state !== 'queued') await this.transition(run, s, 'failed', `not started (${r.why})`, 'FAILURE_REASON_NOT_STARTED');
          return;
        case 'conflict':
          s.final = true;
          await this.transition(
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
          await new Promise((res) => setTimeout(res, 2000).unref());
      }
    }
    throw new Error(`could not settle the step in 4 minutes (last: ${why})`);
  }

  /** An outcome from JetStream (possibly for an operation this server process did not start). */
  async onOutcome(o: MigrationOutcome__Output): Promise<void> {
    const run = this.runs.get(o.operationId);
    const s = run?.steps.find((x) => x.stepId === o.stepId);
    if (!run || !s) return;
    if (s.outcome) {
      s.outcome(o);
      return;
    }
    // No one waits (e.g. just after a restart before recovery took the step): recovery settles it.
  }

  private async finishOperation(run: OpRun): Promise<void> {
    if (run.state !== 'running') return;
    const n = (st: StepState): number => run.steps.filter((s) => s.state === st).length;
    const done = n('done');
    const failed = n('failed');
    const cancelled = n('cancelled') + n('skipped');
    // A guest whose first attempt failed but whose retry succeeded counts as moved.
    const movedGuests = new Set(run.steps.filter((s) => s.state === 'done').map((s) => s.move.guest));
    const lost = new Set(run.steps.filter((s) => s.state === 'failed' && !movedGuests.has(s.move.guest)).map((s) => s.move.guest));
    run.state = run.cancelling
      ? 'cancelled'
      : lost.size === 0 && run.unplaced.length === 0
        ? 'done'
        : movedGuests.size === 0
          ? 'failed'
          : 'partial';
    run.finishedMs = Date.now();
    run.summary = `${movedGuests.size} moved, ${lost.size} failed${cancelled ? `, ${cancelled} cancelled` : ''}${run.unplaced.length ? `, ${run.unplaced.length} not placed` : ''} (${done} done, ${failed} failed steps)`;
    await this.ctx.stores.operations.finish(run.id, run.state, run.finishedMs, run.summary);
    run.sub?.unsubscribe();
    run.log.info({ state: run.state, summary: run.summary }, 'operation finished');
    this.notify(run, undefined, true);
    this.runs.delete(run.id);
  }

  // ------------------------------------------------------------------------------------------
  // Cancel, queries, watchers

  async cancel(id: string): Promise<Operation> {
    const run = this.runs.get(id);
    if (!run) {
      const op = await this.get(id);
      throw fail('NOT_RUNNING', `operation ${id} is ${op.state}; only running operations can be cancelled`);
    }
    run.cancelling = true;
    run.log.warn('cancel requested');
    const active = run.steps.filter((s) => s.state === 'migrating' || s.state === 'preparing');
    await Promise.all(
      active.map((s) =>
        this.ctx.agents
          .call(
            s.move.source,
            'AbortMigration',
            { operationId: run.id, stepId: s.stepId, guest: s.move.guest },
            { deadlineMs: 15_000, allowStale: true },
          )
          .catch((e: Error) => run.log.warn({ step: s.stepId, err: e.message }, 'abort request failed')),
      ),
    );
    background('operation pump', this.pump(run), run.log);
    return this.toOperation(run);
  }

  watch(id: string, fn: (u: OperationUpdate) => void): () => void {
    let set = this.watchers.get(id);
    if (!set) this.watchers.set(id, (set = new Set()));
    set.add(fn);
    return () => set!.delete(fn);
  }

  isRunning(id: string): boolean {
    return this.runs.has(id);
  }

  private notify(run: OpRun, s: StepRow | undefined, final = false): void {
    const set = this.watchers.get(run.id);
    if (!set?.size) return;
    const u: OperationUpdate = { operation: this.toOperation(run), ...(s ? { step: this.toStep(s) } : {}), final };
    for (const fn of set) fn(u);
  }

  private toStep(s: StepRow): OperationStep {
    return {
      id: s.stepId,
      guest: s.move.guest,
      source: s.move.source,
      dest: s.move.dest,
      state: s.state,
      error: s.error,
      startedMs: s.startedMs,
      finishedMs: s.finishedMs,
      attempt: s.attempt,
      ...(s.progress ? { progress: s.progress } : {}),
      ...(s.reason ? { reason: s.reason } : {}),
    };
  }

  private toOperation(run: OpRun): Operation {
    return {
      id: run.id,
      kind: run.kind,
      state: run.state,
      requestedBy: run.requestedBy,
      createdMs: run.createdMs,
      finishedMs: run.finishedMs,
      steps: run.steps.map((s) => this.toStep(s)),
      summary: run.summary,
      checks: run.checks,
      unplaced: run.unplaced,
    };
  }

  /** One operation from the journal (running ones from memory, with live progress). */
  async get(id: string): Promise<Operation> {
    const run = this.runs.get(id);
    if (run) return this.toOperation(run);
    const row = await this.ctx.stores.operations.get(id);
    if (!row) throw new DroverError('NOT_FOUND', `no operation '${id}' (see drover ops list)`, { status: grpc.status.NOT_FOUND });
    return this.recordToOperation(row);
  }

  async list(all: boolean, limit: number): Promise<Operation[]> {
    const rows = await this.ctx.stores.operations.list({ ...(all ? {} : { since: Date.now() - 86_400_000 }), limit: limit || 50 });
    const out: Operation[] = [];
    for (const r of rows) {
      const run = this.runs.get(r.id);
      out.push(run ? this.toOperation(run) : await this.recordToOperation(r));
    }
    return out;
  }

  private async recordToOperation(row: OperationRecord): Promise<Operation> {
    const steps = await this.ctx.stores.operations.steps(row.id);
    return {
      id: row.id,
      kind: row.kind,
      state: row.state,
      requestedBy: row.requestedBy,
      createdMs: row.createdMs,
      finishedMs: row.finishedMs,
      summary: row.summary,
      checks: checksFrom(row.checks),
      unplaced: Array.isArray(row.unplaced) ? (row.unplaced as string[]) : [],
      steps: steps.map((s) => ({
        id: s.stepId,
        guest: s.guest,
        source: s.source,
        dest: s.dest,
        state: s.state,
        error: s.error,
        startedMs: s.startedMs,
        finishedMs: s.finishedMs,
        attempt: s.attempt,
        ...stepReason(s.detail),
      })),
    };
  }

  /** The guests a finished maintenance of `host` moved away and that still run where they went. */
  async evacuatedBy(host: string): Promise<{ guest: string; now: string }[]> {
    // revacuate also puts its host into maintenance, so both kinds count.
    const op = await this.ctx.stores.operations.latestOn(host, ['maintenance', 'evacuate'], ['done', 'partial', 'cancelled']);
    if (!op) return [];
    const rows = (await this.ctx.stores.operations.steps(op.id)).filter((s) => s.state === 'done');
    const now = await this.ctx.tables.getMany(
      rows.map((r) => r.guest),
      'vm.host',
    );
    return rows.filter((r) => now.get(r.guest) === r.dest).map((r) => ({ guest: r.guest, now: r.dest }));
  }

  // ------------------------------------------------------------------------------------------
  // Restart

  /** Takes back every operation that was running when the server stopped and settles its steps. */
  async recover(): Promise<void> {
    for (const row of await this.ctx.stores.operations.inState('running')) {
      const id = row.id;
      const opts = (row.options ?? { options: DEFAULT_OPTIONS, policy: resolvePolicy({}) }) as {
        options: MigrationOptions;
        policy: Policy;
      };
      const run: OpRun = {
        id,
        kind: row.kind as OpRun['kind'],
        state: 'running',
        requestedBy: row.requestedBy,
        createdMs: row.createdMs,
        finishedMs: 0,
        host: row.host,
        plan: row.plan as Plan,
        policy: opts.policy,
        options: opts.options,
        steps: [],
        cancelling: false,
        summary: '',
        checks: checksFrom(row.checks),
        unplaced: Array.isArray(row.unplaced) ? (row.unplaced as string[]) : [],
        log: this.log.child({ op: id }),
        pumping: false,
      };
      for (const st of await this.ctx.stores.operations.steps(id)) {
        const detail = (st.detail ?? {}) as { move: Move; destUri?: string; final?: boolean; reason?: FailureReason__Output };
        run.steps.push({
          opId: id,
          stepId: st.stepId,
          seq: st.seq,
          move: detail.move,
          state: st.state as StepState,
          attempt: st.attempt,
          error: st.error,
          jobId: st.jobId,
          startedMs: st.startedMs,
          finishedMs: st.finishedMs,
          destUri: detail.destUri ?? '',
          ...(detail.final ? { final: true } : {}),
          ...(detail.reason ? { reason: detail.reason } : {}),
        });
      }
      this.runs.set(id, run);
      this.follow(run);
      run.log.warn({ steps: run.steps.filter((s) => !isFinal(s.state)).length }, 'recovering an operation interrupted by a server restart');
      const resume = async (): Promise<void> => {
        await this.waitForHosts(run);
        await Promise.all(
          run.steps
            .filter((s) => ACTIVE.includes(s.state))
            .map((s) =>
              this.reconcileStep(run, s).catch(async (e: Error) => {
                if (!isFinal(s.state)) await this.transition(run, s, 'failed', `after restart: ${e.message}`, 'FAILURE_REASON_UNSETTLED');
              }),
            ),
        );
        await this.pump(run);
      };
      background('operation recovery', resume(), run.log);
    }
  }

  /** After a restart, heartbeats take a moment to arrive: wait (bounded) for the hosts a run needs. */
  private async waitForHosts(run: OpRun): Promise<void> {
    const need = new Set(run.steps.filter((s) => !isFinal(s.state)).flatMap((s) => [s.move.source, s.move.dest]));
    for (let i = 0; i < 60; i++) {
      if ([...need].every((h) => this.ctx.hosts.get(h)?.state === 'up')) return;
      await new Promise((res) => setTimeout(res, 500).unref());
    }
  }

  stop(): void {
    this.stopped = true;
    for (const r of this.runs.values()) r.sub?.unsubscribe();
  }
}

/** The reason journaled in a step's detail, when it has one. */
function stepReason(detail: unknown): { reason?: FailureReason__Output } {
  const d = (detail ?? {}) as { reason?: FailureReason__Output };
  return d.reason ? { reason: d.reason } : {};
}

/** A step as the journal keeps it. */
function stepRecord(s: StepRow): StepRecord {
  return {
    opId: s.opId,
    stepId: s.stepId,
    seq: s.seq,
    guest: s.move.guest,
    source: s.move.source,
    dest: s.move.dest,
    state: s.state,
    attempt: s.attempt,
    error: s.error,
    jobId: s.jobId,
    startedMs: s.startedMs,
    finishedMs: s.finishedMs,
    detail: { move: s.move, destUri: s.destUri, ...(s.final ? { final: true } : {}), ...(s.reason ? { reason: s.reason } : {}) },
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
