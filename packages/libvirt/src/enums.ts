// Flag and state values of libvirt 9.0 (libvirt-domain.h, libvirt-host.h, libvirt-storage.h),
// named as in C without the common prefix. Flag enums combine with |.

/** libvirt virDomainState. */
export enum DomainState {
  NOSTATE = 0,
  RUNNING = 1,
  BLOCKED = 2,
  PAUSED = 3,
  SHUTDOWN = 4,
  SHUTOFF = 5,
  CRASHED = 6,
  PMSUSPENDED = 7,
}

/** libvirt virDomainNostateReason. */
export enum NoStateReason {
  UNKNOWN = 0,
}

/** libvirt virDomainRunningReason. */
export enum RunningReason {
  UNKNOWN = 0,
  BOOTED = 1,
  MIGRATED = 2,
  RESTORED = 3,
  FROM_SNAPSHOT = 4,
  UNPAUSED = 5,
  MIGRATION_CANCELED = 6,
  SAVE_CANCELED = 7,
  WAKEUP = 8,
  CRASHED = 9,
  POSTCOPY = 10,
  POSTCOPY_FAILED = 11,
}

/** libvirt virDomainBlockedReason. */
export enum BlockedReason {
  UNKNOWN = 0,
}

/** libvirt virDomainPausedReason. */
export enum PausedReason {
  UNKNOWN = 0,
  USER = 1,
  MIGRATION = 2,
  SAVE = 3,
  DUMP = 4,
  IOERROR = 5,
  WATCHDOG = 6,
  FROM_SNAPSHOT = 7,
  SHUTTING_DOWN = 8,
  SNAPSHOT = 9,
  CRASHED = 10,
  STARTING_UP = 11,
  POSTCOPY = 12,
  POSTCOPY_FAILED = 13,
}

/** libvirt virDomainShutdownReason. */
export enum ShutdownReason {
  UNKNOWN = 0,
  USER = 1,
}

/** libvirt virDomainShutoffReason. */
export enum ShutoffReason {
  UNKNOWN = 0,
  SHUTDOWN = 1,
  DESTROYED = 2,
  CRASHED = 3,
  MIGRATED = 4,
  SAVED = 5,
  FAILED = 6,
  FROM_SNAPSHOT = 7,
  DAEMON = 8,
}

/** libvirt virDomainCrashedReason. */
export enum CrashedReason {
  UNKNOWN = 0,
  PANICKED = 1,
}

/** libvirt virDomainPMSuspendedReason. */
export enum PMSuspendedReason {
  UNKNOWN = 0,
}

/** libvirt virDomainEventType. */
export enum LifecycleEvent {
  DEFINED = 0,
  UNDEFINED = 1,
  STARTED = 2,
  SUSPENDED = 3,
  RESUMED = 4,
  STOPPED = 5,
  SHUTDOWN = 6,
  PMSUSPENDED = 7,
  CRASHED = 8,
}

/** libvirt virDomainEventDefinedDetailType. */
export enum DefinedDetail {
  ADDED = 0,
  UPDATED = 1,
  RENAMED = 2,
  FROM_SNAPSHOT = 3,
}

/** libvirt virDomainEventUndefinedDetailType. */
export enum UndefinedDetail {
  REMOVED = 0,
  RENAMED = 1,
}

/** libvirt virDomainEventStartedDetailType. */
export enum StartedDetail {
  BOOTED = 0,
  MIGRATED = 1,
  RESTORED = 2,
  FROM_SNAPSHOT = 3,
  WAKEUP = 4,
}

/** libvirt virDomainEventSuspendedDetailType. */
export enum SuspendedDetail {
  PAUSED = 0,
  MIGRATED = 1,
  IOERROR = 2,
  WATCHDOG = 3,
  RESTORED = 4,
  FROM_SNAPSHOT = 5,
  API_ERROR = 6,
  POSTCOPY = 7,
  POSTCOPY_FAILED = 8,
}

/** libvirt virDomainEventResumedDetailType. */
export enum ResumedDetail {
  UNPAUSED = 0,
  MIGRATED = 1,
  FROM_SNAPSHOT = 2,
  POSTCOPY = 3,
  POSTCOPY_FAILED = 4,
}

/** libvirt virDomainEventStoppedDetailType. */
export enum StoppedDetail {
  SHUTDOWN = 0,
  DESTROYED = 1,
  CRASHED = 2,
  MIGRATED = 3,
  SAVED = 4,
  FAILED = 5,
  FROM_SNAPSHOT = 6,
}

/** libvirt virDomainEventShutdownDetailType. */
export enum ShutdownDetail {
  FINISHED = 0,
  GUEST = 1,
  HOST = 2,
}

