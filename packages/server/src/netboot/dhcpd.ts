/**
 * ISC dhcpd.conf generation (`makedhcp`). Drover writes two managed blocks into the admin's
 * dhcpd.conf: `networks` (global options and one subnet per networks row; `makedhcp -n`) and
 * `hosts` (one host declaration per node; `makedhcp <noderange>` adds or replaces, `makedhcp -d`
 * removes). Lines outside the blocks are the admin's and are kept as they are.
 *
 * Boot chain for a node with netboot `ipxe`: a PXE ROM gets undionly.kpxe (BIOS) or ipxe.efi
 * (UEFI x86-64) from next-server over TFTP; the iPXE that starts then asks again with user-class
 * "iPXE" and gets the HTTP URL of the node's script. With netboot `pxe` the ROM gets lpxelinux.0.
 * Clients without a host entry get an address from the dynamic range but no boot file.
 */
import { locateManagedBlock, replaceManagedBlock } from './managed-block.js';
import { joinEntries, mergeEntries, splitEntries, type Claim, type Entry, type EntryFormat } from './entries.js';
import { BOOT_FILES, checkDhcpNode, type DhcpNode } from './node-check.js';
import { ipxeScriptUrl } from './pxe.js';
import type { NetworkInput, NodeInput, SiteInput } from './types.js';
import { checkLabel, checkNetworks, checkSite, formatIPv4, type Net } from './validate.js';

export const DHCPD_CONF = '/etc/dhcp/dhcpd.conf';
export const DHCPD_NETWORKS_BLOCK = 'networks';
export const DHCPD_HOSTS_BLOCK = 'hosts';

/** Global options and subnet declarations (the body of the `networks` block). */
export function renderDhcpdNetworks(networks: readonly NetworkInput[], site: SiteInput): string {
  const s = checkSite(site);
  const nets = checkNetworks(networks, site);
  const out: string[] = [
    'authoritative;',
    'ddns-update-style none;',
    `default-lease-time ${s.leaseSeconds};`,
    `max-lease-time ${s.leaseSeconds};`,
  ];
  if (s.domain) out.push(`option domain-name "${s.domain}";`);
  for (const n of nets) {
    out.push('', `# network ${n.name}`, `subnet ${formatIPv4(n.net)} netmask ${formatIPv4(n.mask)} {`);
    if (n.gateway) out.push(`  option routers ${n.gateway};`);
    if (n.domain) out.push(`  option domain-name "${n.domain}";`);
    if (n.nameservers.length > 0) out.push(`  option domain-name-servers ${n.nameservers.join(', ')};`);
    out.push(`  next-server ${n.nextServer};`);
    if (n.range) out.push(`  range ${n.range.first} ${n.range.last};`);
    out.push('}');
  }
  return `${out.join('\n')}\n`;
}

function hostDeclaration(h: DhcpNode, site: SiteInput): string {
  const lines = [
    `host ${h.node} {`,
    `  hardware ethernet ${h.mac};`,
    `  fixed-address ${h.ip};`,
    `  option host-name "${h.node}";`,
    `  next-server ${h.net.nextServer};`,
  ];
  if (h.netboot === 'pxe') {
    lines.push(`  filename "${BOOT_FILES.pxelinux}";`);
  } else {
    const efi = ['00007', '00009'].map((a) => `substring (option vendor-class-identifier, 0, 20) = "PXEClient:Arch:${a}"`).join(' or ');
    lines.push(
      '  if exists user-class and option user-class = "iPXE" {',
      `    filename "${ipxeScriptUrl(site, h.node)}";`,
      `  } elsif ${efi} {`,
      `    filename "${BOOT_FILES.ipxeEfi}";`,
      '  } else {',
      `    filename "${BOOT_FILES.ipxeBios}";`,
      '  }',
    );
  }
  lines.push('}');
  return lines.map((l) => `${l}\n`).join('');
}

/** The host declaration for one node (validated against the networks). */
export function renderDhcpdHost(node: NodeInput, networks: readonly NetworkInput[], site: SiteInput): string {
  return hostDeclaration(checkDhcpNode(node, checkNetworks(networks, site)), site);
}

const HOST_FORMAT: EntryFormat = {
  what: 'host declaration',
  blockId: DHCPD_HOSTS_BLOCK,
  header: (line) => /^host ([A-Za-z0-9-]+) \{$/.exec(line)?.[1] ?? null,
  // drover's own declaration lines: indented statements and the closing brace
  continues: (line) => /^ {2}(?:[a-z-]+ .*;|if .*\{|\} elsif .*\{|\} else \{|\})$|^ {4}filename "[^"]*";$|^\}$/.test(line),
  claims: (_node, text) => {
    const c: Claim[] = [];
    const mac = /^\s*hardware ethernet ([0-9a-f:]+);/m.exec(text)?.[1];
    const ip = /^\s*fixed-address ([0-9.]+);/m.exec(text)?.[1];
    if (mac) c.push({ field: 'mac', value: mac });
    if (ip) c.push({ field: 'ip', value: ip });
    return c;
  },
};

function updateHosts(text: string, file: string, upserts: Entry[], removals: readonly string[]): string {
  const cur = locateManagedBlock(text, DHCPD_HOSTS_BLOCK, file);
  const existing = cur ? splitEntries(cur.body, cur.firstLine, file, HOST_FORMAT) : [];
  const merged = mergeEntries(existing, upserts, removals, file);
  if (!cur && merged.length === 0) return text; // nothing to remove: leave a file without the block alone
  return replaceManagedBlock(text, DHCPD_HOSTS_BLOCK, joinEntries(merged), file);
}

/** `makedhcp -n`: (re)writes the `networks` block; host declarations are left as they are. */
export function dhcpdSetNetworks(text: string, networks: readonly NetworkInput[], site: SiteInput, file = DHCPD_CONF): string {
  return replaceManagedBlock(text, DHCPD_NETWORKS_BLOCK, renderDhcpdNetworks(networks, site), file);
}

/** `makedhcp <noderange>`: adds the nodes' host declarations, replacing any they already have. */
export function dhcpdAddHosts(
  text: string,
  nodes: readonly NodeInput[],
  networks: readonly NetworkInput[],
  site: SiteInput,
  file = DHCPD_CONF,
): string {
  const nets: Net[] = checkNetworks(networks, site);
  checkSite(site);
  const upserts = nodes.map((n) => {
    const h = checkDhcpNode(n, nets);
    return {
      node: h.node,
      text: hostDeclaration(h, site),
      claims: [
        { field: 'mac', value: h.mac },
        { field: 'ip', value: h.ip },
      ],
    };
  });
  return updateHosts(text, file, upserts, []);
}

/** `makedhcp -d <noderange>`: removes the nodes' host declarations (absent ones are ignored). */
export function dhcpdRemoveHosts(text: string, nodes: readonly string[], file = DHCPD_CONF): string {
  const names = nodes.map((n) => checkLabel(n, n, 'nodelist.node'));
  return updateHosts(text, file, [], names);
}

/** Node names that currently have a host declaration in the `hosts` block. */
export function dhcpdListHosts(text: string, file = DHCPD_CONF): string[] {
  const cur = locateManagedBlock(text, DHCPD_HOSTS_BLOCK, file);
  return cur ? splitEntries(cur.body, cur.firstLine, file, HOST_FORMAT).map((e) => e.node) : [];
}

/** argv that asks dhcpd to check a config file's syntax without serving (`dhcpd -t -cf <file>`). */
export function dhcpdCheckArgv(file: string, dhcpd = '/usr/sbin/dhcpd'): string[] {
  return [dhcpd, '-t', '-cf', file];
}
