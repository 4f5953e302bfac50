/**
 * Plain input shapes for the netboot generators. The server maps its xCAT-style tables to these
 * (networks → NetworkInput, nodelist/mac/hosts/noderes → NodeInput, site → SiteInput,
 * nodetype → InstallInput); the generators never read tables themselves.
 */

/** One row of the `networks` table. */
export interface NetworkInput {
  /** networks.netname; also used as a dnsmasq tag, so letters, digits, `_`, `.`, `-`. */
  name: string;
  /** Network address, e.g. `10.10.10.0`. */
  net: string;
  /** Dotted netmask, e.g. `255.255.255.0`. */
  mask: string;
  gateway?: string;
  /** Dynamic range `first-last` (or `first,last`); both ends inside the network. */
  dhcpRange?: string;
  /** Name server IPs, as a list or a comma-separated string (as xCAT stores them). */
  nameservers?: string | readonly string[];
  domain?: string;
  tftpServer?: string;
  /** Server the PXE ROM loads its first file from; defaults to tftpServer, then site.master. */
  nextServer?: string;
}

/** Accepted values of noderes.netboot. */
export const NETBOOT_METHODS = ['ipxe', 'pxe'] as const;
export type NetbootMethod = (typeof NETBOOT_METHODS)[number];

/** One node, joined from nodelist, mac, hosts and noderes. */
export interface NodeInput {
  node: string;
  /** mac.mac of the install NIC. */
  mac?: string;
  /** hosts.ip. */
  ip?: string;
  /** hosts.hostnames: extra names, as a list or a comma/space-separated string. */
  aliases?: string | readonly string[];
  /**
   * noderes.netboot: `ipxe` (default: PXE ROMs chain-load iPXE, which fetches the node's script
   * over HTTP) or `pxe` (lpxelinux.0 with a per-MAC pxelinux.cfg file).
   */
  netboot?: string;
}

/** The `site` table values the generators use. */
export interface SiteInput {
  /** site.master: the headnode IP that serves HTTP/TFTP. */
  master: string;
  /** site.domain: used when the node's network has no domain of its own. */
  domain?: string;
  /** site.httpport, default 80. */
  httpPort?: number;
  /** site.installdir, default `/install`; served over HTTP under the same path. */
  installDir?: string;
  /** site.tftpdir, default `/tftpboot`; served over TFTP as its root and over HTTP under the same path. */
  tftpDir?: string;
  /** site.nameservers: fallback when a network has none. */
  nameservers?: string | readonly string[];
  /** site.dhcplease in seconds, default 43200. */
  dhcpLeaseSeconds?: number;
}

/** A generated file: an absolute system path and its full content (null: the file should not exist). */
export interface FileOut {
  path: string;
  content: string | Buffer | null;
  /** Keep the previous content as `<file>.drover-bak` (for files drover shares with the admin). */
  backup?: boolean;
  mode?: number;
}
