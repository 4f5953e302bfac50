/**
 * The scheduler's vocabulary: what a cluster snapshot looks like going in, and what a plan looks
 * like coming out. Everything here is plain data (JSON-safe, no Maps or classes) so a plan can be
 * journaled by the server before any step of it is taken.
 */

export type HostState = 'up' | 'stale' | 'down';
export type HypervisorType = 'kvm' | 'qemu' | 'xen';

/**
 * Libvirt's view of a domain's state, reduced to what placement needs. Guests in `running`,
 * `paused`, `pmsuspended` and `unknown` are counted as holding their memory and vCPUs on their
 * host; `shutoff` and `crashed` guests are not.
 */
export type GuestState = 'running' | 'paused' | 'pmsuspended' | 'shutoff' | 'crashed' | 'unknown';

/** A CPU as libvirt names it: a model (e.g. `Skylake-Server`) and a list of feature flags. */
export interface CpuDescription {
  readonly model: string;
  readonly features: readonly string[];
}

/** Values from the `hypervisor` table that replace what the agent reports. */
export interface HostOverrides {
  readonly memoryMiB?: number;
  readonly cpus?: number;
}

export interface HostInfo {
  readonly name: string;
  readonly state: HostState;
  readonly maintenance: boolean;
  readonly hypervisor: HypervisorType;
  /** Physical memory as the agent reports it. */
  readonly memoryTotalMiB: number;
  /** Free memory as the agent reports it (already net of running guests and the host's own use). */
  readonly memoryFreeMiB: number;
  readonly cpus: number;
  readonly overrides?: HostOverrides;
  readonly cpu: CpuDescription;
  /** Names of the network bridges present on the host. */
  readonly bridges: readonly string[];
  /** Storage pool URLs the host's agent reports as reachable. */
  readonly storage: readonly string[];
}

/**
 * A storage location known to the headnode. A disk lives on the entry whose `url` is the disk's
 * URL or its longest path prefix (`nfs://filer/vm` holds `nfs://filer/vm/web1.qcow2`).
 */
export interface StorageEntry {
  readonly url: string;
  /** Declared shared: every host in `hosts` sees the same bytes at the same path. */
  readonly shared: boolean;
  readonly hosts: readonly string[];
}

export interface GuestDisk {
  /** Target device (`vda`), used to name the disk in plans; the URL is used when absent. */
  readonly device?: string;
  readonly url: string;
}

export interface GuestInfo {
  readonly name: string;
  readonly uuid: string;
  /** The host the guest is defined and (if active) running on. */
  readonly host: string;
  readonly memoryMiB: number;
  readonly vcpus: number;
  readonly state: GuestState;
  readonly disks: readonly GuestDisk[];
  /** Bridge of every NIC (duplicates allowed). */
  readonly nicBridges: readonly string[];
  /** `vm.migrationdest`: the host, or hosts, the guest may be moved to. */
  readonly migrationdest?: string | readonly string[];
  /** Guests sharing a group should not share a host. */
  readonly antiAffinity?: string;
  /** The CPU the guest's definition requires; absent means no CPU constraint. */
  readonly cpu?: CpuDescription;
}

/** A migration already running when the snapshot was taken; it holds room on `dest`. */
export interface InFlightMove {
  readonly guest: string;
  readonly source: string;
  readonly dest: string;
}

export interface ClusterSnapshot {
  readonly hosts: readonly HostInfo[];
  readonly guests: readonly GuestInfo[];
  readonly storage: readonly StorageEntry[];
  readonly inFlight: readonly InFlightMove[];
}

// ---------------------------------------------------------------------------------------------
// Results

/** Names of the pre-checks, in the order `checkMove` reports them. */
export type CheckName =
  | 'guest-known'
  | 'guest-state'
  | 'not-in-flight'
  | 'source-up'
  | 'host-known'
  | 'host-up'
  | 'host-maintenance'
  | 'not-source'
  | 'hypervisor'
  | 'migrationdest'
  | 'bridges'
  | 'cpu'
  | 'storage'
  | 'memory'
  | 'vcpus'
  | 'anti-affinity';

/**
 * How the disks travel. `shared`: every disk is on shared storage the destination reaches, so the
 * migration passes libvirt's unsafe flag on purpose (libvirt cannot prove the storage is coherent).
 * `copy`: the listed disks are copied with copy-storage during the migration.
 */
