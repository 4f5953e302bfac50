/**
 * Planning: where each guest goes, with capacity accounted across the whole plan.
 *
 * Placement order: guests pinned by migrationdest first (they have the fewest choices and must
 * not find their few hosts filled by guests that could go anywhere), then largest memory first,
 * then most vCPUs, then name: first-fit-decreasing packs better than arrival order and places the
 * hardest guests while the most room is left.
 *
 * Execution order (Plan.moves): largest memory first, then name. The big guests take longest to
 * copy; starting them first shortens the whole evacuation (longest-processing-time-first), and
 * nextStartable fills the remaining slots with smaller moves.
 *
 * Alternatives: after every guest has its destination, each move gets the best other host that
 * passes every check with all the plan's placements counted, for the executor's single retry.
 * Moves to a destination the admin named get no alternative.
 *
 * Anti-affinity is a ranking (it wins over free memory whenever a host without a group member
 * has room), so guests of one group share a host only when no such host passes the checks; the
 * plan then carries a warning. The greedy order can in rare cases miss an arrangement that
 * separates every group; it never co-locates while a separate host is available at that step.
 */
import { toIndex, type ClusterIndex, type GuestRecord, type HostRecord } from './cluster';
import { SchedulerError } from './errors';
import { failure } from './filters/filter';
import { storageDecision } from './filters/storage';
import { Ledger } from './ledger';
import { resolvePolicy, type Policy, type PolicyInput } from './policy';
import { Stack, type StackSession } from './stack';
import type { ClusterSnapshot, HostRoom, Move, MoveTarget, Placement, Plan, PlanWarning, StorageDecision, Unplaced } from './types';

const STACK = new Stack();

