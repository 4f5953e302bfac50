/**
 * Planning an operation: the policy (site, then the request's overrides), the snapshot, the
 * pure scheduler's plan, the checks a dry run shows (the scheduler's, then reachability and CPU
 * asked of the agents). Nothing is journaled here; the engine journals what comes out.
 */
import * as grpc from '@grpc/grpc-js';
import { DroverError, type Check__Output } from '@drover/contract';
import {
  checkMove,
  planEvacuation,
  planMoves,
  resolvePolicy,
  SchedulerError,
  type InFlightMove,
  type Plan,
  type Policy,
  type PolicyInput,
} from '../scheduler/index.js';
import { check, schedulerCheck } from './checks.js';
import { fail, type StepRunner } from './runner.js';
import type { Agents, Cluster } from './deps.js';

export interface Planned {
  plan: Plan;
  checks: Check__Output[];
}

export class Planner {
  constructor(private readonly d: { agents: Agents; cluster: Cluster; runner: StepRunner; inFlight: () => InFlightMove[] }) {}

  /** The site's policy with the request's non-empty overrides. */
  async policy(over: Partial<Policy>): Promise<Policy> {
    const p: PolicyInput = { ...(await this.d.cluster.sitePolicy()) };
    for (const [k, v] of Object.entries(over) as [string, unknown][])
      if (v !== undefined && v !== 0 && v !== '') (p as Record<string, unknown>)[k] = v;
    try {
      return resolvePolicy(p);
    } catch (e) {
      throw new DroverError('INVALID_ARGUMENT', (e as Error).message, { status: grpc.status.INVALID_ARGUMENT });
    }
  }

  /** rmigrate: the moves of `nodes` (to `dest`, or where the scheduler picks). */
  async migration(nodes: string[], dest: string, policy: Policy, dryRun: boolean): Promise<Planned> {
    const { cluster } = this.d;
    let snap = await cluster.snapshot(this.d.inFlight(), new Set(nodes));
    let known = new Set(snap.guests.filter((g) => g.state === 'running' || g.state === 'paused').map((g) => g.name));
    const unsure = nodes.filter((n) => !known.has(n));
    if (unsure.length) {
      // The reported inventory may lag a guest just started: ask its host before refusing.
      const recorded = await cluster.recordedHosts(unsure);
      await Promise.all(
        unsure.map(async (n) => {
          const h = recorded.get(n);
          if (!h) return;
          const g = await this.d.agents.call(h, 'GetGuest', { guest: n }, { deadlineMs: 10_000 }).catch(() => undefined);
          if (g) cluster.noteGuest(h, g);
        }),
      );
      snap = await cluster.snapshot(this.d.inFlight(), new Set(nodes));
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
    return { plan, checks };
  }

  /** revacuate: one plan for every guest on `host`, from what the host says now. */
  async evacuation(host: string, policy: Policy, dryRun: boolean): Promise<Planned> {
    const { cluster } = this.d;
    // Plan from what the host says now, not from a report that may lag a guest just started.
    const live = await this.d.agents.call(host, 'ListGuests', {}, { deadlineMs: 15_000 }).catch(() => undefined);
    for (const g of live?.guests ?? []) cluster.noteGuest(host, g);
    const snap = await cluster.snapshot(this.d.inFlight(), new Set(cluster.guestsOn(host)));
    const plan = planEvacuation(snap, host, policy);
    return { plan, checks: dryRun ? await this.hostChecks(plan) : [] };
  }

  /**
   * For --dry-run: the reachability check of every move (one TCP connect per host pair) and its CPU
   * check (per guest: guests on one host may run with different CPUs), all in parallel.
   */
  private async hostChecks(plan: Plan): Promise<Check__Output[]> {
    const { runner, cluster } = this.d;
    const pairs = new Map<string, Promise<{ ok: boolean; message: string }>>();
    for (const m of plan.moves) {
      const uri = cluster.host(m.dest)?.facts?.migrationUri;
      const key = `${m.source}>${m.dest}`;
      if (uri && !pairs.has(key)) pairs.set(key, runner.reachable(m.source, m.dest, uri));
    }
    // A dry run answers within seconds: a host that does not answer in 3 s fails the check.
    const cpus = plan.moves.map((m) =>
      runner.cpuCheck(m.source, m.dest, m.guest, 3000).catch((e: Error) => ({ ok: false, message: e.message })),
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
}
