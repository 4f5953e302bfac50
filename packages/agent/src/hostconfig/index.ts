/**
 * Host configuration editors: relocation (migration) settings and the Xen boot loader, edited by
 * code that keeps comments and layout instead of by `sed`.
 */
export { HostConfigError, type HostConfigErrorCode } from './errors.js';
export {
  applyEdits,
  planFiles,
  resolveConfigPath,
  type ApplyOptions,
  type Edit,
  type EditResult,
  type GrubDefaultEdit,
  type KeyValueEdit,
  type MenuLstEdit,
  type SxpEdit,
} from './apply.js';
export {
  buildHostsAllow,
  editSxp,
  getSxpValue,
  parseSxp,
  renderSxpString,
  type RelocationPeer,
  type SxpAtom,
  type SxpList,
  type SxpNode,
  type SxpValue,
} from './sxp.js';
export {
  editKeyValue,
  getKeyValue,
  kvEquals,
  parseKeyValue,
  renderKvValue,
  type KvParsed,
  type KvStatement,
  type KvValue,
} from './keyvalue.js';
export {
  checkXenSize,
  dom0MemArgument,
  editGrubDefault,
  editMenuLst,
  findXenMenuEntry,
  getShellVar,
  isXenImage,
  listMenuLstEntries,
  parseShellAssignments,
  replaceToken,
  shellQuote,
  type GrubDefaultOptions,
  type MenuLstEntry,
  type MenuLstOptions,
  type ShellStatement,
  type XenMenuEntry,
} from './grub.js';
export {
  bootloaderEdits,
  DEFAULT_RELOCATION_PATHS,
  planRelocationConfig,
  type BootloaderOptions,
  type HypervisorKind,
  type RelocationOptions,
  type RelocationPaths,
} from './relocation.js';
