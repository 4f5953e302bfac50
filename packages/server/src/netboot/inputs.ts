/**
 * Reads the xCAT tables into the generators' input shapes: `site` → SiteInput, `networks` →
 * NetworkInput, nodelist/mac/hosts/noderes/nodetype/nodehm/vm → per-node inputs. Missing values
 * are reported with the column to set and the command that sets it.
 */
import type { NetworkInput, NodeInput, SiteInput } from './types.js';
import type { NodeAttrs, Tables } from '../tables/index.js';

const disabled = (v: string | undefined): boolean => v !== undefined && /^(1|yes|true)$/i.test(v.trim());

/** The site table as key → value (disabled rows left out). */
export async function siteValues(tables: Tables): Promise<Map<string, string>> {
  const d = await tables.dump('site');
  const k = d.columns.indexOf('key');
  const v = d.columns.indexOf('value');
  const dis = d.columns.indexOf('disable');
  const out = new Map<string, string>();
  for (const r of d.rows) if (r[v] && !disabled(r[dis])) out.set(r[k]!, r[v]!);
  return out;
}

function intOf(v: string | undefined): number | undefined {
  return v === undefined || v === '' ? undefined : Number(v);
}

/** A value the command needs is not set; the message says which column and how to set it. */
export class UnsetAttrError extends Error {
  override readonly name = 'UnsetAttrError';
  readonly code = 'NETBOOT_UNSET';
  constructor(
    /** The node, or `site`. */
    readonly subject: string,
    /** `table.column`, e.g. `mac.mac`. */
    readonly field: string,
    hint: string,
  ) {
    super(`${subject}: ${field} is not set; ${hint}`);
  }
}

/** SiteInput from the site table; site.master is required. */
export async function readSite(tables: Tables): Promise<SiteInput> {
  const s = await siteValues(tables);
  const master = s.get('master');
  if (!master) {
    throw new UnsetAttrError(
      'site',
      'site.master',
      "it is the headnode's IPv4 address that nodes reach for DHCP, TFTP and HTTP; set it with: chtab key=master site.value=10.0.0.1",
    );
  }
  const out: SiteInput = { master };
  const domain = s.get('domain');
  if (domain) out.domain = domain;
  const port = intOf(s.get('httpport'));
  if (port !== undefined) out.httpPort = port;
  const installDir = s.get('installdir');
  if (installDir) out.installDir = installDir;
  const tftpDir = s.get('tftpdir');
  if (tftpDir) out.tftpDir = tftpDir;
  const ns = s.get('nameservers');
  if (ns) out.nameservers = ns;
  const lease = intOf(s.get('dhcplease'));
  if (lease !== undefined) out.dhcpLeaseSeconds = lease;
  return out;
}

/** Rows of the networks table (disabled rows left out). */
export async function readNetworks(tables: Tables): Promise<NetworkInput[]> {
  const d = await tables.dump('networks');
  const col = (r: string[], name: string): string | undefined => {
    const v = r[d.columns.indexOf(name)];
    return v === undefined || v === '' ? undefined : v;
  };
  const out: NetworkInput[] = [];
  for (const r of d.rows) {
    if (disabled(col(r, 'disable'))) continue;
    const n: NetworkInput = { name: col(r, 'netname') ?? '', net: col(r, 'net') ?? '', mask: col(r, 'mask') ?? '' };
    const set = <K extends keyof NetworkInput>(k: K, v: NetworkInput[K] | undefined): void => {
      if (v !== undefined) n[k] = v;
    };
    set('gateway', col(r, 'gateway'));
    set('dhcpRange', col(r, 'dynamicrange'));
    set('nameservers', col(r, 'nameservers'));
    set('domain', col(r, 'domain'));
    set('tftpServer', col(r, 'tftpserver'));
    out.push(n);
  }
  return out;
}

/** A node attribute the command needs is unset: names it, says what it is for and how to set it. */
export function unset(node: string, attr: string, why: string, example: string, extra = ''): UnsetAttrError {
  return new UnsetAttrError(node, attr, `${why}; set it with: chdef ${node} ${attr}=${example}${extra}`);
}

/** The DHCP/hosts view of a node (MAC, IP, names, boot method); MAC and IP are checked by the caller. */
export function nodeInput(node: string, a: NodeAttrs): NodeInput {
  const n: NodeInput = { node };
  if (a['mac.mac']) n.mac = a['mac.mac'];
  if (a['hosts.ip']) n.ip = a['hosts.ip'];
  if (a['hosts.hostnames']) n.aliases = a['hosts.hostnames'];
  if (a['noderes.netboot']) n.netboot = a['noderes.netboot'];
  return n;
}

/** The serial console for the installer's kernel (nodehm.serialport 0 → ttyS0), if the node has one. */
export function consoleOf(a: NodeAttrs): string | undefined {
  const port = a['nodehm.serialport'];
  if (port === undefined || port === '') return undefined;
  const speed = a['nodehm.serialspeed'];
  return `ttyS${port}${speed ? `,${speed}` : ''}`;
}
