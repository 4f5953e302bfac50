/**
 * dnsmasq configuration (`makedhcp` when the headnode runs dnsmasq): a drover-owned file in
 * dnsmasq.d with two managed blocks, `networks` (TFTP, boot tags, one dhcp-range per network) and
 * `hosts` (per node: a `dhcp-host` line that also sets the tag `drover-<node>`, and the boot
 * file lines for that tag).
 *
 * Each node's boot lines are mutually exclusive (iPXE / UEFI ROM / BIOS ROM), so which dhcp-boot
 * wins never depends on dnsmasq's matching order. Clients without a host entry get no boot file.
 */
import { locateManagedBlock, replaceManagedBlock } from './managed-block.js';
import { joinEntries, mergeEntries, splitEntries, type Claim, type Entry, type EntryFormat } from './entries.js';
import { BOOT_FILES, checkDhcpNode, type DhcpNode } from './node-check.js';
import { ipxeScriptUrl } from './pxe.js';
import type { NetworkInput, NodeInput, SiteInput } from './types.js';
import { checkLabel, checkNetworks, checkSite, formatIPv4 } from './validate.js';

export const DNSMASQ_CONF = '/etc/dnsmasq.d/drover.conf';
export const DNSMASQ_NETWORKS_BLOCK = 'networks';
export const DNSMASQ_HOSTS_BLOCK = 'hosts';

/** TFTP and boot-tag settings plus one dhcp-range (and its options) per network. */
export function renderDnsmasqNetworks(networks: readonly NetworkInput[], site: SiteInput): string {
  const s = checkSite(site);
  const nets = checkNetworks(networks, site);
  const out: string[] = [
    'dhcp-authoritative',
    'enable-tftp',
    `tftp-root=${s.tftpDir}`,
    '# iPXE identifies itself with user-class "iPXE"; UEFI x86-64 ROMs report client-arch 7 or 9',
    'dhcp-userclass=set:ipxe,iPXE',
    'dhcp-match=set:efi64,option:client-arch,7',
    'dhcp-match=set:efi64,option:client-arch,9',
  ];
  for (const n of nets) {
    const mask = formatIPv4(n.mask);
    out.push(`# network ${n.name} ${formatIPv4(n.net)}/${n.prefix}`);
    out.push(
      n.range
        ? `dhcp-range=set:${n.name},${n.range.first},${n.range.last},${mask},${s.leaseSeconds}`
        : `dhcp-range=set:${n.name},${formatIPv4(n.net)},static,${mask},${s.leaseSeconds}`,
    );
    if (n.gateway) out.push(`dhcp-option=tag:${n.name},option:router,${n.gateway}`);
    if (n.nameservers.length > 0) out.push(`dhcp-option=tag:${n.name},option:dns-server,${n.nameservers.join(',')}`);
    if (n.domain) out.push(`dhcp-option=tag:${n.name},option:domain-name,${n.domain}`);
  }
  return `${out.join('\n')}\n`;
}

function hostLines(h: DhcpNode, site: SiteInput): string {
  const tag = `drover-${h.node}`;
  const lines = [`# node ${h.node}`, `dhcp-host=${h.mac},set:${tag},${h.ip},${h.node}`];
  const server = `,,${h.net.nextServer}`;
  if (h.netboot === 'pxe') {
    lines.push(`dhcp-boot=tag:${tag},${BOOT_FILES.pxelinux}${server}`);
  } else {
    lines.push(
      `dhcp-boot=tag:${tag},tag:ipxe,${ipxeScriptUrl(site, h.node)}`,
      `dhcp-boot=tag:${tag},tag:!ipxe,tag:efi64,${BOOT_FILES.ipxeEfi}${server}`,
      `dhcp-boot=tag:${tag},tag:!ipxe,tag:!efi64,${BOOT_FILES.ipxeBios}${server}`,
    );
  }
  return lines.map((l) => `${l}\n`).join('');
}

/** The lines for one node (validated against the networks). */
export function renderDnsmasqHost(node: NodeInput, networks: readonly NetworkInput[], site: SiteInput): string {
  return hostLines(checkDhcpNode(node, checkNetworks(networks, site)), site);
}

const HOST_FORMAT: EntryFormat = {
  what: 'node entry',
  blockId: DNSMASQ_HOSTS_BLOCK,
  header: (line) => /^# node ([A-Za-z0-9-]+)$/.exec(line)?.[1] ?? null,
  continues: (line, node) =>
    line.startsWith(`dhcp-host=`) ? line.includes(`,set:drover-${node},`) : line.startsWith(`dhcp-boot=tag:drover-${node},`),
  claims: (_node, text) => {
    const c: Claim[] = [];
    const m = /^dhcp-host=([0-9a-f:]+),set:[^,]+,([0-9.]+),/m.exec(text);
    if (m?.[1]) c.push({ field: 'mac', value: m[1] });
    if (m?.[2]) c.push({ field: 'ip', value: m[2] });
    return c;
  },
};

function updateHosts(text: string, file: string, upserts: Entry[], removals: readonly string[]): string {
  const cur = locateManagedBlock(text, DNSMASQ_HOSTS_BLOCK, file);
  const existing = cur ? splitEntries(cur.body, cur.firstLine, file, HOST_FORMAT) : [];
  const merged = mergeEntries(existing, upserts, removals, file);
  if (!cur && merged.length === 0) return text; // nothing to remove: leave a file without the block alone
  return replaceManagedBlock(text, DNSMASQ_HOSTS_BLOCK, joinEntries(merged), file);
}

/** `makedhcp -n` for dnsmasq: (re)writes the `networks` block. */
export function dnsmasqSetNetworks(text: string, networks: readonly NetworkInput[], site: SiteInput, file = DNSMASQ_CONF): string {
  return replaceManagedBlock(text, DNSMASQ_NETWORKS_BLOCK, renderDnsmasqNetworks(networks, site), file);
}

/** `makedhcp <noderange>` for dnsmasq: adds or replaces the nodes' entries. */
export function dnsmasqAddHosts(
  text: string,
  nodes: readonly NodeInput[],
  networks: readonly NetworkInput[],
  site: SiteInput,
  file = DNSMASQ_CONF,
): string {
  const nets = checkNetworks(networks, site);
  checkSite(site);
  const upserts = nodes.map((n) => {
    const h = checkDhcpNode(n, nets);
    return {
      node: h.node,
      text: hostLines(h, site),
      claims: [
        { field: 'mac', value: h.mac },
        { field: 'ip', value: h.ip },
      ],
    };
  });
  return updateHosts(text, file, upserts, []);
}

/** `makedhcp -d <noderange>` for dnsmasq: removes the nodes' entries. */
export function dnsmasqRemoveHosts(text: string, nodes: readonly string[], file = DNSMASQ_CONF): string {
  return updateHosts(
    text,
    file,
    [],
    nodes.map((n) => checkLabel(n, n, 'nodelist.node')),
  );
}

/** Node names that currently have an entry in the `hosts` block. */
export function dnsmasqListHosts(text: string, file = DNSMASQ_CONF): string[] {
  const cur = locateManagedBlock(text, DNSMASQ_HOSTS_BLOCK, file);
  return cur ? splitEntries(cur.body, cur.firstLine, file, HOST_FORMAT).map((e) => e.node) : [];
}

/** argv that asks dnsmasq to check a config file's syntax (`dnsmasq --test --conf-file=<file>`). */
export function dnsmasqCheckArgv(file: string, dnsmasq = '/usr/sbin/dnsmasq'): string[] {
  return [dnsmasq, '--test', `--conf-file=${file}`];
}
