/**
 * Durable long operations: rmigrate, revacuate and maintenance. An operation is a plan from the
 * pure scheduler, journaled with its steps before anything is done; each step follows the state
 * machine in machine.ts, and every transition is written before it is acted on. The engine paces
 * the steps within the policy's limits (the step runner does each move), cancels, tells watchers,
 * and after a restart takes back every unfinished step from what both agents report — never
 * starting a second copy of a guest.
 */
import * as grpc from '@grpc/grpc-js';
import { randomBytes } from 'node:crypto';
import {
  background,
  DroverError,
  type Check__Output,
  type MigrationOutcome__Output,
  type Operation,
  type OperationUpdate,
  type Logger,
} from '@drover/contract';
import { nextStartable, resolvePolicy, type InFlightMove, type Plan, type Policy } from '../scheduler/index.js';
import { planWarning } from './checks.js';
import { isFinal, type StepState } from './machine.js';
import { fail, StepRunner } from './runner.js';
import { Planner } from './planner.js';
import type { EngineDeps } from './deps.js';
import {
  ACTIVE,
  DEFAULT_OPTIONS,
  newStep,
  operationRecord,
  recordToOperation,
  runFromRecord,
  stepFromRecord,
  stepRecord,
  Steps,
  toOperation,
  toStep,
  type MigrationOptions,
  type OperationKind,
  type OpRun,
  type StepRow,
} from './journal.js';

export { DEFAULT_OPTIONS, type MigrationOptions } from './journal.js';
export { libvirtEndpoint } from './runner.js';

export class OperationEngine {
  private readonly runs = new Map<string, OpRun>();
  private readonly watchers = new Map<string, Set<(u: OperationUpdate) => void>>();
  private readonly log: Logger;
  private readonly steps: Steps;
  private readonly runner: StepRunner;
  private readonly planner: Planner;
  private stopped = false;
  private readonly unsubscribe: () => void;

  constructor(private readonly d: EngineDeps) {
    this.log = d.log.child({ part: 'operations' });
    this.steps = new Steps(d.journal, d.clock, (run, s) => this.notify(run, s));
    this.runner = new StepRunner({ ...d, steps: this.steps, stopped: () => this.stopped });
    this.planner = new Planner({ ...d, runner: this.runner, inFlight: () => this.inFlight() });
    this.unsubscribe = d.bus.outcomes((o) => this.onOutcome(o));
  }

  // ------------------------------------------------------------------------------------------
  // Starting operations

  /** Moves of running operations (they hold room on their destinations). */
  private inFlight(except?: OpRun): InFlightMove[] {
    const out: InFlightMove[] = [];
    for (const r of this.runs.values())
      if (r !== except)
        for (const s of r.steps) if (ACTIVE.includes(s.state)) out.push({ guest: s.move.guest, source: s.move.source, dest: s.move.dest });
    return out;
  }

  private stepOfGuest(guest: string): StepRow | undefined {
    for (const r of this.runs.values()) for (const s of r.steps) if (s.move.guest === guest && ACTIVE.includes(s.state)) return s;
    return undefined;
  }

  /** rmigrate: plans the moves of `nodes` (to `dest`, or where the scheduler picks). */
  async migrate(nodes: string[], dest: string, o: Partial<MigrationOptions>, requestedBy: string, dryRun: boolean): Promise<Operation> {
    const options = { ...DEFAULT_OPTIONS, tls: await this.d.cluster.migrationTls(), ...o };
    const policy = await this.planner.policy({ copyStorage: options.copyStorage });
    if (dest && !this.d.cluster.host(dest))
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
    const { plan, checks } = await this.planner.migration(nodes, dest, policy, dryRun);
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
    const view = this.d.cluster.host(host);
    if (!view)
      throw new DroverError('HOST_UNKNOWN', `host '${host}' is not enrolled (see lshosts)`, { status: grpc.status.NOT_FOUND, host });
    if (view.state !== 'up')
      throw new DroverError(
        'HOST_DOWN',
        `host '${host}' is ${view.state}; its guests cannot be migrated live — bring its agent back first`,
        { status: grpc.status.FAILED_PRECONDITION, host },
      );
    const options = { ...DEFAULT_OPTIONS, tls: await this.d.cluster.migrationTls(), ...o };
    const policy = await this.planner.policy({ ...over, copyStorage: options.copyStorage });
    if (!dryRun) await this.d.cluster.setMaintenance(host, true);
    const { plan, checks } = await this.planner.evacuation(host, policy, dryRun);
    return this.create(kind, plan, policy, options, requestedBy, checks, dryRun, host);
  }

