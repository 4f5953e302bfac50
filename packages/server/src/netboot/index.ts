/** Netboot generators: DHCP (ISC dhcpd, dnsmasq), /etc/hosts, per-node iPXE/pxelinux files. */
export * from './errors.js';
export * from './types.js';
export {
  normalizeMac,
  parseIPv4,
  formatIPv4,
  checkLabel,
  checkHostname,
  checkNetworks,
  checkSite,
  naturalCompare,
  type Net,
  type Site,
} from './validate.js';
export {
  replaceManagedBlock,
  readManagedBlock,
  locateManagedBlock,
  applyFiles,
  planManagedFile,
  type AppliedFile,
} from './managed-block.js';
export * from './dhcpd.js';
export * from './dnsmasq.js';
export * from './hosts.js';
export * from './pxe.js';
export { BOOT_FILES } from './node-check.js';
export { runReload, type ReloadOptions, type ReloadResult } from './reload.js';
