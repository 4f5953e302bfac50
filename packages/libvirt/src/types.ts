/** Plain data types of the public API: host facts, domain facts, jobs, migration parameters, events. */
import { ConnectCloseReason } from './generated/libvirt-common';
import {
  DomainBlockedReason,
  DomainCrashedReason,
  DomainEventCrashedDetailType,
  DomainEventDefinedDetailType,
  DomainEventPMSuspendedDetailType,
  DomainEventResumedDetailType,
  DomainEventShutdownDetailType,
  DomainEventStartedDetailType,
  DomainEventStoppedDetailType,
  DomainEventSuspendedDetailType,
  DomainEventType,
  DomainEventUndefinedDetailType,
  DomainJobOperation,
  DomainJobType,
  DomainNostateReason,
  DomainPausedReason,
  DomainPMSuspendedReason,
  DomainRunningReason,
  DomainShutdownReason,
  DomainShutoffReason,
  DomainState,
} from './generated/libvirt-domain';
import type { NativeParam, TypedParamValue } from './native';

export interface Version {
  major: number;
  minor: number;
  release: number;
  /** libvirt's packed form: major * 1,000,000 + minor * 1,000 + release. */
  number: number;
}

export function unpackVersion(v: number): Version {
  return { major: Math.floor(v / 1e6), minor: Math.floor(v / 1e3) % 1000, release: v % 1000, number: v };
}

export interface NodeInfo {
  model: string;
  memoryKiB: number;
  cpus: number;
  mhz: number;
  nodes: number;
  sockets: number;
  cores: number;
  threads: number;
}

export interface DomainInfo {
  state: DomainState;
  maxMemKiB: number;
  memoryKiB: number;
  vcpus: number;
  cpuTimeNs: number;
}

const REASONS: Record<number, Record<number, string>> = {
  [DomainState.NOSTATE]: DomainNostateReason,
  [DomainState.RUNNING]: DomainRunningReason,
  [DomainState.BLOCKED]: DomainBlockedReason,
  [DomainState.PAUSED]: DomainPausedReason,
  [DomainState.SHUTDOWN]: DomainShutdownReason,
  [DomainState.SHUTOFF]: DomainShutoffReason,
  [DomainState.CRASHED]: DomainCrashedReason,
  [DomainState.PMSUSPENDED]: DomainPMSuspendedReason,
};

export interface DomainStateInfo {
  state: DomainState;
  /** The reason code; its enum depends on the state (DomainRunningReason, DomainPausedReason, DomainShutoffReason...). */
  reason: number;
  /** Names, e.g. 'SHUTOFF' and 'DESTROYED'. */
  stateName: string;
  reasonName: string;
}

export function describeState(state: number, reason: number): DomainStateInfo {
  return {
    state: state as DomainState,
    reason,
    stateName: DomainState[state] ?? String(state),
    reasonName: REASONS[state]?.[reason] ?? String(reason),
  };
}

export interface InterfaceAddress {
  type: 'ipv4' | 'ipv6';
  address: string;
  prefix: number;
}
export interface DomainInterface {
  name: string;
  hwaddr: string;
  addresses: InterfaceAddress[];
}

export interface BlockInfo {
  capacity: number;
  allocation: number;
  physical: number;
}

/** virDomainGetJobInfo: the old fixed-field job summary. */
export interface JobInfo {
  type: DomainJobType;
  timeElapsed: number;
  timeRemaining: number;
  dataTotal: number;
  dataProcessed: number;
  dataRemaining: number;
  memTotal: number;
  memProcessed: number;
  memRemaining: number;
  fileTotal: number;
  fileProcessed: number;
  fileRemaining: number;
}

/** virDomainGetJobStats (and the job-completed event), with libvirt's field names in camelCase. Times in ms, sizes in bytes. */
export interface JobStats {
  type: DomainJobType;
  operation?: DomainJobOperation;
  timeElapsed?: number;
  timeElapsedNet?: number;
  timeRemaining?: number;
  downtime?: number;
  downtimeNet?: number;
  setupTime?: number;
  dataTotal?: number;
  dataProcessed?: number;
  dataRemaining?: number;
  memoryTotal?: number;
  memoryProcessed?: number;
  memoryRemaining?: number;
  memoryConstant?: number;
  memoryNormal?: number;
  memoryNormalBytes?: number;
  /** Bytes per second. */
  memoryBps?: number;
  /** Pages per second dirtied by the guest. */
  memoryDirtyRate?: number;
  memoryPageSize?: number;
  memoryIteration?: number;
  memoryPostcopyRequests?: number;
  diskTotal?: number;
  diskProcessed?: number;
  diskRemaining?: number;
  diskBps?: number;
  compressionCache?: number;
  compressionBytes?: number;
  compressionPages?: number;
  compressionCacheMisses?: number;
  compressionOverflow?: number;
  autoConvergeThrottle?: number;
  success?: boolean;
  errmsg?: string;
  diskTempUsed?: number;
  diskTempTotal?: number;
  /** Every field as libvirt named it, including ones this type does not list. */
  raw: Record<string, TypedParamValue>;
}

function camel(s: string): string {
  return s.replace(/[_.]([a-z])/g, (_, c: string) => c.toUpperCase());
}

export function toJobStats(type: number, params: Record<string, TypedParamValue>): JobStats {
  const out: Record<string, unknown> = { type: type as DomainJobType, raw: params };
  for (const [k, v] of Object.entries(params)) {
    const key = k === 'memory_postcopy_requests' ? 'memoryPostcopyRequests' : camel(k);
    out[key] = v;
  }
  return out as unknown as JobStats;
}