export type StorageMode = 'shared' | 'copy';

export interface StorageDecision {
  readonly mode: StorageMode;
  /** Disks to copy (device name, or URL when the disk has no device); empty for `shared`. */
  readonly copyDisks: readonly string[];
}

export interface CheckResult {
  readonly check: CheckName;
  readonly pass: boolean;
  /** A soft check never blocks a move; its failure is a warning (only `anti-affinity`). */
  readonly soft: boolean;
  /** On failure: names the check, the guest, the host and the fix. On pass: a short note. */
  readonly message: string;
  /** Only on a passing `storage` check. */
  readonly storage?: StorageDecision;
}

export interface MoveTarget {
  readonly dest: string;
  readonly storage: StorageDecision;
}

export interface Move {
  readonly guest: string;
  readonly uuid: string;
  readonly source: string;
  readonly dest: string;
  readonly memoryMiB: number;
  readonly vcpus: number;
  readonly storage: StorageDecision;
  /** 1 for a planned move, 2 for the single retry towards `alternative`. */
  readonly attempt: 1 | 2;
  /** Where the executor may retry once if this move fails (planned moves only). */
  readonly alternative?: MoveTarget;
}

export interface FilterCount {
  readonly check: CheckName;
  /** How many hosts this check turned away. */
  readonly hosts: number;
  /** The failure message for the first host (in name order) it turned away. */
  readonly example: string;
}

export interface Unplaced {
  readonly guest: string;
  readonly host: string;
  /** One line naming the check(s), the guest, the host(s) and the fix. */
  readonly reason: string;
  readonly failures: readonly FilterCount[];
}

export interface PlanWarning {
  readonly kind: 'anti-affinity';
  readonly guest: string;
  readonly host: string;
  readonly group: string;
  readonly message: string;
}

/** Room on a host when the plan was made: net of headroom and of moves already in flight. */
export interface HostRoom {
  readonly host: string;
  readonly memoryMiB: number;
  readonly vcpus: number;
}

export interface Plan {
  readonly kind: 'evacuate' | 'migrate';
  /** The evacuated host (evacuations only). */
  readonly source?: string;
  /** In the order the executor should start them (largest memory first). */
  readonly moves: readonly Move[];
  /** Guests that stay where they are, sorted by name. */
  readonly unplaced: readonly Unplaced[];
  readonly warnings: readonly PlanWarning[];
  /** Baseline room of every host a move or alternative touches, sorted by host. */
  readonly capacity: readonly HostRoom[];
}

export type Placement =
  | {
      readonly ok: true;
      readonly guest: string;
      readonly dest: string;
      readonly storage: StorageDecision;
      readonly alternative?: MoveTarget;
      readonly warnings: readonly PlanWarning[];
    }
  | { readonly ok: false; readonly guest: string; readonly reason: string; readonly failures: readonly FilterCount[] };

/** What the executor knows at one instant. Moves are matched by guest and attempt. */
export interface ScheduleState {
  readonly running: readonly Move[];
  readonly done: readonly Move[];
  readonly failed: readonly Move[];
  /**
   * Failed moves that must not be retried on their alternative: the guest was not where the move
   * expected it (found elsewhere, on neither host, or on both), so another attempt could only make
   * things worse. They count as failed for capacity.
   */
  readonly failedFinal?: readonly Move[];
  /**
   * Other migrations running now (not from this plan). They count against maxOut/maxIn/maxTotal;
   * their capacity is already reserved in the plan's baseline if they were in the snapshot.
   */
  readonly external?: readonly InFlightMove[];
}

export interface TimelineEvent {
  readonly at: number;
  readonly kind: 'start' | 'finish' | 'fail';
  readonly move: Move;
}

export interface Simulation {
  readonly events: readonly TimelineEvent[];
  /** Time the last move ended. */
  readonly makespan: number;
  readonly done: readonly string[];
  /** Guests whose last attempt failed. */
  readonly failed: readonly string[];
  /** Guests whose move could never start (should be empty for a plan from this scheduler). */
  readonly stuck: readonly string[];
  /** Most moves running at once. */
  readonly peakRunning: number;
}
