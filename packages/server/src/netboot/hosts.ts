/**
 * /etc/hosts generation (`makehosts`): a managed block `hosts` with one line per node,
 *
 *     <ip> <node> <node>.<domain> <aliases...>
 *
 * in natural node order (node2 before node10). The domain is the domain of the network holding the
 * node's IP, else site.domain; with `longNameFirst` (xCAT's `makehosts -l`) the FQDN comes first.
 * Everything outside the block is kept byte for byte.
 */
import { NetbootInputError } from './errors.js';
import { locateManagedBlock, replaceManagedBlock } from './managed-block.js';
import { joinEntries, mergeEntries, splitEntries, type Claim, type EntryFormat } from './entries.js';
import type { NetworkInput, NodeInput, SiteInput } from './types.js';
import { checkHostname, checkLabel, checkNetworks, checkSite, formatIPv4, inNet, listOf, parseIPv4, type Net } from './validate.js';

export const HOSTS_FILE = '/etc/hosts';
export const HOSTS_BLOCK = 'hosts';

export interface HostsOptions {
  /** Put `<node>.<domain>` before `<node>` (xCAT `makehosts -l`). */
  longNameFirst?: boolean;
}

function hostsLine(
  n: NodeInput,
  nets: readonly Net[],
  site: SiteInput,
  opts: HostsOptions,
): { node: string; line: string; names: string[]; ip: string } {
  const node = checkLabel(n.node, typeof n.node === 'string' ? n.node : undefined, 'nodelist.node');
  if (n.ip === undefined || n.ip === '') {
    throw new NetbootInputError({
      subject: node,
      field: 'hosts.ip',
      value: n.ip ?? '',
      accepted: 'an IPv4 address; an /etc/hosts line needs one',
    });
  }
  const ipNum = parseIPv4(n.ip, node, 'hosts.ip');
  const ip = formatIPv4(ipNum);
  let net: Net | undefined;
  for (const x of nets) if (inNet(ipNum, x) && (!net || x.prefix > net.prefix)) net = x;
  const domain = net?.domain ?? checkSite(site).domain;
  const fqdn = domain ? `${node}.${domain}` : undefined;
  const names = fqdn ? (opts.longNameFirst ? [fqdn, node] : [node, fqdn]) : [node];
  for (const a of listOf(n.aliases)) {
    checkHostname(a, node, 'hosts.hostnames');
    if (!names.some((x) => x.toLowerCase() === a.toLowerCase())) names.push(a);
  }
  return { node, line: `${ip} ${names.join(' ')}\n`, names, ip };
}

/** The /etc/hosts line for one node. */
export function renderHostsLine(node: NodeInput, networks: readonly NetworkInput[], site: SiteInput, opts: HostsOptions = {}): string {
  return hostsLine(node, checkNetworks(networks, site), site, opts).line;
}

const FORMAT: EntryFormat = {
  what: 'host line',
  blockId: HOSTS_BLOCK,
  // the node is the first label of the first name, whichever of short and long name comes first
  header: (line) => /^[0-9.]+[ \t]+([A-Za-z0-9-]+)(?:[.][^ \t]*)?(?:[ \t]|$)/.exec(line)?.[1] ?? null,
  continues: () => false,
  claims: (_node, text) => {
    const [ip, ...names] = text.trim().split(/[ \t]+/);
    const c: Claim[] = names.map((n) => ({ field: 'name', value: n }));
    if (ip) c.push({ field: 'ip', value: ip });
    return c;
  },
};

function update(
  text: string,
  file: string,
  upserts: Array<{ node: string; line: string; names: string[]; ip: string }>,
  removals: readonly string[],
): string {
  const cur = locateManagedBlock(text, HOSTS_BLOCK, file);
  const existing = cur ? splitEntries(cur.body, cur.firstLine, file, FORMAT) : [];
  const entries = upserts.map((u) => ({
    node: u.node,
    text: u.line,
    claims: [...u.names.map((n) => ({ field: 'name', value: n })), { field: 'ip', value: u.ip }],
  }));
  const merged = mergeEntries(existing, entries, removals, file);
  if (!cur && merged.length === 0) return text; // nothing to remove: leave a file without the block alone
  return replaceManagedBlock(text, HOSTS_BLOCK, joinEntries(merged), file);
}

/** `makehosts <noderange>`: adds or replaces the nodes' lines. */
export function hostsAddNodes(
  text: string,
  nodes: readonly NodeInput[],
  networks: readonly NetworkInput[],
  site: SiteInput,
  opts: HostsOptions = {},
  file = HOSTS_FILE,
): string {
  const nets = checkNetworks(networks, site);
  return update(
    text,
    file,
    nodes.map((n) => hostsLine(n, nets, site, opts)),
    [],
  );
}

/** `makehosts -d <noderange>`: removes the nodes' lines. */
export function hostsRemoveNodes(text: string, nodes: readonly string[], file = HOSTS_FILE): string {
  return update(
    text,
    file,
    [],
    nodes.map((n) => checkLabel(n, n, 'nodelist.node')),
  );
}

/** Node names that currently have a line in the block. */
export function hostsListNodes(text: string, file = HOSTS_FILE): string[] {
  const cur = locateManagedBlock(text, HOSTS_BLOCK, file);
  return cur ? splitEntries(cur.body, cur.firstLine, file, FORMAT).map((e) => e.node) : [];
}