/** libvirt virDomainEventPMSuspendedDetailType. */
export enum PMSuspendedDetail {
  MEMORY = 0,
  DISK = 1,
}

/** libvirt virDomainEventCrashedDetailType. */
export enum CrashedDetail {
  PANICKED = 0,
  CRASHLOADED = 1,
}

/** libvirt virConnectListAllDomainsFlags. */
export enum ListDomainsFlags {
  ACTIVE = 1,
  INACTIVE = 2,
  PERSISTENT = 4,
  TRANSIENT = 8,
  RUNNING = 16,
  PAUSED = 32,
  SHUTOFF = 64,
  OTHER = 128,
  MANAGEDSAVE = 256,
  NO_MANAGEDSAVE = 512,
  AUTOSTART = 1024,
  NO_AUTOSTART = 2048,
  HAS_SNAPSHOT = 4096,
  NO_SNAPSHOT = 8192,
  HAS_CHECKPOINT = 16384,
  NO_CHECKPOINT = 32768,
}

/** libvirt virDomainCreateFlags. */
export enum DomainCreateFlags {
  VIR_DOMAIN_NONE = 0,
  PAUSED = 1,
  AUTODESTROY = 2,
  BYPASS_CACHE = 4,
  FORCE_BOOT = 8,
  VALIDATE = 16,
  RESET_NVRAM = 32,
}

/** libvirt virDomainDefineFlags. */
export enum DomainDefineFlags {
  VALIDATE = 1,
}

/** libvirt virDomainUndefineFlagsValues. */
export enum UndefineFlags {
  MANAGED_SAVE = 1,
  SNAPSHOTS_METADATA = 2,
  NVRAM = 4,
  KEEP_NVRAM = 8,
  CHECKPOINTS_METADATA = 16,
  TPM = 32,
  KEEP_TPM = 64,
}

/** libvirt virDomainShutdownFlagValues. */
export enum ShutdownFlags {
  DEFAULT = 0,
  ACPI_POWER_BTN = 1,
  GUEST_AGENT = 2,
  INITCTL = 4,
  SIGNAL = 8,
  PARAVIRT = 16,
}

/** libvirt virDomainRebootFlagValues. */
export enum RebootFlags {
  DEFAULT = 0,
  ACPI_POWER_BTN = 1,
  GUEST_AGENT = 2,
  INITCTL = 4,
  SIGNAL = 8,
  PARAVIRT = 16,
}

/** libvirt virDomainDestroyFlagsValues. */
export enum DestroyFlags {
  DEFAULT = 0,
  GRACEFUL = 1,
  REMOVE_LOGS = 2,
}

/** libvirt virDomainSaveRestoreFlags. */
export enum SaveRestoreFlags {
  BYPASS_CACHE = 1,
  RUNNING = 2,
  PAUSED = 4,
  RESET_NVRAM = 8,
}

/** libvirt virDomainXMLFlags. */
export enum XMLFlags {
  SECURE = 1,
  INACTIVE = 2,
  UPDATE_CPU = 4,
  MIGRATABLE = 8,
}

/** libvirt virDomainModificationImpact. */
export enum ModificationImpact {
  CURRENT = 0,
  LIVE = 1,
  CONFIG = 2,
}

/** libvirt virDomainDeviceModifyFlags. */
export enum DeviceModifyFlags {
  CURRENT = 0,
  LIVE = 1,
  CONFIG = 2,
  FORCE = 4,
}

/** libvirt virDomainMemoryModFlags. */
export enum MemoryModFlags {
  CURRENT = 0,
  LIVE = 1,
  CONFIG = 2,
  MAXIMUM = 4,
}

/** libvirt virDomainVcpuFlags. */
export enum VcpuFlags {
  CURRENT = 0,
  LIVE = 1,
  CONFIG = 2,
  MAXIMUM = 4,
  GUEST = 8,
  HOTPLUGGABLE = 16,
}

/** libvirt virDomainInterfaceAddressesSource. */
export enum InterfaceAddressesSource {
  LEASE = 0,
  AGENT = 1,
  ARP = 2,
}

/** libvirt virDomainMigrateFlags. */
export enum MigrateFlags {
  LIVE = 1,
  PEER2PEER = 2,
  TUNNELLED = 4,
  PERSIST_DEST = 8,
  UNDEFINE_SOURCE = 16,
  PAUSED = 32,
  NON_SHARED_DISK = 64,
  NON_SHARED_INC = 128,
  CHANGE_PROTECTION = 256,
  UNSAFE = 512,
  OFFLINE = 1024,
  COMPRESSED = 2048,
  ABORT_ON_ERROR = 4096,
  AUTO_CONVERGE = 8192,
  RDMA_PIN_ALL = 16384,
  POSTCOPY = 32768,
  TLS = 65536,
  PARALLEL = 131072,
  NON_SHARED_SYNCHRONOUS_WRITES = 262144,
  POSTCOPY_RESUME = 524288,
  ZEROCOPY = 1048576,
}

