/**
 * Small builders for scheduler tests and benchmarks: hosts and guests with plain defaults that a
 * test overrides field by field. Pure, like the rest of the folder.
 */
import type { ClusterSnapshot, GuestInfo, HostInfo, InFlightMove, StorageEntry } from './types';

export const HASWELL = { model: 'Haswell', features: ['sse4.2', 'avx', 'avx2', 'aes'] } as const;

/** A kvm host, up, 64 GiB (all free), 16 CPUs, Haswell, bridge br0. */
export function mkHost(name: string, over: Partial<HostInfo> = {}): HostInfo {
  return {
    name,
    state: 'up',
    maintenance: false,
    hypervisor: 'kvm',
    memoryTotalMiB: 65536,
    memoryFreeMiB: 65536,
    cpus: 16,
    cpu: HASWELL,
    bridges: ['br0'],
    storage: [],
    ...over,
  };
}

/** A running guest of 4 GiB and 2 vCPUs with one NIC on br0 and no disks. */
export function mkGuest(name: string, host: string, over: Partial<GuestInfo> = {}): GuestInfo {
  return {
    name,
    uuid: `00000000-0000-4000-8000-${name.padStart(12, '0').slice(-12)}`,
    host,
    memoryMiB: 4096,
    vcpus: 2,
    state: 'running',
    disks: [],
    nicBridges: ['br0'],
    ...over,
  };
}

export function mkSnapshot(parts: {
  hosts: readonly HostInfo[];
  guests?: readonly GuestInfo[];
  storage?: readonly StorageEntry[];
  inFlight?: readonly InFlightMove[];
}): ClusterSnapshot {
  return { hosts: parts.hosts, guests: parts.guests ?? [], storage: parts.storage ?? [], inFlight: parts.inFlight ?? [] };
}
