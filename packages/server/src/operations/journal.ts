/**
 * An operation and its steps as the engine holds them while they run, the one place that writes
 * a step's transition (journaled before it is acted on, then logged and told to watchers), and
 * the conversions between them, the journal's records and the API's messages.
 */
import type {
  Check__Output,
  FailureReason__Output,
  MigrationOutcome__Output,
  MigrationProgress__Output,
  Operation,
  OperationStep,
  Logger,
} from '@drover/contract';
import type { OperationRecord, StepRecord } from '../db/stores.js';
import type { Move, Plan, Policy } from '../scheduler/index.js';
import { checksFrom } from './checks.js';
import { canTransition, isFinal, type StepState } from './machine.js';
import type { Clock, Journal } from './deps.js';

export interface MigrationOptions {
  timeoutS: number;
  maxDowntimeMs: number;
  bandwidthMibps: number;
  copyStorage: 'auto' | 'always' | 'never';
  stallS: number;
  autoConverge: boolean;
  /** libvirt's TLS transport (VIR_MIGRATE_TLS), from site.migrationtls */
  tls?: boolean;
}
export const DEFAULT_OPTIONS: MigrationOptions = {
  timeoutS: 600,
  maxDowntimeMs: 0,
  bandwidthMibps: 0,
  copyStorage: 'auto',
  stallS: 120,
  autoConverge: true,
};

export type OperationKind = 'migrate' | 'evacuate' | 'maintenance';

export interface StepRow {
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

export interface OpRun {
  id: string;
  kind: OperationKind;
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
  /** stops the progress subscription */
  unfollow?: () => void;
  log: Logger;
  pumping: boolean;
}

/** Steps that hold a guest in flight. */
export const ACTIVE: readonly StepState[] = ['preparing', 'migrating', 'verifying', 'aborting'];

export function newStep(opId: string, seq: number, stepId: string, move: Move): StepRow {
  return {
    opId,
    stepId,
    seq,
    move,
    state: 'queued',
    attempt: move.attempt,
    error: '',
    jobId: '',
    startedMs: 0,
    finishedMs: 0,
    destUri: '',
  };
}

/** Step transitions: journaled first, then logged and told to watchers. */
export class Steps {
  constructor(
    private readonly journal: Journal,
    private readonly clock: Clock,
    private readonly notify: (run: OpRun, s: StepRow) => void,
  ) {}

  /** Moves `s` to `to` (refusing what the state machine forbids); `moved` also records the guest on its destination. */
  async transition(run: OpRun, s: StepRow, to: StepState, error = '', reason?: FailureReason__Output, moved = false): Promise<void> {
    if (s.state !== to && !canTransition(s.state, to)) {
      run.log.error({ step: s.stepId, from: s.state, to }, 'refused an impossible step transition');
      return;
    }
    s.state = to;
    if (error) s.error = error;
    if (reason && reason !== 'FAILURE_REASON_UNSPECIFIED') s.reason = reason;
    if (to === 'preparing') s.startedMs = this.clock.now();
    if (isFinal(to)) s.finishedMs = this.clock.now();
    if (moved) await this.journal.moved(stepRecord(s), s.move.guest, s.move.dest);
    else await this.save(s);
    run.log.info(
      { step: s.stepId, node: s.move.guest, host: s.move.source, dest: s.move.dest, state: to, ...(s.error ? { err: s.error } : {}) },
      `${s.move.guest}: ${to}`,
    );
    this.notify(run, s);
  }

  /** Writes a step's row as it stands (state, error, job id, times, destination URI). */
  save(s: StepRow): Promise<void> {
    return this.journal.operations.saveStep(stepRecord(s));
  }
}

/** A step as the journal keeps it. */
export function stepRecord(s: StepRow): StepRecord {
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

interface StepDetail {
  move: Move;
  destUri?: string;
  final?: boolean;
  reason?: FailureReason__Output;
}

/** A journaled step taken back after a restart. */
export function stepFromRecord(r: StepRecord): StepRow {
  const d = (r.detail ?? {}) as StepDetail;
  return {
    opId: r.opId,
    stepId: r.stepId,
    seq: r.seq,
    move: d.move,
    state: r.state as StepState,
    attempt: r.attempt,
    error: r.error,
    jobId: r.jobId,
    startedMs: r.startedMs,
    finishedMs: r.finishedMs,
    destUri: d.destUri ?? '',
    ...(d.final ? { final: true } : {}),
    ...(d.reason ? { reason: d.reason } : {}),
  };
}

/** An operation as the journal keeps it. */
export function operationRecord(run: OpRun, updatedMs: number): OperationRecord {
  return {
    id: run.id,
    kind: run.kind,
    state: run.state,
    requestedBy: run.requestedBy,
    createdMs: run.createdMs,
    updatedMs,
    finishedMs: run.finishedMs,
    host: run.host,
    summary: run.summary,
    plan: run.plan,
    checks: run.checks,
    unplaced: run.unplaced,
    options: { options: run.options, policy: run.policy },
  };
}

const strings = (v: unknown): string[] => (Array.isArray(v) ? v.map(String) : []);

/** A running operation taken back after a restart (without its steps). */
export function runFromRecord(r: OperationRecord, fallback: { options: MigrationOptions; policy: Policy }, log: Logger): OpRun {
  const o = (r.options ?? fallback) as { options: MigrationOptions; policy: Policy };
  return {
    id: r.id,
    kind: r.kind as OperationKind,
    state: 'running',
    requestedBy: r.requestedBy,
    createdMs: r.createdMs,
    finishedMs: 0,
    host: r.host,
    plan: r.plan as Plan,
    policy: o.policy,
    options: o.options,
    steps: [],
    cancelling: false,
    summary: '',
    checks: checksFrom(r.checks),
    unplaced: strings(r.unplaced),
    log,
    pumping: false,
  };
}

export function toStep(s: StepRow): OperationStep {
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

export function toOperation(run: OpRun): Operation {
  return {
    id: run.id,
    kind: run.kind,
    state: run.state,
    requestedBy: run.requestedBy,
    createdMs: run.createdMs,
    finishedMs: run.finishedMs,
    steps: run.steps.map(toStep),
    summary: run.summary,
    checks: run.checks,
    unplaced: run.unplaced,
  };
}

/** A finished (or planned) operation from its journal records. */
export function recordToOperation(row: OperationRecord, steps: readonly StepRecord[]): Operation {
  return {
    id: row.id,
    kind: row.kind,
    state: row.state,
    requestedBy: row.requestedBy,
    createdMs: row.createdMs,
    finishedMs: row.finishedMs,
    summary: row.summary,
    checks: checksFrom(row.checks),
    unplaced: strings(row.unplaced),
    steps: steps.map((s) => {
      const reason = ((s.detail ?? {}) as StepDetail).reason;
      return {
        id: s.stepId,
        guest: s.guest,
        source: s.source,
        dest: s.dest,
        state: s.state,
        error: s.error,
        startedMs: s.startedMs,
        finishedMs: s.finishedMs,
        attempt: s.attempt,
        ...(reason ? { reason } : {}),
      };
    }),
  };
}
