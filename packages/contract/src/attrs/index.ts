/**
 * drover's guest attribute syntaxes, defined once for the server (checks on write, `lsdef` help)
 * and the agent (building guests from what the server sends).
 */
export { AttrError, type AttrErrorCode } from './errors.js';
export {
  MIB,
  MAX_CPUS,
  SIZE_SYNTAX,
  MEMORY_SYNTAX,
  CPUS_SYNTAX,
  parseSize,
  formatSize,
  mibToBytes,
  bytesToMiB,
  parseMemoryMiB,
  parseCpus,
} from './size.js';
export { NODE_NAME_SYNTAX, isValidNodeName, parseNodeName } from './names.js';
export { MAC_SYNTAX, GENERATED_MAC_FIRST_OCTET, parseMac, isValidMac, macProblem, generateMac } from './mac.js';
export { type BootDevice, BOOT_ORDER_SYNTAX, parseBootOrder } from './boot.js';
export {
  type DiskFormat,
  type DiskSpec,
  type DirDiskSpec,
  type FileDiskSpec,
  type NfsDiskSpec,
  type LvmDiskSpec,
  type PhyDiskSpec,
  type IscsiDiskSpec,
  STORAGE_SYNTAX,
  canonicalIqn,
  canonicalPortal,
  parseIscsiUrl,
  iscsiByPath,
  iscsiUrl,
  parseStorageList,
  formatDiskSpec,
  formatStorageList,
  diskVolumeName,
} from './storage.js';
export {
  type NicModel,
  type NicSpec,
  type BridgeNicSpec,
  type NetworkNicSpec,
  NIC_MODELS,
  NICS_SYNTAX,
  parseNicList,
  isValidBridgeName,
  isValidNetworkName,
  formatNicSpec,
  formatNicList,
} from './nics.js';
export { pathProblem } from './list.js';
export { type AttrSyntax, ATTR_SYNTAXES, ATTR_SYNTAX_HELP, checkAttribute } from './help.js';
