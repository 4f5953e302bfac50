/**
 * The Ledger tracks room on every host while a plan is built. Room starts at the baseline
 * (free memory − headroom − in-flight reservations; vCPU limit − active vCPUs − in-flight
 * reservations) and shrinks with every placement. Departures planned in the same plan do not give
 * room back: moves may run in any order and at once, so a destination must hold all its arrivals
 * while every guest it sends away may still be there. That makes any execution order feasible.
 *
 * Anti-affinity counts, in contrast, describe the end state: a planned departure lowers its
 * group's count on the source, a planned arrival raises it on the destination.
 */
import type { ClusterIndex, GuestRecord, HostRecord } from './cluster';
import { headroomMiB, type Policy } from './policy';
import type { HostRoom } from './types';

/** Baseline room of one host under a policy, before anything in the plan. */
export function baselineRoom(h: HostRecord, policy: Policy): { memoryMiB: number; vcpus: number } {
  return {
    memoryMiB: h.freeMiB - headroomMiB(policy, h.capacityMiB) - h.inFlightMemMiB,
    vcpus: Math.floor(h.cpus * policy.vcpuOvercommit) - h.activeVcpus - h.inFlightVcpus,
  };
}

export class Ledger {
  private readonly mem: Float64Array;
  private readonly vcpu: Float64Array;
  private readonly plannedMem: Float64Array;
  private readonly groupDelta = new Map<string, Map<number, number>>();

  constructor(
    readonly cluster: ClusterIndex,
    readonly policy: Policy,
  ) {
    const n = cluster.hosts.length;
    this.mem = new Float64Array(n);
    this.vcpu = new Float64Array(n);
    this.plannedMem = new Float64Array(n);
    for (const h of cluster.hosts) {
      const b = baselineRoom(h, policy);
      this.mem[h.ord] = b.memoryMiB;
      this.vcpu[h.ord] = b.vcpus;
    }
  }

  memRoom(h: HostRecord): number {
    return this.mem[h.ord]!;
  }

  vcpuRoom(h: HostRecord): number {
    return this.vcpu[h.ord]!;
  }

  /** Memory already promised to arrivals in this plan. */
  plannedMemMiB(h: HostRecord): number {
    return this.plannedMem[h.ord]!;
  }

  headroomMiB(h: HostRecord): number {
    return headroomMiB(this.policy, h.capacityMiB);
  }

  /** Guests of `group` on the host once the plan so far is carried out. */
  groupCount(group: string, h: HostRecord): number {
    return this.cluster.groupCount(group, h.ord) + (this.groupDelta.get(group)?.get(h.ord) ?? 0);
  }

  /** Records `guest` moving from `from` (if known) to `to`. */
  place(guest: GuestRecord, from: HostRecord | undefined, to: HostRecord): void {
    this.mem[to.ord] = this.mem[to.ord]! - guest.info.memoryMiB;
    this.vcpu[to.ord] = this.vcpu[to.ord]! - guest.info.vcpus;
    this.plannedMem[to.ord] = this.plannedMem[to.ord]! + guest.info.memoryMiB;
    const group = guest.info.antiAffinity;
    if (group !== undefined) {
      let d = this.groupDelta.get(group);
      if (!d) this.groupDelta.set(group, (d = new Map()));
      d.set(to.ord, (d.get(to.ord) ?? 0) + 1);
      if (from) d.set(from.ord, (d.get(from.ord) ?? 0) - 1);
    }
  }

  baseline(h: HostRecord): HostRoom {
    const b = baselineRoom(h, this.policy);
    return { host: h.name, memoryMiB: b.memoryMiB, vcpus: b.vcpus };
  }
}
