/**
 * Rankers score the hosts that passed every filter; higher is better. The stack compares scores
 * lexicographically in ranker order (not as a weighted sum): an earlier ranker always dominates
 * a later one, so "spread a group" can never be traded for a few more free MiB. Hosts that tie on
 * every score are separated by name, smallest first.
 */
import type { GuestRecord, HostRecord } from '../cluster';
import type { FilterContext } from '../filters/filter';

export interface BoundRanker {
  score(host: HostRecord): number;
}

export interface Ranker {
  readonly name: string;
  /** Undefined when the ranker has no opinion on this guest (every host would score the same). */
  bind(ctx: FilterContext, guest: GuestRecord): BoundRanker | undefined;
}
