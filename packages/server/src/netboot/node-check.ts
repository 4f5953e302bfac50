/** Checks shared by the DHCP generators: a node with a name, a MAC, an IP inside a known network. */
import { NetbootInputError } from './errors.js';
import type { NodeInput } from './types.js';
import { NETBOOT_METHODS, type NetbootMethod } from './types.js';
import { checkLabel, formatIPv4, networkOf, normalizeMac, parseIPv4, type Net } from './validate.js';

export interface DhcpNode {
  node: string;
  mac: string;
  ip: string;
  net: Net;
  netboot: NetbootMethod;
}

export function checkDhcpNode(n: NodeInput, nets: readonly Net[]): DhcpNode {
  const node = checkLabel(n.node, typeof n.node === 'string' ? n.node : undefined, 'nodelist.node');
  if (n.mac === undefined || n.mac === '') {
    throw new NetbootInputError({
      subject: node,
      field: 'mac.mac',
      value: n.mac ?? '',
      accepted: 'a MAC address like 52:54:00:12:34:56; a DHCP host entry needs one',
    });
  }
  const mac = normalizeMac(n.mac, node);
  if (n.ip === undefined || n.ip === '') {
    throw new NetbootInputError({
      subject: node,
      field: 'hosts.ip',
      value: n.ip ?? '',
      accepted: 'an IPv4 address; a DHCP host entry needs a fixed address',
    });
  }
  const ip = formatIPv4(parseIPv4(n.ip, node, 'hosts.ip'));
  const net = networkOf(ip, nets, node);
  const netboot = n.netboot ?? 'ipxe';
  if (!(NETBOOT_METHODS as readonly string[]).includes(netboot)) {
    throw new NetbootInputError({
      subject: node,
      field: 'noderes.netboot',
      value: n.netboot,
      accepted: `one of ${NETBOOT_METHODS.join(', ')}`,
    });
  }
  return { node, mac, ip, net, netboot: netboot as NetbootMethod };
}

/** First files a PXE ROM loads, by method and firmware. */
export const BOOT_FILES = {
  /** iPXE for BIOS PXE ROMs (uses the ROM's UNDI driver). */
  ipxeBios: 'undionly.kpxe',
  /** iPXE for x86-64 UEFI. */
  ipxeEfi: 'ipxe.efi',
  /** pxelinux that can also fetch over HTTP (the generated configs use HTTP URLs). */
  pxelinux: 'lpxelinux.0',
} as const;
