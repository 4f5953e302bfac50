import { SchedulerError } from './errors';

export type CopyStorage = 'auto' | 'always' | 'never';

/**
 * Placement and pacing knobs.
 *
 * Memory headroom: a host keeps `max(memoryHeadroomMiB, ceil(memoryHeadroomFraction × capacity))`
 * MiB free that no placement may use (defaults: 256 MiB, fraction 0, i.e. a flat 256 MiB). The
 * fraction is there for fleets mixing small and very large hosts.
 *
 * vCPU overcommit: a host takes guests until their vCPUs reach `cpus × vcpuOvercommit` (default 4).
 *
 * Pacing: at most `maxOut` moves leave one host at once (2), `maxIn` arrive at one host (2), and
 * `maxTotal` run in the whole cluster (8).
 *
 * copyStorage: `auto` uses shared storage when every disk is on storage the destination reaches
 * and copies the others; `never` refuses a destination that would need a copy; `always` copies
 * every disk even when its storage is declared shared (for sites whose declarations are not
 * trusted, or storage that is per-host behind one URL).
 */
export interface Policy {
  readonly memoryHeadroomMiB: number;
  readonly memoryHeadroomFraction: number;
  readonly vcpuOvercommit: number;
  readonly maxOut: number;
  readonly maxIn: number;
  readonly maxTotal: number;
  readonly copyStorage: CopyStorage;
}

export type PolicyInput = Partial<Policy>;

export const DEFAULT_POLICY: Policy = Object.freeze({
  memoryHeadroomMiB: 256,
  memoryHeadroomFraction: 0,
  vcpuOvercommit: 4,
  maxOut: 2,
  maxIn: 2,
  maxTotal: 8,
  copyStorage: 'auto',
});

function bad(field: keyof Policy, what: string): never {
  throw new SchedulerError('BAD_POLICY', `policy.${field} ${what}`, field);
}

/** Fills defaults and validates; throws SchedulerError('BAD_POLICY') on nonsense values. */
export function resolvePolicy(input?: PolicyInput): Policy {
  const p: Policy = { ...DEFAULT_POLICY, ...stripUndefined(input ?? {}) };
  if (!(p.memoryHeadroomMiB >= 0 && Number.isFinite(p.memoryHeadroomMiB))) bad('memoryHeadroomMiB', 'must be a finite number >= 0');
  if (!(p.memoryHeadroomFraction >= 0 && p.memoryHeadroomFraction < 1)) bad('memoryHeadroomFraction', 'must be in [0, 1)');
  if (!(p.vcpuOvercommit > 0 && Number.isFinite(p.vcpuOvercommit))) bad('vcpuOvercommit', 'must be a finite number > 0');
  for (const f of ['maxOut', 'maxIn', 'maxTotal'] as const) {
    if (!(Number.isInteger(p[f]) && p[f] >= 1)) bad(f, 'must be an integer >= 1');
  }
  if (p.copyStorage !== 'auto' && p.copyStorage !== 'always' && p.copyStorage !== 'never') {
    bad('copyStorage', "must be 'auto', 'always' or 'never'");
  }
  return Object.freeze(p);
}

function stripUndefined(input: PolicyInput): PolicyInput {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(input)) if (v !== undefined) out[k] = v;
  return out as PolicyInput;
}

/** The memory a host keeps free whatever is placed on it. */
export function headroomMiB(policy: Policy, capacityMiB: number): number {
  return Math.max(policy.memoryHeadroomMiB, Math.ceil(policy.memoryHeadroomFraction * capacityMiB));
}