  private async create(
    kind: OperationKind,
    plan: Plan,
    policy: Policy,
    options: MigrationOptions,
    requestedBy: string,
    checks: Check__Output[],
    dryRun: boolean,
    host: string,
  ): Promise<Operation> {
    const now = this.d.clock.now();
    const id = `op-${now.toString(36)}-${randomBytes(3).toString('hex')}`;
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
      steps: plan.moves.map((m, i) => newStep(id, i + 1, `${String(i + 1).padStart(3, '0')}-${m.guest}`, m)),
      cancelling: false,
      summary: '',
      checks: [...checks, ...plan.warnings.map((w) => planWarning(w.message))],
      unplaced: plan.unplaced.map((u) => `${u.guest}: ${u.reason}`),
      log: this.log.child({ op: id }),
      pumping: false,
    };
    await this.d.journal.operations.create(operationRecord(run, now), run.steps.map(stepRecord));
    run.log.info(
      { kind, moves: plan.moves.length, unplaced: plan.unplaced.length, dryRun, host },
      `operation ${dryRun ? 'planned' : 'started'}`,
    );
    if (!dryRun) this.start(run, true);
    return toOperation(run);
  }

  /** Follows a running operation's progress and (with `pump`) starts pacing its steps. */
  private start(run: OpRun, pump: boolean): void {
    this.runs.set(run.id, run);
    // Progress of every step of this operation, from whichever source host runs it.
    run.unfollow = this.d.bus.progress(run.id, (from, p) => {
      const s = run.steps.find((x) => x.stepId === p.stepId);
      if (!s || s.move.source !== from) return;
      s.progress = p;
      this.notify(run, s);
    });
    if (pump) background('operation pump', this.pump(run), run.log);
  }

  // ------------------------------------------------------------------------------------------
  // Pacing

  /** Starts every step the limits allow now; ends the operation when nothing is left. */
  private async pump(run: OpRun): Promise<void> {
    if (run.pumping || this.stopped) return;
    run.pumping = true;
    try {
      for (;;) {
        if (run.cancelling) {
          for (const s of run.steps)
            if (s.state === 'queued')
              await this.steps.transition(
                run,
                s,
                'cancelled',
                'operation cancelled before this move started',
                'FAILURE_REASON_CANCELLED_BY_REQUEST',
              );
        }
        const moves = (pick: (s: StepRow) => boolean): Plan['moves'] => run.steps.filter(pick).map((s) => s.move);
        const running = moves((s) => ACTIVE.includes(s.state));
        const state = {
          running,
          done: moves((s) => s.state === 'done'),
          failed: moves((s) => (s.state === 'failed' && !s.final) || s.state === 'cancelled'),
          failedFinal: moves((s) => s.state === 'failed' && !!s.final),
          external: this.inFlight(run),
        };
        const startable = run.cancelling ? [] : nextStartable(run.plan, state, run.policy);
        if (startable.length === 0) {
          if (running.length === 0) await this.finish(run);
          return;
        }
        for (const m of startable) {
          let s = run.steps.find((x) => x.move.guest === m.guest && x.attempt === m.attempt && x.state === 'queued');
          if (!s) {
            const seq = run.steps.length + 1;
            s = newStep(run.id, seq, `${String(seq).padStart(3, '0')}-${m.guest}-retry`, m);
            run.steps.push(s);
            await this.d.journal.operations.addStep(stepRecord(s));
          }
          const step = s;
          await this.steps.transition(run, step, 'preparing');
          background('operation step', this.runStep(run, step), run.log);
        }
      }
    } finally {
      run.pumping = false;
    }
  }

  private async runStep(run: OpRun, s: StepRow): Promise<void> {
    try {
      await this.runner.run(run, s);
    } catch (e) {
      run.log.error({ step: s.stepId, err: (e as Error).stack }, 'step crashed');
    } finally {
      background('operation pump', this.pump(run), run.log);
    }
  }

  /** An outcome from JetStream (possibly for an operation this server process did not start). */
  onOutcome(o: MigrationOutcome__Output): Promise<void> {
    const s = this.runs.get(o.operationId)?.steps.find((x) => x.stepId === o.stepId);
    // No one waits (e.g. just after a restart before recovery took the step): recovery settles it.
    s?.outcome?.(o);
    return Promise.resolve();
  }

  private async finish(run: OpRun): Promise<void> {
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
    run.finishedMs = this.d.clock.now();
    run.summary = `${movedGuests.size} moved, ${lost.size} failed${cancelled ? `, ${cancelled} cancelled` : ''}${run.unplaced.length ? `, ${run.unplaced.length} not placed` : ''} (${done} done, ${failed} failed steps)`;
    await this.d.journal.operations.finish(run.id, run.state, run.finishedMs, run.summary);
    run.unfollow?.();
    run.log.info({ state: run.state, summary: run.summary }, 'operation finished');
    this.notify(run, undefined, true);
    this.runs.delete(run.id);
  }

  // ------------------------------------------------------------------------------------------
  // Cancel, queries, watchers

  /** Stops an operation: steps not started are never started, the moves in flight are aborted, done stays done. */
  async cancel(id: string): Promise<Operation> {
    const run = this.runs.get(id);
    if (!run) {
      const op = await this.get(id);
      throw fail('NOT_RUNNING', `operation ${id} is ${op.state}; only running operations can be cancelled`);
    }
    run.cancelling = true;
    run.log.warn('cancel requested');
    const active = run.steps.filter((s) => s.state === 'migrating' || s.state === 'preparing');
    await Promise.all(active.map((s) => this.runner.abort(run, s)));
    background('operation pump', this.pump(run), run.log);
    return toOperation(run);
  }

  watch(id: string, fn: (u: OperationUpdate) => void): () => void {
    let set = this.watchers.get(id);
    if (!set) this.watchers.set(id, (set = new Set()));
    set.add(fn);
    return () => set.delete(fn);
  }

  isRunning(id: string): boolean {
    return this.runs.has(id);
  }

  private notify(run: OpRun, s: StepRow | undefined, final = false): void {
    const set = this.watchers.get(run.id);
    if (!set?.size) return;
    const u: OperationUpdate = { operation: toOperation(run), ...(s ? { step: toStep(s) } : {}), final };
    for (const fn of set) fn(u);
  }

  /** One operation from the journal (running ones from memory, with live progress). */
  async get(id: string): Promise<Operation> {
    const run = this.runs.get(id);
    if (run) return toOperation(run);
    const row = await this.d.journal.operations.get(id);
    if (!row) throw new DroverError('NOT_FOUND', `no operation '${id}' (see drover ops list)`, { status: grpc.status.NOT_FOUND });
    return recordToOperation(row, await this.d.journal.operations.steps(id));
  }

  async list(all: boolean, limit: number): Promise<Operation[]> {
    const { operations } = this.d.journal;
    const rows = await operations.list({ ...(all ? {} : { since: this.d.clock.now() - 86_400_000 }), limit: limit || 50 });
    const out: Operation[] = [];
    for (const r of rows) {
      const run = this.runs.get(r.id);
      out.push(run ? toOperation(run) : recordToOperation(r, await operations.steps(r.id)));
    }
    return out;
  }

  /** The guests a finished maintenance of `host` moved away and that still run where they went. */
  async evacuatedBy(host: string): Promise<{ guest: string; now: string }[]> {
    // revacuate also puts its host into maintenance, so both kinds count.
    const op = await this.d.journal.operations.latestOn(host, ['maintenance', 'evacuate'], ['done', 'partial', 'cancelled']);
    if (!op) return [];
    const rows = (await this.d.journal.operations.steps(op.id)).filter((s) => s.state === 'done');
    const recorded = await this.d.cluster.recordedHosts(rows.map((r) => r.guest));
    return rows.filter((r) => recorded.get(r.guest) === r.dest).map((r) => ({ guest: r.guest, now: r.dest }));
  }

  // ------------------------------------------------------------------------------------------
  // Restart

  /** Takes back every operation that was running when the server stopped and settles its steps. */
  async recover(): Promise<void> {
    const { operations } = this.d.journal;
    for (const row of await operations.inState('running')) {
      const run = runFromRecord(row, { options: DEFAULT_OPTIONS, policy: resolvePolicy({}) }, this.log.child({ op: row.id }));
      run.steps = (await operations.steps(row.id)).map(stepFromRecord);
      run.log.warn({ steps: run.steps.filter((s) => !isFinal(s.state)).length }, 'recovering an operation interrupted by a server restart');
      // The steps in flight are settled (resume) before anything new starts.
      this.start(run, false);
      background('operation recovery', this.resume(run), run.log);
    }
  }

  private async resume(run: OpRun): Promise<void> {
    await this.waitForHosts(run);
    await Promise.all(
      run.steps
        .filter((s) => ACTIVE.includes(s.state))
        .map((s) =>
          this.runner.reconcile(run, s).catch(async (e: Error) => {
            if (!isFinal(s.state)) await this.steps.transition(run, s, 'failed', `after restart: ${e.message}`, 'FAILURE_REASON_UNSETTLED');
          }),
        ),
    );
    await this.pump(run);
  }

  /** After a restart, heartbeats take a moment to arrive: wait (bounded) for the hosts a run needs. */
  private async waitForHosts(run: OpRun): Promise<void> {
    const need = new Set(run.steps.filter((s) => !isFinal(s.state)).flatMap((s) => [s.move.source, s.move.dest]));
    for (let i = 0; i < 60; i++) {
      if ([...need].every((h) => this.d.cluster.host(h)?.state === 'up')) return;
      await this.d.clock.sleep(500);
    }
  }

  stop(): void {
    this.stopped = true;
    this.unsubscribe();
    for (const r of this.runs.values()) r.unfollow?.();
  }
}
