/**
 * drover's lab: real libvirtd + QEMU hypervisor hosts in network namespaces on this machine.
 * See README.md beside this file.
 */
export {
  startLab,
  attachLab,
  virsh,
  qemuPids,
  killLibvirtd,
  startLibvirtd,
  cutLink,
  restoreLink,
  limitLink,
  unlimitLink,
  spawnInHost,
} from './lab';
export type { Lab, LabHost, StartLabOptions } from './lab';
export { missingCapability, LabUnavailableError } from './preflight';
export { LabCommandError } from './exec';
export { findLeftovers, teardownId, type TeardownReport } from './teardown';
export { LAB_ROOT, listLabIds, loadState, type LabState } from './state';
export {
  counterImage,
  defineCounterGuest,
  readCount,
  readCounts,
  readBoots,
  assertCountRises,
  resetHosts,
  serialLogPath,
  counterGuestXml,
  readDiskCount,
  diskCountOf,
} from './guest';
export type { CounterGuest, CounterGuestOptions } from './guest';
export { getSharedLab, startSharedLab } from './shared';
export { footprint, remains, waitForCount, sampleCounts, domState, type LabFootprint } from './testing';
export {
  startStorageHost,
  sharedStorage,
  labStorage,
  startNfsServer,
  stopNfsServer,
  denyIscsi,
  allowIscsi,
  tgtadm,
  cutStorageLink,
  restoreStorageLink,
  lunFile,
  type LabStorage,
  type StorageKind,
} from './storage';
