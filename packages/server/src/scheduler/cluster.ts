/**
 * ClusterIndex: a snapshot with the lookups placement needs, built in one pass over hosts, guests,
 * storage and in-flight moves (O(hosts + guests)). Every planning call builds one unless handed
 * one; a caller planning repeatedly on one snapshot can build it once with `indexSnapshot`.
 *
 * Host usage (what a host already carries):
 * - active memory / vCPUs: the sum over guests defined on the host whose state holds resources
 *   (running, paused, pmsuspended, unknown);
 * - free memory: with a `hypervisor` table memory override, override − active memory; otherwise
 *   the smaller of the agent's reported free memory and total − active memory (the report sees
 *   the host's own use, the sum sees guests that have not yet touched their memory);
 * - in-flight reservations: memory and vCPUs of guests migrating towards the host (a guest whose
 *   snapshot host is already the destination is counted once, as active).
 */
import type { GuestDisk, GuestInfo, GuestState, HostInfo, InFlightMove, ClusterSnapshot } from './types';
import { SchedulerError } from './errors';
import { prepareHostCpu, type HostCpu } from './filters/cpu-models';

export interface HostRecord {
  /** Position in name order; used to index per-host arrays. */
  readonly ord: number;
  readonly name: string;
  readonly info: HostInfo;
  readonly cpu: HostCpu;
  /** Hosts with identical CPU descriptions share an id (and a HostCpu). */
  readonly cpuId: number;
  /** As reported; lists are short, so lookups scan them rather than build a Set per host. */
  readonly bridges: readonly string[];
  /** Reported storage URLs without trailing slashes. */
  readonly storage: readonly string[];
  /** Memory override, else reported total. */
  readonly capacityMiB: number;
  /** CPU override, else reported cpus. */
  readonly cpus: number;
  readonly activeMemMiB: number;
  readonly activeVcpus: number;
  /** Free memory before headroom and in-flight reservations (see the file comment). */
  readonly freeMiB: number;
  readonly inFlightMemMiB: number;
  readonly inFlightVcpus: number;
}

export interface StorageRecord {
  readonly url: string;
  readonly shared: boolean;
  readonly hosts: ReadonlySet<string>;
}

export interface DiskRecord {
  readonly disk: GuestDisk;
  /** Device name, or URL when there is none. */
  readonly id: string;
  /** The storage entry holding the disk; undefined means host-local storage. */
  readonly storage: StorageRecord | undefined;
}

export interface GuestRecord {
  readonly name: string;
  readonly info: GuestInfo;
  readonly active: boolean;
  /** Distinct NIC bridges, sorted. */
  readonly bridges: readonly string[];
  /** `migrationdest` as a set, or undefined when the guest may go anywhere. */
  readonly dests: ReadonlySet<string> | undefined;
  readonly disks: readonly DiskRecord[];
  readonly inFlight: InFlightMove | undefined;
}

/** Whether a guest in this state holds its memory and vCPUs on its host (unknown states do). */
export function holdsResources(state: GuestState): boolean {
  return state !== 'shutoff' && state !== 'crashed';
}

interface MutableHost {
  ord: number;
  name: string;
  info: HostInfo;
  cpu: HostCpu;
  cpuId: number;
  bridges: readonly string[];
  storage: readonly string[];
  capacityMiB: number;
  cpus: number;
  activeMemMiB: number;
  activeVcpus: number;
  freeMiB: number;
  inFlightMemMiB: number;
  inFlightVcpus: number;
}

function byName(a: { name: string }, b: { name: string }): number {
  return a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
}

function trimSlash(url: string): string {
  let u = url;
  while (u.length > 1 && u.endsWith('/')) u = u.slice(0, -1);
  return u;
}

export class ClusterIndex {
  /** All hosts, sorted by name. */
  readonly hosts: readonly HostRecord[];
  private readonly hostByName = new Map<string, HostRecord>();
  /** Name → guest; built on the first lookup by name (an evacuation never needs it). */
  private byName: Map<string, GuestInfo> | undefined;
  private readonly guestRecords = new Map<string, GuestRecord>();
  /** Guests per host, by host ord; guests of hosts missing from the snapshot in `orphans`. */
  private readonly onHost: GuestInfo[][];
  private readonly orphans = new Map<string, GuestInfo[]>();
  /** group → host ord → guests of the group defined on (or migrating to) the host. */
  private readonly groups = new Map<string, Map<number, number>>();
  private readonly storageByUrl = new Map<string, StorageRecord>();
  private readonly inFlightByGuest = new Map<string, InFlightMove>();

