/**
 * Pacing a plan: which moves may start at this instant, and a replay of a whole plan with given
 * durations (for tests and benchmarks).
 *
 * Capacity at an instant, per host, from the plan's baseline room:
 *   room = baseline − Σ(moves running or done into the host) + Σ(moves done out of the host).
 * A starting move reserves its memory and vCPUs on the destination; the source gives them back
 * only when the move has finished; a failed move gives its reservation back to the destination.
 *
 * A retry (attempt 2, towards the move's alternative) may start once attempt 1 has failed. It may
 * only use room that no not-yet-started planned move into that host needs, so retries can never
 * block the plan's own moves; if that room never appears, the retry never starts.
 *
 * When nextStartable returns nothing while nothing is running, the moves left can never start;
 * the executor should report them (simulateSchedule lists them as `stuck`).
 */
import { resolvePolicy, type PolicyInput } from './policy';
import type { Move, Plan, ScheduleState, Simulation, TimelineEvent } from './types';

type Status = 'running' | 'done' | 'failed';

interface Attempts {
  first?: Status;
  second?: Status;
}

function attemptsOf(state: ScheduleState): Map<string, Attempts> {
  const out = new Map<string, Attempts>();
  const note = (moves: readonly Move[], status: Status): void => {
    for (const m of moves) {
      let a = out.get(m.guest);
      if (!a) out.set(m.guest, (a = {}));
      if (m.attempt === 2) a.second = status;
      else a.first = status;
    }
  };
  note(state.running, 'running');
  note(state.failed, 'failed');
  note(state.done, 'done');
  for (const m of state.failedFinal ?? []) {
    let a = out.get(m.guest);
    if (!a) out.set(m.guest, (a = {}));
    a.first = 'failed';
    a.second ??= 'failed'; // no retry follows
  }
  return out;
}

function bump(m: Map<string, number>, k: string, by: number): void {
  m.set(k, (m.get(k) ?? 0) + by);
}

/** The retry of `m` towards its alternative, or undefined when it has none. */
export function retryOf(m: Move): Move | undefined {
  const { alternative, ...rest } = m;
  if (!alternative) return undefined;
  return { ...rest, dest: alternative.dest, storage: alternative.storage, attempt: 2 };
}

/**
 * Moves from the plan that may start now, in plan order, respecting maxOut per source, maxIn per
 * destination, maxTotal, and room on each destination at this instant. Limits come from `policy`;
 * room comes from the plan's baseline.
 */
export function nextStartable(plan: Plan, state: ScheduleState, policy?: PolicyInput): Move[] {
  const pol = resolvePolicy(policy);
  const mem = new Map<string, number>();
  const vcpu = new Map<string, number>();
  for (const c of plan.capacity) {
    mem.set(c.host, c.memoryMiB);
    vcpu.set(c.host, c.vcpus);
  }
  for (const m of [...state.running, ...state.done]) {
    bump(mem, m.dest, -m.memoryMiB);
    bump(vcpu, m.dest, -m.vcpus);
  }
  for (const m of state.done) {
    bump(mem, m.source, m.memoryMiB);
    bump(vcpu, m.source, m.vcpus);
  }

  const out = new Map<string, number>();
  const into = new Map<string, number>();
  const external = state.external ?? [];
  for (const m of [...state.running, ...external]) {
    bump(out, m.source, 1);
    bump(into, m.dest, 1);
  }
  let total = state.running.length + external.length;

  const attempts = attemptsOf(state);
  // Room still owed to planned moves that have not started, per destination.
  const owedMem = new Map<string, number>();
  const owedVcpu = new Map<string, number>();
  for (const m of plan.moves) {
    if (attempts.get(m.guest)?.first !== undefined) continue;
    bump(owedMem, m.dest, m.memoryMiB);
    bump(owedVcpu, m.dest, m.vcpus);
  }

  const start: Move[] = [];
  for (const m of plan.moves) {
    if (total >= pol.maxTotal) break;
    const a = attempts.get(m.guest);
    let cand: Move | undefined;
    if (a?.first === undefined) cand = m;
    else if (a.first === 'failed' && a.second === undefined) cand = retryOf(m);
    if (!cand) continue;
    if ((out.get(cand.source) ?? 0) >= pol.maxOut || (into.get(cand.dest) ?? 0) >= pol.maxIn) continue;
    const retry = cand.attempt === 2;
    const roomMem = (mem.get(cand.dest) ?? 0) - (retry ? (owedMem.get(cand.dest) ?? 0) : 0);
    const roomVcpu = (vcpu.get(cand.dest) ?? 0) - (retry ? (owedVcpu.get(cand.dest) ?? 0) : 0);
    if (roomMem < cand.memoryMiB || roomVcpu < cand.vcpus) continue;
    start.push(cand);
    total++;
    bump(out, cand.source, 1);
    bump(into, cand.dest, 1);
    bump(mem, cand.dest, -cand.memoryMiB);
    bump(vcpu, cand.dest, -cand.vcpus);
    if (!retry) {
      bump(owedMem, cand.dest, -cand.memoryMiB);
      bump(owedVcpu, cand.dest, -cand.vcpus);
    }
  }
  return start;
}

