/**
 * The stack composes guest checks, filters and rankers into placement, as Nomad's stack chains
 * feasibility iterators and rank iterators: guest checks → source-scope filters (cached per source
 * host) → guest-scope filters → capacity filters → rankers → best host.
 */
import type { GuestRecord, HostRecord } from './cluster';
import { DEFAULT_FILTERS, GUEST_CHECKS, type BoundFilter, type Filter, type FilterContext, type GuestCheck } from './filters';
import { failure, list } from './filters/filter';
import { storageDecision } from './filters/storage';
import { DEFAULT_RANKERS, type BoundRanker, type Ranker } from './rankers';
import type { CheckName, CheckResult, FilterCount } from './types';

interface Rejection {
  hosts: number;
  /** First host (in name order) this filter refused. */
  first: HostRecord;
  filter: Filter;
  /** Set when the message had to be written at once (capacity changes later). */
  message?: string;
}

export type Rejections = Map<CheckName, Rejection>;

export interface Candidates {
  /** Hosts passing every source- and guest-scope filter, in name order. */
  readonly hosts: readonly HostRecord[];
  readonly rejected: Rejections;
}

interface Pool {
  readonly hosts: readonly HostRecord[];
  readonly rejected: Rejections;
}

function reject(into: Rejections, filter: Filter, h: HostRecord): void {
  const r = into.get(filter.check);
  if (r) r.hosts++;
  else into.set(filter.check, { hosts: 1, first: h, filter });
}

function mergeInto(into: Rejections, from: Rejections): void {
  for (const [k, r] of from) {
    const cur = into.get(k);
    if (cur) cur.hosts += r.hosts;
    else into.set(k, { ...r });
  }
}

export class Stack {
  readonly sourceFilters: readonly Filter[];
  readonly guestFilters: readonly Filter[];
  readonly capacityFilters: readonly Filter[];

  constructor(
    readonly filters: readonly Filter[] = DEFAULT_FILTERS,
    readonly rankers: readonly Ranker[] = DEFAULT_RANKERS,
    readonly guestChecks: readonly GuestCheck[] = GUEST_CHECKS,
  ) {
    this.sourceFilters = filters.filter((f) => f.scope === 'source');
    this.guestFilters = filters.filter((f) => f.scope === 'guest');
    this.capacityFilters = filters.filter((f) => f.scope === 'capacity');
  }

  session(ctx: FilterContext): StackSession {
    return new StackSession(this, ctx);
  }
}

/** One planning run: holds the context and the per-source pools. */
export class StackSession {
  private readonly pools = new Map<string, Pool>();

  constructor(
    readonly stack: Stack,
    readonly ctx: FilterContext,
  ) {}

  /** The first guest check the guest fails, with its message. */
  guestFailure(guest: GuestRecord, source: HostRecord | undefined, dest?: string): { check: CheckName; message: string } | undefined {
    for (const c of this.stack.guestChecks) {
      const message = c.evaluate(this.ctx, guest, source, dest);
      if (message !== undefined) return { check: c.check, message };
    }
    return undefined;
  }

  private pool(guest: GuestRecord, source: HostRecord | undefined): Pool {
    const key = source?.name ?? guest.info.host;
    const hit = this.pools.get(key);
    if (hit) return hit;
    const bound = this.stack.sourceFilters.map((f) => [f, f.bind(this.ctx, guest, source)] as const);
    const hosts: HostRecord[] = [];
    const rejected: Rejections = new Map();
    outer: for (const h of this.ctx.cluster.hosts) {
      // The guest's own host is never a candidate; counting it as refused would only add noise
      // to the reasons (checkMove still reports not-source when asked about it).
      if (h === source) continue;
      for (const [f, b] of bound) {
        if (!b.feasible(h)) {
          reject(rejected, f, h);
          continue outer;
        }
      }
      hosts.push(h);
    }
    const pool = { hosts, rejected };
    this.pools.set(key, pool);
    return pool;
  }

  /** Hosts that pass every filter whose answer does not depend on other placements. */
  candidates(guest: GuestRecord, source: HostRecord | undefined): Candidates {
    const pool = this.pool(guest, source);
    const rejected: Rejections = new Map();
    mergeInto(rejected, pool.rejected);
    const bound: (readonly [Filter, BoundFilter])[] = [];
    for (const f of this.stack.guestFilters) {
      const b = f.bind(this.ctx, guest, source);
      if (!b.trivial) bound.push([f, b]);
    }
    if (bound.length === 0) return { hosts: pool.hosts, rejected };
    const hosts: HostRecord[] = [];
    outer: for (const h of pool.hosts) {
      for (const [f, b] of bound) {
        if (!b.feasible(h)) {
          reject(rejected, f, h);
          continue outer;
        }
      }
      hosts.push(h);
    }
    return { hosts, rejected };
  }