/** libvirt virDomainMigrateMaxSpeedFlags. */
export enum MigrateMaxSpeedFlags {
  POSTCOPY = 1,
}

/** libvirt virDomainJobType. */
export enum JobType {
  NONE = 0,
  BOUNDED = 1,
  UNBOUNDED = 2,
  COMPLETED = 3,
  FAILED = 4,
  CANCELLED = 5,
}

/** libvirt virDomainGetJobStatsFlags. */
export enum JobStatsFlags {
  COMPLETED = 1,
  KEEP_COMPLETED = 2,
}

/** libvirt virDomainJobOperation. */
export enum JobOperation {
  UNKNOWN = 0,
  START = 1,
  SAVE = 2,
  RESTORE = 3,
  MIGRATION_IN = 4,
  MIGRATION_OUT = 5,
  SNAPSHOT = 6,
  SNAPSHOT_REVERT = 7,
  DUMP = 8,
  BACKUP = 9,
  SNAPSHOT_DELETE = 10,
}

/** libvirt virDomainAbortJobFlagsValues. */
export enum AbortJobFlags {
  POSTCOPY = 1,
}

/** libvirt virDomainConsoleFlags. */
export enum ConsoleFlags {
  FORCE = 1,
  SAFE = 2,
}

/** libvirt virCPUCompareResult. */
export enum CPUCompareResult {
  ERROR = -1,
  INCOMPATIBLE = 0,
  IDENTICAL = 1,
  SUPERSET = 2,
}

/** libvirt virConnectCompareCPUFlags. */
export enum CompareCPUFlags {
  FAIL_INCOMPATIBLE = 1,
  VALIDATE_XML = 2,
}

/** libvirt virConnectCloseReason. */
export enum CloseReason {
  ERROR = 0,
  EOF = 1,
  KEEPALIVE = 2,
  CLIENT = 3,
}

/** libvirt virStoragePoolState. */
export enum StoragePoolState {
  INACTIVE = 0,
  BUILDING = 1,
  RUNNING = 2,
  DEGRADED = 3,
  INACCESSIBLE = 4,
}

/** libvirt virStoragePoolBuildFlags. */
export enum StoragePoolBuildFlags {
  NEW = 0,
  REPAIR = 1,
  RESIZE = 2,
  NO_OVERWRITE = 4,
  OVERWRITE = 8,
}

/** libvirt virStoragePoolDeleteFlags. */
export enum StoragePoolDeleteFlags {
  NORMAL = 0,
  ZEROED = 1,
}

/** libvirt virStoragePoolCreateFlags. */
export enum StoragePoolCreateFlags {
  NORMAL = 0,
  WITH_BUILD = 1,
  WITH_BUILD_OVERWRITE = 2,
  WITH_BUILD_NO_OVERWRITE = 4,
}

/** libvirt virConnectListAllStoragePoolsFlags. */
export enum ListStoragePoolsFlags {
  INACTIVE = 1,
  ACTIVE = 2,
  PERSISTENT = 4,
  TRANSIENT = 8,
  AUTOSTART = 16,
  NO_AUTOSTART = 32,
  DIR = 64,
  FS = 128,
  NETFS = 256,
  LOGICAL = 512,
  DISK = 1024,
  ISCSI = 2048,
  SCSI = 4096,
  MPATH = 8192,
  RBD = 16384,
  SHEEPDOG = 32768,
  GLUSTER = 65536,
  ZFS = 131072,
  VSTORAGE = 262144,
  ISCSI_DIRECT = 524288,
}

/** libvirt virStorageVolType. */
export enum StorageVolType {
  FILE = 0,
  BLOCK = 1,
  DIR = 2,
  NETWORK = 3,
  NETDIR = 4,
  PLOOP = 5,
}

/** libvirt virStorageVolDeleteFlags. */
export enum StorageVolDeleteFlags {
  NORMAL = 0,
  ZEROED = 1,
  WITH_SNAPSHOTS = 2,
}

/** libvirt virStorageVolCreateFlags. */
export enum StorageVolCreateFlags {
  PREALLOC_METADATA = 1,
  REFLINK = 2,
  VALIDATE = 4,
}

/** libvirt virStorageVolResizeFlags. */
export enum StorageVolResizeFlags {
  ALLOCATE = 1,
  DELTA = 2,
  SHRINK = 4,
}

/** libvirt virStorageXMLFlags. */
export enum StorageXMLFlags {
  XML_INACTIVE = 1,
}
