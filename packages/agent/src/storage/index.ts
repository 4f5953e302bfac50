/** Pools, volumes and host commands for guest disks: pure; the agent's storage service runs them. */
export { StorageError, type StorageErrorCode } from './errors.js';
export { poolForDisk, poolName, nfsMountPoint, type PoolDef, type PoolKind, type PoolOptions } from './pool.js';
export { volumeXml, type VolumeRequest } from './volume.js';
export { hostCommandsFor, parseIqn, parsePortal, iscsiDevicePath, nfsFstabLine, type HostStep, type IscsiTarget } from './host.js';
export { checkPathAllowed } from './paths.js';
export { planDisk, type DiskPlan } from './plan.js';