  constructor(readonly snapshot: ClusterSnapshot) {
    const sorted = [...snapshot.hosts].sort(byName);
    const cpuIds = new Map<string, { id: number; cpu: HostCpu }>();
    const hosts: MutableHost[] = [];
    for (const info of sorted) {
      if (this.hostByName.has(info.name)) {
        throw new SchedulerError('DUPLICATE_HOST', `snapshot lists host ${info.name} twice`, info.name);
      }
      // Identical descriptions share one prepared CPU (and one compatibility verdict per guest).
      // Features are not sorted for the key: a host listing them in another order only costs a
      // second verdict, never a wrong one.
      const key = `${info.cpu.model}\u0000${info.cpu.features.join(',')}`;
      let cpu = cpuIds.get(key);
      if (!cpu) {
        cpu = { id: cpuIds.size, cpu: prepareHostCpu(info.cpu) };
        cpuIds.set(key, cpu);
      }
      const rec: MutableHost = {
        ord: hosts.length,
        name: info.name,
        info,
        cpu: cpu.cpu,
        cpuId: cpu.id,
        bridges: info.bridges,
        storage: info.storage.some((u) => u.endsWith('/')) ? info.storage.map(trimSlash) : info.storage,
        capacityMiB: info.overrides?.memoryMiB ?? info.memoryTotalMiB,
        cpus: info.overrides?.cpus ?? info.cpus,
        activeMemMiB: 0,
        activeVcpus: 0,
        freeMiB: 0,
        inFlightMemMiB: 0,
        inFlightVcpus: 0,
      };
      hosts.push(rec);
      this.hostByName.set(info.name, rec);
    }
    this.hosts = hosts;

    for (const m of snapshot.inFlight) {
      if (this.inFlightByGuest.has(m.guest)) {
        throw new SchedulerError('DUPLICATE_IN_FLIGHT', `snapshot lists two moves in flight for guest ${m.guest}`, m.guest);
      }
      this.inFlightByGuest.set(m.guest, m);
    }
    this.onHost = this.indexGuests(snapshot.guests);
    for (const h of hosts) {
      h.freeMiB =
        h.info.overrides?.memoryMiB !== undefined
          ? h.capacityMiB - h.activeMemMiB
          : Math.min(h.info.memoryFreeMiB, h.info.memoryTotalMiB - h.activeMemMiB);
    }

    for (const s of snapshot.storage) {
      const url = trimSlash(s.url);
      const prev = this.storageByUrl.get(url);
      // Two entries for one URL merge conservatively: shared only if both say so.
      const hostsSet = new Set<string>(prev ? prev.hosts : []);
      for (const n of s.hosts) hostsSet.add(n);
      this.storageByUrl.set(url, { url, shared: (prev?.shared ?? true) && s.shared, hosts: hostsSet });
    }

    for (const m of snapshot.inFlight) {
      const g = this.findMoving(m);
      const dest = this.hostByName.get(m.dest) as MutableHost | undefined;
      if (!g || !dest || g.host === m.dest) continue;
      dest.inFlightMemMiB += g.memoryMiB;
      dest.inFlightVcpus += g.vcpus;
      if (g.antiAffinity !== undefined) this.bumpGroup(g.antiAffinity, dest.ord);
    }
  }

  /** The one pass over every guest: usage per host, guests per host, group counts. */
  private indexGuests(guests: readonly GuestInfo[]): GuestInfo[][] {
    const onHost: GuestInfo[][] = this.hosts.map(() => []);
    const byName = this.hostByName as Map<string, MutableHost>;
    let last: MutableHost | undefined;
    for (const g of guests) {
      const h = last !== undefined && last.name === g.host ? last : byName.get(g.host);
      if (!h) {
        let list = this.orphans.get(g.host);
        if (!list) this.orphans.set(g.host, (list = []));
        list.push(g);
        continue;
      }
      last = h;
      (onHost[h.ord] as GuestInfo[]).push(g);
      if (holdsResources(g.state)) {
        h.activeMemMiB += g.memoryMiB;
        h.activeVcpus += g.vcpus;
      }
      if (g.antiAffinity !== undefined) this.bumpGroup(g.antiAffinity, h.ord);
    }
    return onHost;
  }

