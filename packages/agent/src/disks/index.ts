/**
 * Everything about guest disks on this host, in one folder:
 *
 * - pure planning: storage URLs to pools (pool.ts), volumes (volume.ts), the host steps libvirt does
 *   not do (host.ts: mounts, iSCSI logins), allowed paths (paths.ts), one disk's plan (plan.ts);
 * - resolve.ts: a request's Disk resolved on this host (URL parsed, pool planned, path checked);
 * - store.ts: where disks are made (libvirt pools and volumes, or plain files on the test driver);
 * - service.ts: the CreateDisks/ListDisks/DeleteDisks handlers (imported by the service directly).
 */
export { StorageError, type StorageErrorCode } from './errors.js';
export { poolForDisk, poolName, nfsMountPoint, type PoolDef, type PoolKind, type PoolOptions } from './pool.js';
export { volumeXml, type VolumeRequest } from './volume.js';
export { hostCommandsFor, parseIqn, parsePortal, iscsiDevicePath, nfsFstabLine, type HostStep, type IscsiTarget } from './host.js';
export { checkPathAllowed } from './paths.js';
export { planDisk, type DiskPlan } from './plan.js';
export { allowedRoots, resolveDisk, resolveDisks, type ResolvedDisk } from './resolve.js';
export { alreadyExists, FileDiskStore, LibvirtDiskStore, type DiskStore, type DiskState, type DiskTarget } from './store.js';