function cmpStr(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function placementOrder(a: GuestRecord, b: GuestRecord): number {
  const pa = a.dests ? 0 : 1;
  const pb = b.dests ? 0 : 1;
  return pa - pb || b.info.memoryMiB - a.info.memoryMiB || b.info.vcpus - a.info.vcpus || cmpStr(a.name, b.name);
}

interface Placed {
  readonly guest: GuestRecord;
  readonly source: HostRecord;
  readonly dest: HostRecord;
  /** Hosts that passed the placement-independent filters (undefined for a named destination). */
  readonly candidates: readonly HostRecord[] | undefined;
}

function storageFor(session: StackSession, guest: GuestRecord, host: HostRecord): StorageDecision {
  // The storage filter already passed, so a decision exists; the fallback is never taken.
  return storageDecision(guest, host, session.ctx.policy.copyStorage) ?? { mode: 'copy', copyDisks: guest.disks.map((d) => d.id) };
}

function antiAffinityWarning(session: StackSession, guest: GuestRecord, host: HostRecord): PlanWarning | undefined {
  const group = guest.info.antiAffinity;
  if (group === undefined) return undefined;
  const n = session.ctx.ledger.groupCount(group, host);
  if (n <= 0) return undefined;
  return {
    kind: 'anti-affinity',
    guest: guest.name,
    host: host.name,
    group,
    message: failure(
      'anti-affinity',
      `guest ${guest.name} of group ${group} goes to ${host.name}, which already has ${n} guest${n > 1 ? 's' : ''} of that group: no host without one passed the checks`,
      `add room on hosts without a ${group} guest, or split group ${group}`,
    ),
  };
}

function build(
  cluster: ClusterIndex,
  policy: Policy,
  kind: Plan['kind'],
  guests: readonly GuestRecord[],
  unknown: readonly string[],
  destName: string | undefined,
  sourceName?: string,
): Plan {
  const ledger = new Ledger(cluster, policy);
  const session = STACK.session({ cluster, policy, ledger });
  const unplaced: Unplaced[] = unknown.map((name) => {
    const example = failure('guest-known', `no guest named ${name} in the cluster`, `check the name with lsdef`);
    return { guest: name, host: '', reason: example, failures: [{ check: 'guest-known', hosts: cluster.hosts.length, example }] };
  });
  const warnings: PlanWarning[] = [];
  const placed: Placed[] = [];
  const dest = destName === undefined ? undefined : cluster.host(destName);

  for (const g of [...guests].sort(placementOrder)) {
    const source = cluster.host(g.info.host);
    if (destName !== undefined) {
      if (!dest) {
        const example = failure(
          'host-known',
          `no host named ${destName} in the cluster to take guest ${g.name}`,
          `check the host name, or start drover-agent on ${destName}`,
        );
        unplaced.push({ guest: g.name, host: g.info.host, reason: example, failures: [{ check: 'host-known', hosts: 1, example }] });
        continue;
      }
      const results = session.checkAll(g, source, dest);
      const failed = results.filter((r) => !r.pass && !r.soft);
      if (failed.length > 0 || !source) {
        unplaced.push({
          guest: g.name,
          host: g.info.host,
          reason: failed.map((r) => r.message).join(' | '),
          failures: failed.map((r) => ({ check: r.check, hosts: 1, example: r.message })),
        });
        continue;
      }
      const w = antiAffinityWarning(session, g, dest);
      if (w) warnings.push(w);
      ledger.place(g, source, dest);
      placed.push({ guest: g, source, dest, candidates: undefined });
      continue;
    }

    const gf = session.guestFailure(g, source);
    if (gf || !source) {
      const example = gf?.message ?? '';
      unplaced.push({
        guest: g.name,
        host: g.info.host,
        reason: example,
        failures: [{ check: gf?.check ?? 'source-up', hosts: cluster.hosts.length, example }],
      });
      continue;
    }
    const cands = session.candidates(g, source);
    const best = session.pick(g, source, cands.hosts, cands.rejected);
    if (!best) {
      const { reason, failures } = session.explain(g, source, cands.rejected);
      unplaced.push({ guest: g.name, host: g.info.host, reason, failures });
      continue;
    }
    const w = antiAffinityWarning(session, g, best);
    if (w) warnings.push(w);
    ledger.place(g, source, best);
    placed.push({ guest: g, source, dest: best, candidates: cands.hosts });
  }

  const moves: Move[] = placed.map((p) => {
    const alt = p.candidates ? session.pick(p.guest, p.source, p.candidates, undefined, p.dest) : undefined;
    const alternative: MoveTarget | undefined = alt ? { dest: alt.name, storage: storageFor(session, p.guest, alt) } : undefined;
    const move: Move = {
      guest: p.guest.name,
      uuid: p.guest.info.uuid,
      source: p.source.name,
      dest: p.dest.name,
      memoryMiB: p.guest.info.memoryMiB,
      vcpus: p.guest.info.vcpus,
      storage: storageFor(session, p.guest, p.dest),
      attempt: 1,
    };
    return alternative ? { ...move, alternative } : move;
  });
  moves.sort((a, b) => b.memoryMiB - a.memoryMiB || cmpStr(a.guest, b.guest));

  const touched = new Map<string, HostRecord>();
  for (const p of placed) {
    touched.set(p.source.name, p.source);
    touched.set(p.dest.name, p.dest);
  }
  for (const m of moves) {
    const h = m.alternative ? cluster.host(m.alternative.dest) : undefined;
    if (h) touched.set(h.name, h);
  }
  const capacity: HostRoom[] = [...touched.values()].sort((a, b) => cmpStr(a.name, b.name)).map((h) => ledger.baseline(h));

  unplaced.sort((a, b) => cmpStr(a.guest, b.guest));
  warnings.sort((a, b) => cmpStr(a.guest, b.guest));
  const plan: Plan = { kind, moves, unplaced, warnings, capacity };
  return sourceName === undefined ? plan : { ...plan, source: sourceName };
}

/**
 * One plan moving every guest off `sourceHost`. Guests that cannot move (not running, no host
 * passes the checks) are listed in `unplaced` with the reason and stay where they are.
 * Throws SchedulerError('UNKNOWN_HOST') when the host is not in the snapshot.
 */
export function planEvacuation(snapshot: ClusterSnapshot | ClusterIndex, sourceHost: string, policy?: PolicyInput): Plan {
  const cluster = toIndex(snapshot);
  const pol = resolvePolicy(policy);
  if (!cluster.host(sourceHost)) {
    throw new SchedulerError('UNKNOWN_HOST', `cannot evacuate ${sourceHost}: no such host in the cluster`, sourceHost);
  }
  return build(cluster, pol, 'evacuate', cluster.guestsOn(sourceHost), [], undefined, sourceHost);
}

/**
 * A plan for `rmigrate <noderange> [<desthost>]`: every named guest to `dest`, or, without one,
 * each to the best host (as pickDestination, with capacity shared across the guests).
 */
export function planMoves(
  snapshot: ClusterSnapshot | ClusterIndex,
  guests: readonly string[],
  dest: string | undefined,
  policy?: PolicyInput,
): Plan {
  const cluster = toIndex(snapshot);
  const pol = resolvePolicy(policy);
  const names = [...new Set(guests)].sort(cmpStr);
  const known: GuestRecord[] = [];
  const unknown: string[] = [];
  for (const n of names) {
    const g = cluster.guest(n);
    if (g) known.push(g);
    else unknown.push(n);
  }
  return build(cluster, pol, 'migrate', known, unknown, dest);
}

/** The best destination for one guest (`rmigrate <node>` without a destination), or why none. */
export function pickDestination(snapshot: ClusterSnapshot | ClusterIndex, guest: string, policy?: PolicyInput): Placement {
  const plan = planMoves(snapshot, [guest], undefined, policy);
  const move = plan.moves[0];
  if (move) {
    const base = { ok: true as const, guest, dest: move.dest, storage: move.storage, warnings: plan.warnings };
    return move.alternative ? { ...base, alternative: move.alternative } : base;
  }
  const u = plan.unplaced[0];
  return { ok: false, guest, reason: u?.reason ?? '', failures: u?.failures ?? [] };
}