  /** The guest of an in-flight move: looked for on its source first, so no name index is needed. */
  private findMoving(m: InFlightMove): GuestInfo | undefined {
    const src = this.hostByName.get(m.source);
    const list = src ? this.onHost[src.ord] : this.orphans.get(m.source);
    return list?.find((g) => g.name === m.guest) ?? this.names().get(m.guest);
  }

  private bumpGroup(group: string, ord: number): void {
    let m = this.groups.get(group);
    if (!m) this.groups.set(group, (m = new Map()));
    m.set(ord, (m.get(ord) ?? 0) + 1);
  }

  /** The name → guest map, built (and checked for duplicate names) on first use. */
  private names(): Map<string, GuestInfo> {
    if (this.byName) return this.byName;
    const m = new Map<string, GuestInfo>();
    for (const g of this.snapshot.guests) {
      if (m.has(g.name)) throw new SchedulerError('DUPLICATE_GUEST', `snapshot lists guest ${g.name} twice`, g.name);
      m.set(g.name, g);
    }
    this.byName = m;
    return m;
  }

  host(name: string): HostRecord | undefined {
    return this.hostByName.get(name);
  }

  hasGuest(name: string): boolean {
    return this.names().has(name);
  }

  /** The guest with its derived facts (built on first use and kept). */
  guest(name: string): GuestRecord | undefined {
    const hit = this.guestRecords.get(name);
    if (hit) return hit;
    const info = this.names().get(name);
    return info ? this.record(info) : undefined;
  }

  private record(info: GuestInfo): GuestRecord {
    const hit = this.guestRecords.get(info.name);
    if (hit) return hit;
    // An empty migrationdest (empty string or list) means the column is unset.
    const md = info.migrationdest;
    const dests = new Set((md === undefined ? [] : typeof md === 'string' ? [md] : md).filter((d) => d !== ''));
    const rec: GuestRecord = {
      name: info.name,
      info,
      active: holdsResources(info.state),
      bridges: [...new Set(info.nicBridges)].sort(),
      dests: dests.size === 0 ? undefined : dests,
      disks: info.disks.map((disk) => ({ disk, id: disk.device ?? disk.url, storage: this.storageFor(disk.url) })),
      inFlight: this.inFlightByGuest.get(info.name),
    };
    this.guestRecords.set(info.name, rec);
    return rec;
  }

  /**
   * Guests defined on a host, sorted by name. Duplicate names among them are an error (checked
   * here so an evacuation need not index every guest name in the cluster).
   */
  guestsOn(host: string): GuestRecord[] {
    const h = this.hostByName.get(host);
    const list = (h ? this.onHost[h.ord] : this.orphans.get(host)) ?? [];
    const sorted = [...list].sort(byName);
    for (let i = 1; i < sorted.length; i++) {
      const name = (sorted[i] as GuestInfo).name;
      if (name === (sorted[i - 1] as GuestInfo).name) {
        throw new SchedulerError('DUPLICATE_GUEST', `snapshot lists guest ${name} twice`, name);
      }
    }
    return sorted.map((g) => this.record(g));
  }

  /** Guests of `group` defined on, or migrating to, the host at `ord`. */
  groupCount(group: string, ord: number): number {
    return this.groups.get(group)?.get(ord) ?? 0;
  }

  /** The storage entry holding `url`: an exact match or the longest path prefix. */
  storageFor(url: string): StorageRecord | undefined {
    let u = trimSlash(url);
    for (;;) {
      const hit = this.storageByUrl.get(u);
      if (hit) return hit;
      const cut = u.lastIndexOf('/');
      if (cut <= 0) return undefined;
      u = u.slice(0, cut);
    }
  }
}

/** Builds the lookups once, for callers planning repeatedly on one snapshot. */
export function indexSnapshot(snapshot: ClusterSnapshot): ClusterIndex {
  return new ClusterIndex(snapshot);
}

export function toIndex(input: ClusterSnapshot | ClusterIndex): ClusterIndex {
  return input instanceof ClusterIndex ? input : new ClusterIndex(input);
}
