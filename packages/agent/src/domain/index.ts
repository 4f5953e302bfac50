/** Domain XML from a guest spec, and the few edits drover makes to a live domain's XML. */
export { SpecError, type SpecErrorCode } from './errors.js';
export {
  type GuestSpec,
  type GuestNic,
  type GuestDisk,
  type DiskBus,
  type Hypervisor,
  type CpuSpec,
  type SerialSpec,
  type VncSpec,
  validateSpec,
  defaultMachine,
  diskTargetName,
  diskTargets,
} from './spec.js';
export { buildDomainXml, LIBVIRT_BOOT_DEV } from './build.js';
export { parseDomainXml, type DomainInfo, type DomainDisk, type DomainNic, type DomainVnc } from './parse.js';
export { setBootOrder } from './boot.js';
export { vncGraphicsXml, type VncPasswordUpdate } from './graphics.js';
