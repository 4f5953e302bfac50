/**
 * Feasibility filters: one small check per file, in the manner of Nomad's feasibility iterators.
 * A filter is bound to one guest (and its source host) and then asked about many hosts.
 */
import type { ClusterIndex, GuestRecord, HostRecord } from '../cluster';
import type { Ledger } from '../ledger';
import type { Policy } from '../policy';
import type { CheckName } from '../types';

export interface FilterContext {
  readonly cluster: ClusterIndex;
  readonly policy: Policy;
  readonly ledger: Ledger;
}

/**
 * What a filter's answer depends on, which decides how often the stack asks it:
 * - `source`: only the destination and the guest's source host (asked once per source, cached);
 * - `guest`: the guest and the destination, not other placements (asked once per guest);
 * - `capacity`: the placements made so far (asked at every pick).
 */
export type FilterScope = 'source' | 'guest' | 'capacity';

export interface BoundFilter {
  /** True when the filter passes every host for this guest; the stack then skips it. */
  readonly trivial: boolean;
  feasible(host: HostRecord): boolean;
  /** The failure message for a host `feasible` refused: names check, guest, host and fix. */
  explain(host: HostRecord): string;
  /** A short note for a host that passes. */
  note(host: HostRecord): string;
}

export interface Filter {
  readonly check: CheckName;
  readonly scope: FilterScope;
  bind(ctx: FilterContext, guest: GuestRecord, source: HostRecord | undefined): BoundFilter;
}

/** Checks that depend on the guest alone (its state, its source); a failure rules out every host. */
export interface GuestCheck {
  readonly check: CheckName;
  /** The failure message, or undefined when the guest passes. `dest` only flavours the message. */
  evaluate(ctx: FilterContext, guest: GuestRecord, source: HostRecord | undefined, dest?: string): string | undefined;
  note(guest: GuestRecord): string;
}

/** Formats a failure the same way everywhere: `<check>: <what is wrong>; fix: <what to do>`. */
export function failure(check: CheckName, what: string, fix: string): string {
  return `${check}: ${what}; fix: ${fix}`;
}

/** Lists names readably: `a`, `a and b`, `a, b and c`. */
export function list(names: readonly string[]): string {
  if (names.length <= 1) return names.join('');
  return `${names.slice(0, -1).join(', ')} and ${names[names.length - 1]}`;
}