/** Typed parameters of virDomainMigrateToURI3 / virDomainMigrate3. */
export interface MigrateParams {
  /** Where QEMU sends the data (tcp://host:port); VIR_MIGRATE_PARAM_URI. */
  migrateUri?: string;
  destName?: string;
  destXml?: string;
  persistentXml?: string;
  /** MiB/s. */
  bandwidth?: number;
  bandwidthPostcopy?: number;
  graphicsUri?: string;
  listenAddress?: string;
  /** Disks (target names, e.g. 'vda') to copy with NON_SHARED_DISK/INC. */
  migrateDisks?: string[];
  disksPort?: number;
  disksUri?: string;
  /** Compression methods, e.g. ['xbzrle'] or ['mt']; needs DomainMigrateFlags.COMPRESSED. */
  compression?: string[];
  compressionMtLevel?: number;
  compressionMtThreads?: number;
  compressionMtDthreads?: number;
  compressionXbzrleCache?: number;
  /** Initial and step throttle percentages with DomainMigrateFlags.AUTO_CONVERGE. */
  autoConvergeInitial?: number;
  autoConvergeIncrement?: number;
  parallelConnections?: number;
  tlsDestination?: string;
}

const PARAM_SPEC: Record<keyof MigrateParams, [string, NativeParam['type']]> = {
  migrateUri: ['migrate_uri', 'string'],
  destName: ['destination_name', 'string'],
  destXml: ['destination_xml', 'string'],
  persistentXml: ['persistent_xml', 'string'],
  bandwidth: ['bandwidth', 'ullong'],
  bandwidthPostcopy: ['bandwidth.postcopy', 'ullong'],
  graphicsUri: ['graphics_uri', 'string'],
  listenAddress: ['listen_address', 'string'],
  migrateDisks: ['migrate_disks', 'string'],
  disksPort: ['disks_port', 'int'],
  disksUri: ['disks_uri', 'string'],
  compression: ['compression', 'string'],
  compressionMtLevel: ['compression.mt.level', 'int'],
  compressionMtThreads: ['compression.mt.threads', 'int'],
  compressionMtDthreads: ['compression.mt.dthreads', 'int'],
  compressionXbzrleCache: ['compression.xbzrle.cache', 'ullong'],
  autoConvergeInitial: ['auto_converge.initial', 'int'],
  autoConvergeIncrement: ['auto_converge.increment', 'int'],
  parallelConnections: ['parallel.connections', 'int'],
  tlsDestination: ['tls.destination', 'string'],
};

export function toNativeParams(p: MigrateParams): NativeParam[] {
  const out: NativeParam[] = [];
  for (const [key, value] of Object.entries(p) as [keyof MigrateParams, unknown][]) {
    if (value === undefined) continue;
    const spec = PARAM_SPEC[key];
    if (!spec) throw new TypeError(`unknown migration parameter '${String(key)}'`);
    const [name, type] = spec;
    const values = Array.isArray(value) ? value : [value];
    for (const v of values) {
      if (type === 'string' && typeof v !== 'string') throw new TypeError(`migration parameter ${key} must be a string`);
      if (type !== 'string' && (typeof v !== 'number' || !Number.isFinite(v) || v < 0)) {
        throw new TypeError(`migration parameter ${key} must be a non-negative number`);
      }
      out.push({ name, type, value: v as string | number });
    }
  }
  return out;
}

// ---- events ----------------------------------------------------------------------------------

export interface DomainRef {
  name: string;
  uuid: string;
  /** -1 when not running. */
  id: number;
}

const DETAILS: Record<number, Record<number, string>> = {
  [DomainEventType.DEFINED]: DomainEventDefinedDetailType,
  [DomainEventType.UNDEFINED]: DomainEventUndefinedDetailType,
  [DomainEventType.STARTED]: DomainEventStartedDetailType,
  [DomainEventType.SUSPENDED]: DomainEventSuspendedDetailType,
  [DomainEventType.RESUMED]: DomainEventResumedDetailType,
  [DomainEventType.STOPPED]: DomainEventStoppedDetailType,
  [DomainEventType.SHUTDOWN]: DomainEventShutdownDetailType,
  [DomainEventType.PMSUSPENDED]: DomainEventPMSuspendedDetailType,
  [DomainEventType.CRASHED]: DomainEventCrashedDetailType,
};

export function lifecycleNames(event: number, detail: number): { eventName: string; detailName: string } {
  return { eventName: DomainEventType[event] ?? String(event), detailName: DETAILS[event]?.[detail] ?? String(detail) };
}

export interface LifecycleEventInfo {
  type: 'lifecycle';
  domain: DomainRef;
  event: DomainEventType;
  /** Its enum depends on the event: DomainEventStartedDetailType, DomainEventStoppedDetailType, DomainEventSuspendedDetailType... */
  detail: number;
  eventName: string;
  detailName: string;
}
export interface RebootEventInfo {
  type: 'reboot';
  domain: DomainRef;
}
export interface MigrationIterationEventInfo {
  type: 'migration-iteration';
  domain: DomainRef;
  iteration: number;
}
export interface JobCompletedEventInfo {
  type: 'job-completed';
  domain: DomainRef;
  stats: JobStats;
}
export interface DeviceEventInfo {
  type: 'device-removed' | 'device-added';
  domain: DomainRef;
  device: string;
}
export type DomainEvent = LifecycleEventInfo | RebootEventInfo | MigrationIterationEventInfo | JobCompletedEventInfo | DeviceEventInfo;

export interface CloseEventInfo {
  type: 'close';
  reason: ConnectCloseReason;
  reasonName: string;
}

export type ConnectionEvent = DomainEvent | CloseEventInfo;

export interface HandleCounts {
  connections: number;
  domains: number;
  pools: number;
  volumes: number;
  streams: number;
}
