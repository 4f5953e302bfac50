/**
 * The migration step state machine (pure). A step is journaled in `operation_steps` before each
 * transition is acted on:
 *
 *   queued -> preparing -> migrating -> verifying -> done
 *                 |            |             |
 *                 +------------+-------------+--> aborting -> failed | cancelled
 *
 * and, after a server restart, each unfinished step is reconciled from what both agents report
 * (where the guest runs, what its migration job is doing) — the way Ganeti's
 * `migrate --cleanup` settles an interrupted migration — never by starting a second copy.
 */
import type { FailureReason__Output } from '@drover/contract';

export type StepState = 'queued' | 'preparing' | 'migrating' | 'verifying' | 'aborting' | 'done' | 'failed' | 'cancelled' | 'skipped';
export const FINAL_STATES: readonly StepState[] = ['done', 'failed', 'cancelled', 'skipped'];
export const isFinal = (s: StepState): boolean => FINAL_STATES.includes(s);

const NEXT: Record<StepState, readonly StepState[]> = {
  queued: ['preparing', 'cancelled', 'skipped', 'failed'],
  preparing: ['migrating', 'failed', 'cancelled', 'aborting', 'queued'], // queued again when a restart finds it never started
  migrating: ['verifying', 'aborting', 'failed'],
  verifying: ['done', 'failed', 'aborting'],
  aborting: ['failed', 'cancelled'],
  done: [],
  failed: ['queued'], // a retry on an alternative destination re-queues the step with attempt+1
  cancelled: [],
  skipped: [],
};

export function canTransition(from: StepState, to: StepState): boolean {
  return NEXT[from].includes(to);
}

/** What one host says about the guest (from QueryMigration). */
export interface HostFacts {
  reachable: boolean;
  defined: boolean;
  running: boolean; // active and not paused
  paused: boolean; // active but paused (e.g. at the switch-over, or a failed migration)
  job: 'none' | 'running' | 'completed' | 'failed' | 'cancelled' | 'unknown';
}

export type Reconcile =
  | { action: 'wait'; why: string } // the migration job still runs: keep following it
  | { action: 'finish'; why: string } // the guest runs on the destination only: verify and mark done
  | { action: 'rollback'; why: string; resumeSource: boolean } // the guest is on the source: make sure it runs there, mark failed/cancelled
  | { action: 'restart-step'; why: string } // nothing was started yet: the step can be taken again
  | { action: 'conflict'; why: string } // the guest looks active on both hosts or on neither: stop and report
  | { action: 'retry-later'; why: string }; // a host is unreachable: ask again later

/** How many times in a row a "switch-over may still be finishing" answer is waited out (2 s apart). */
export const SWITCHOVER_TRIES = 10;

/**
 * Decides what to do with an unfinished step after a restart (or when an outcome is late).
 * `started` says whether the source agent acknowledged StartMigration (a job id is journaled).
 * `tries` counts the earlier `retry-later` answers for this step, so a transient state (the
 * destination paused between the source's end and its own resume) is waited out, but not forever.
 */
export function reconcile(state: StepState, started: boolean, src: HostFacts, dst: HostFacts, tries = 0): Reconcile {
  if (isFinal(state)) return { action: 'finish', why: `step already ${state}` };
  if (state === 'queued' || (state === 'preparing' && !started)) {
    if (dst.running && !src.running && !src.paused) return { action: 'finish', why: 'guest already runs on the destination' };
    if ((dst.running || dst.paused) && (src.running || src.paused))
      return { action: 'conflict', why: 'guest active on both hosts before the step started' };
    return { action: 'restart-step', why: 'no migration was started for this step' };
  }
  if (!src.reachable || !dst.reachable) {
    // Without both answers we cannot tell a finished migration from a failed one.
    if (dst.reachable && dst.running && !src.reachable)
      return {
        action: 'retry-later',
        why: 'the source is unreachable; the destination runs the guest — waiting for the source to confirm it stopped',
      };
    return { action: 'retry-later', why: `${!src.reachable ? 'source' : 'destination'} unreachable` };
  }
  if (src.job === 'running') return { action: 'wait', why: 'the migration job is still running on the source' };
  const srcActive = src.running || src.paused;
  const dstActive = dst.running || dst.paused;
  if (dst.running && !srcActive) return { action: 'finish', why: 'guest runs on the destination and is gone from the source' };
  if (srcActive && dstActive) {
    return {
      action: 'conflict',
      why: src.running && dst.running ? 'guest reported running on both hosts' : 'guest active on both hosts (switch-over interrupted)',
    };
  }
  if (srcActive) {
    return {
      action: 'rollback',
      why: src.paused ? 'guest paused on the source after an interrupted migration' : 'guest still runs on the source',
      resumeSource: src.paused,
    };
  }
  if (dst.paused && !srcActive) {
    // Between the source's end of a p2p migration and the destination's resume, for a moment.
    if (tries < SWITCHOVER_TRIES)
      return { action: 'retry-later', why: 'guest paused on the destination only: the switch-over may still be finishing' };
    return { action: 'conflict', why: `guest paused on the destination only, still after ${SWITCHOVER_TRIES} checks` };
  }
  if (!srcActive && !dstActive) {
    if (state === 'migrating' && !started) return { action: 'restart-step', why: 'guest not active anywhere and no job started' };
    return { action: 'conflict', why: 'guest is active on neither host' };
  }
  return { action: 'conflict', why: 'unexpected combination' };
}

/**
 * Why a step rolled back with its guest on the source did not move it: the operation was
 * cancelled; else what the source agent recorded for its job (timeout, stall, libvirt, ...);
 * else, with no such record, whether a job had been started (then its end is not known) or not.
 */
export function rollbackReason(
  cancelling: boolean,
  started: boolean,
  sourceReason: FailureReason__Output | undefined,
): FailureReason__Output {
  if (cancelling) return 'FAILURE_REASON_CANCELLED_BY_REQUEST';
  if (sourceReason && sourceReason !== 'FAILURE_REASON_UNSPECIFIED') return sourceReason;
  return started ? 'FAILURE_REASON_UNSETTLED' : 'FAILURE_REASON_NOT_STARTED';
}