/** Per-move durations: by guest name (a record or map) or a function of the move (and attempt). */
export type Durations = Readonly<Record<string, number>> | ReadonlyMap<string, number> | ((move: Move) => number);

export interface SimulateOptions {
  /** Which attempts fail (at the end of their duration). Default: none. */
  readonly fails?: (move: Move) => boolean;
}

function durationOf(d: Durations, m: Move): number {
  const v = typeof d === 'function' ? d(m) : d instanceof Map ? d.get(m.guest) : (d as Readonly<Record<string, number>>)[m.guest];
  if (v === undefined || !Number.isFinite(v) || v < 0) {
    throw new RangeError(`simulateSchedule: no usable duration for guest ${m.guest} (got ${String(v)})`);
  }
  return v;
}

/**
 * Replays the plan: at time 0 and whenever moves end, starts what nextStartable allows. Moves ending
 * at one instant are all recorded (in guest order) before anything new starts.
 */
export function simulateSchedule(
  plan: Plan,
  policy: PolicyInput | undefined,
  durations: Durations,
  options: SimulateOptions = {},
): Simulation {
  const fails = options.fails ?? (() => false);
  const events: TimelineEvent[] = [];
  let running: { move: Move; end: number; fail: boolean }[] = [];
  const done: Move[] = [];
  const failed: Move[] = [];
  let t = 0;
  let peak = 0;
  for (;;) {
    const state: ScheduleState = { running: running.map((r) => r.move), done, failed };
    for (const m of nextStartable(plan, state, policy)) {
      running.push({ move: m, end: t + durationOf(durations, m), fail: fails(m) });
      events.push({ at: t, kind: 'start', move: m });
    }
    peak = Math.max(peak, running.length);
    if (running.length === 0) break;
    t = Math.min(...running.map((r) => r.end));
    const now = t;
    const ending = running
      .filter((r) => r.end === now)
      .sort((a, b) => (a.move.guest < b.move.guest ? -1 : a.move.guest > b.move.guest ? 1 : a.move.attempt - b.move.attempt));
    running = running.filter((r) => r.end !== now);
    for (const r of ending) {
      (r.fail ? failed : done).push(r.move);
      events.push({ at: now, kind: r.fail ? 'fail' : 'finish', move: r.move });
    }
  }

  const doneGuests = new Set(done.map((m) => m.guest));
  const failedGuests: string[] = [];
  const stuck: string[] = [];
  for (const m of plan.moves) {
    if (doneGuests.has(m.guest)) continue;
    const tried = failed.filter((f) => f.guest === m.guest);
    const final = tried.some((f) => f.attempt === 2) || (tried.length > 0 && !m.alternative);
    (final ? failedGuests : stuck).push(m.guest);
  }
  return {
    events,
    makespan: t,
    done: [...doneGuests].sort(),
    failed: failedGuests.sort(),
    stuck: stuck.sort(),
    peakRunning: peak,
  };
}