  /**
   * The best host among `hosts` that has room now (skipping `exclude`), or undefined with the
   * capacity rejections added to `rejected` (messages written now, while the numbers are true).
   */
  pick(
    guest: GuestRecord,
    source: HostRecord | undefined,
    hosts: readonly HostRecord[],
    rejected?: Rejections,
    exclude?: HostRecord,
  ): HostRecord | undefined {
    const caps: (readonly [Filter, BoundFilter])[] = [];
    for (const f of this.stack.capacityFilters) {
      const b = f.bind(this.ctx, guest, source);
      if (!b.trivial) caps.push([f, b]);
    }
    const rankers: BoundRanker[] = [];
    for (const r of this.stack.rankers) {
      const b = r.bind(this.ctx, guest);
      if (b) rankers.push(b);
    }
    const n = rankers.length;
    const scores = new Float64Array(n);
    const bestScores = new Float64Array(n);
    let best: HostRecord | undefined;
    const local: Rejections = new Map();
    outer: for (const h of hosts) {
      if (h === exclude) continue;
      for (const [f, b] of caps) {
        if (!b.feasible(h)) {
          reject(local, f, h);
          continue outer;
        }
      }
      for (let i = 0; i < n; i++) scores[i] = rankers[i]!.score(h);
      if (best === undefined || better(scores, bestScores, h, best)) {
        best = h;
        bestScores.set(scores);
      }
    }
    if (best === undefined && rejected) {
      for (const [check, r] of local) {
        const b = caps.find(([f]) => f.check === check)?.[1];
        rejected.set(check, { ...r, message: b?.explain(r.first) });
      }
    }
    return best;
  }

  /** Turns rejections into the unplaced record's failures (most hosts first) and reason line. */
  explain(guest: GuestRecord, source: HostRecord | undefined, rejected: Rejections): { reason: string; failures: FilterCount[] } {
    const order = this.stack.filters;
    const failures: FilterCount[] = [...rejected.values()]
      .sort((a, b) => b.hosts - a.hosts || order.indexOf(a.filter) - order.indexOf(b.filter))
      .map((r) => ({
        check: r.filter.check,
        hosts: r.hosts,
        example: r.message ?? r.filter.bind(this.ctx, guest, source).explain(r.first),
      }));
    const from = guest.info.host;
    const top = failures[0];
    if (!top) {
      return {
        reason: failure('host-known', `guest ${guest.name} on ${from} has no other host to go to`, `add hypervisor hosts to the cluster`),
        failures,
      };
    }
    const tally = list(failures.map((f) => `${f.hosts} host${f.hosts > 1 ? 's' : ''} failed ${f.check}`));
    return { reason: `no host can take guest ${guest.name} from ${from} (${tally}); e.g. ${top.example}`, failures };
  }

  /** Every check for one guest against one named host, as checkMove reports them. */
  checkAll(guest: GuestRecord, source: HostRecord | undefined, dest: HostRecord): CheckResult[] {
    const out: CheckResult[] = [];
    for (const c of this.stack.guestChecks) {
      const message = c.evaluate(this.ctx, guest, source, dest.name);
      out.push({ check: c.check, pass: message === undefined, soft: false, message: message ?? c.note(guest) });
    }
    out.push({ check: 'host-known', pass: true, soft: false, message: `${dest.name} is in the cluster` });
    for (const f of this.stack.filters) {
      const b = f.bind(this.ctx, guest, source);
      const pass = b.feasible(dest);
      const r: CheckResult = { check: f.check, pass, soft: false, message: pass ? b.note(dest) : b.explain(dest) };
      if (pass && f.check === 'storage') {
        const storage = storageDecision(guest, dest, this.ctx.policy.copyStorage);
        out.push(storage ? { ...r, storage } : r);
      } else out.push(r);
    }
    out.push(antiAffinityCheck(this.ctx, guest, dest));
    return out;
  }
}

function better(s: Float64Array, best: Float64Array, h: HostRecord, bestHost: HostRecord): boolean {
  for (let i = 0; i < s.length; i++) {
    if (s[i]! > best[i]!) return true;
    if (s[i]! < best[i]!) return false;
  }
  return h.name < bestHost.name;
}

/** The soft check: does the destination already hold a guest of the same anti-affinity group? */
export function antiAffinityCheck(ctx: FilterContext, guest: GuestRecord, dest: HostRecord): CheckResult {
  const group = guest.info.antiAffinity;
  if (group === undefined) return { check: 'anti-affinity', pass: true, soft: true, message: `${guest.name} has no anti-affinity group` };
  const n = ctx.ledger.groupCount(group, dest) - (guest.info.host === dest.name ? 1 : 0);
  if (n <= 0) return { check: 'anti-affinity', pass: true, soft: true, message: `${dest.name} has no other guest of group ${group}` };
  return {
    check: 'anti-affinity',
    pass: false,
    soft: true,
    message: failure(
      'anti-affinity',
      `${dest.name} already has ${n} guest${n > 1 ? 's' : ''} of group ${group}, which guest ${guest.name} belongs to`,
      `pick a host without a ${group} guest, or accept the shared host`,
    ),
  };
}
