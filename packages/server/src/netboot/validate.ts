/**
 * Input checks shared by the generators. Every failure names the node (or network), the field and
 * the accepted form, so `makedhcp` can print it as it is.
 */
import { NetbootInputError } from './errors.js';
import type { NetworkInput, SiteInput } from './types.js';

const MAC_FORM = 'a MAC address like 52:54:00:12:34:56 (six hex pairs separated by ":" or "-")';
const IP_FORM = 'a dotted IPv4 address like 10.10.10.11 (four numbers 0-255, no leading zeros)';
const LABEL_FORM = 'a DNS label: 1-63 letters, digits or "-", not starting or ending with "-"';
const HOSTNAME_FORM = 'a DNS name: dot-separated labels of 1-63 letters, digits or "-", at most 253 characters';

/** Returns the MAC in lowercase colon form; rejects multicast and all-zero addresses. */
export function normalizeMac(value: unknown, subject?: string, field = 'mac.mac'): string {
  const s = typeof value === 'string' ? value.trim() : '';
  const m = /^([0-9a-f]{2})([:-])([0-9a-f]{2})\2([0-9a-f]{2})\2([0-9a-f]{2})\2([0-9a-f]{2})\2([0-9a-f]{2})$/i.exec(s);
  if (!m) throw new NetbootInputError({ subject, field, value, accepted: MAC_FORM });
  const octets = [m[1], m[3], m[4], m[5], m[6], m[7]].map((o) => (o ?? '').toLowerCase());
  const first = parseInt(octets[0] ?? '0', 16);
  if (first & 1) throw new NetbootInputError({ subject, field, value, accepted: MAC_FORM, detail: 'a multicast address cannot be a NIC' });
  if (octets.every((o) => o === '00')) throw new NetbootInputError({ subject, field, value, accepted: MAC_FORM, detail: 'all zeros' });
  return octets.join(':');
}

/** Parses a dotted IPv4 address into an unsigned 32-bit number. */
export function parseIPv4(value: unknown, subject?: string, field = 'ip'): number {
  const s = typeof value === 'string' ? value.trim() : '';
  const parts = s.split('.');
  if (parts.length !== 4 || !parts.every((p) => /^(0|[1-9][0-9]{0,2})$/.test(p) && Number(p) <= 255)) {
    throw new NetbootInputError({ subject, field, value, accepted: IP_FORM });
  }
  return parts.reduce((acc, p) => acc * 256 + Number(p), 0);
}

export function formatIPv4(n: number): string {
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
}

/** Checks a single DNS label (a node name). */
export function checkLabel(value: unknown, subject: string | undefined, field: string): string {
  if (typeof value !== 'string' || !/^[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/.test(value)) {
    throw new NetbootInputError({ subject, field, value, accepted: LABEL_FORM });
  }
  return value;
}

/** Checks a possibly dotted DNS name (an alias or a domain). */
export function checkHostname(value: unknown, subject: string | undefined, field: string): string {
  const ok =
    typeof value === 'string' &&
    value.length > 0 &&
    value.length <= 253 &&
    value.split('.').every((l) => /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/.test(l));
  if (!ok) throw new NetbootInputError({ subject, field, value, accepted: HOSTNAME_FORM });
  return value;
}

/** Splits a list given either as an array or as a comma/space-separated string. */
export function listOf(value: string | readonly string[] | undefined): string[] {
  if (value === undefined) return [];
  const items = typeof value === 'string' ? value.split(/[\s,]+/) : [...value];
  return items.map((s) => s.trim()).filter((s) => s.length > 0);
}

/** A network with its addresses parsed and checked. */
export interface Net {
  readonly input: NetworkInput;
  readonly name: string;
  readonly net: number;
  readonly mask: number;
  readonly prefix: number;
  readonly gateway: string | undefined;
  readonly range: { first: string; last: string } | undefined;
  readonly nameservers: string[];
  readonly domain: string | undefined;
  /** Address PXE ROMs fetch their first file from. */
  readonly nextServer: string;
}

export function inNet(ip: number, net: Net): boolean {
  return (ip & net.mask) >>> 0 === net.net;
}

/** Checks one networks row against itself and the site (for fallbacks). */
export function checkNetwork(n: NetworkInput, site: SiteInput): Net {
  const who = `network ${typeof n.name === 'string' && n.name ? n.name : '?'}`;
  if (typeof n.name !== 'string' || !/^[A-Za-z0-9_.-]{1,64}$/.test(n.name)) {
    throw new NetbootInputError({
      subject: who,
      field: 'networks.netname',
      value: n.name,
      accepted: '1-64 letters, digits, "_", "." or "-"',
    });
  }
  const net = parseIPv4(n.net, who, 'networks.net');
  const mask = parseIPv4(n.mask, who, 'networks.mask');
  const prefix = 32 - Math.log2((~mask >>> 0) + 1);
  if (!Number.isInteger(prefix) || prefix < 1) {
    throw new NetbootInputError({
      subject: who,
      field: 'networks.mask',
      value: n.mask,
      accepted: 'a contiguous netmask like 255.255.255.0 (/1 to /32)',
    });
  }
  if ((net & mask) >>> 0 !== net) {
    throw new NetbootInputError({
      subject: who,
      field: 'networks.net',
      value: n.net,
      accepted: `the network address with no host bits set (${formatIPv4((net & mask) >>> 0)} for mask ${n.mask})`,
    });
  }
  const self = { net, mask } as Net;
  const inside = (value: string, field: string): string => {
    const ip = parseIPv4(value, who, field);
    if (!inNet(ip, self)) {
      throw new NetbootInputError({ subject: who, field, value, accepted: `an address inside ${n.net}/${n.mask}` });
    }
    return formatIPv4(ip);
  };
  const gateway = n.gateway ? inside(n.gateway, 'networks.gateway') : undefined;
  let range: Net['range'];
  if (n.dhcpRange) {
    const ends = n.dhcpRange.split(/\s*[-,]\s*/);
    if (ends.length !== 2) {
      throw new NetbootInputError({
        subject: who,
        field: 'networks.dynamicrange',
        value: n.dhcpRange,
        accepted: 'first-last, e.g. 10.10.10.100-10.10.10.200',
      });
    }
    const first = inside(ends[0] ?? '', 'networks.dynamicrange');
    const last = inside(ends[1] ?? '', 'networks.dynamicrange');
    if (parseIPv4(first) > parseIPv4(last)) {
      throw new NetbootInputError({
        subject: who,
        field: 'networks.dynamicrange',
        value: n.dhcpRange,
        accepted: 'first-last with first not above last',
      });
    }
    range = { first, last };
  }
  const nsSource = n.nameservers !== undefined && listOf(n.nameservers).length > 0 ? n.nameservers : site.nameservers;
  const nameservers = listOf(nsSource).map((s) => formatIPv4(parseIPv4(s, who, 'networks.nameservers')));
  const domainValue = n.domain ?? site.domain;
  const domain = domainValue ? checkHostname(domainValue, who, n.domain ? 'networks.domain' : 'site.domain') : undefined;
  const nextRaw = n.nextServer ?? n.tftpServer ?? site.master;
  const nextServer = formatIPv4(
    parseIPv4(nextRaw, who, n.nextServer ? 'networks.nextserver' : n.tftpServer ? 'networks.tftpserver' : 'site.master'),
  );
  return { input: n, name: n.name, net, mask, prefix, gateway, range, nameservers, domain, nextServer };
}

/** Checks all networks; names must be unique. */
export function checkNetworks(networks: readonly NetworkInput[], site: SiteInput): Net[] {
  const seen = new Set<string>();
  return networks.map((n) => {
    const net = checkNetwork(n, site);
    if (seen.has(net.name)) {
      throw new NetbootInputError({
        subject: `network ${net.name}`,
        field: 'networks.netname',
        value: net.name,
        accepted: 'a name used by one network only',
      });
    }
    seen.add(net.name);
    return net;
  });
}

/** The most specific network containing the node's IP; throws naming the node when there is none. */
export function networkOf(ip: string, nets: readonly Net[], node: string, field = 'hosts.ip'): Net {
  const n = parseIPv4(ip, node, field);
  let best: Net | undefined;
  for (const net of nets) if (inNet(n, net) && (!best || net.prefix > best.prefix)) best = net;
  if (!best) {
    const known = nets.map((x) => `${x.name} ${formatIPv4(x.net)}/${x.prefix}`).join(', ') || 'none defined';
    throw new NetbootInputError({
      subject: node,
      field,
      value: ip,
      accepted: `an address inside one of the networks table's networks (${known})`,
    });
  }
  return best;
}

/** Site values with defaults applied and checked. */
export interface Site {
  readonly master: string;
  readonly domain: string | undefined;
  readonly httpPort: number;
  readonly installDir: string;
  readonly tftpDir: string;
  readonly leaseSeconds: number;
}

export function checkSite(site: SiteInput): Site {
  const master = formatIPv4(parseIPv4(site.master, 'site', 'site.master'));
  const httpPort = site.httpPort ?? 80;
  if (!Number.isInteger(httpPort) || httpPort < 1 || httpPort > 65535) {
    throw new NetbootInputError({ subject: 'site', field: 'site.httpport', value: site.httpPort, accepted: 'a port number 1-65535' });
  }
  const dir = (v: string | undefined, dflt: string, field: string): string => {
    const d = v ?? dflt;
    if (!/^\/[A-Za-z0-9._/-]*$/.test(d) || d.split('/').includes('..')) {
      throw new NetbootInputError({
        subject: 'site',
        field,
        value: v,
        accepted: 'an absolute path of letters, digits, ".", "_", "-" and "/" without ".."',
      });
    }
    return d.length > 1 ? d.replace(/\/+$/, '') : d;
  };
  const leaseSeconds = site.dhcpLeaseSeconds ?? 43200;
  if (!Number.isInteger(leaseSeconds) || leaseSeconds < 60) {
    throw new NetbootInputError({
      subject: 'site',
      field: 'site.dhcplease',
      value: site.dhcpLeaseSeconds,
      accepted: 'whole seconds, at least 60',
    });
  }
  return {
    master,
    domain: site.domain ? checkHostname(site.domain, 'site', 'site.domain') : undefined,
    httpPort,
    installDir: dir(site.installDir, '/install', 'site.installdir'),
    tftpDir: dir(site.tftpDir, '/tftpboot', 'site.tftpdir'),
    leaseSeconds,
  };
}

/** Orders names the way admins read them: node2 before node10. */
export function naturalCompare(a: string, b: string): number {
  const re = /(\d+)|(\D+)/g;
  const pa = a.match(re) ?? [];
  const pb = b.match(re) ?? [];
  for (let i = 0; i < Math.min(pa.length, pb.length); i++) {
    const x = pa[i] ?? '';
    const y = pb[i] ?? '';
    if (x === y) continue;
    const dx = /^\d/.test(x);
    const dy = /^\d/.test(y);
    if (dx && dy) {
      const d = Number(x) - Number(y);
      if (d !== 0) return d;
      // same value, different zero padding: shorter first, so the order stays total
      if (x.length !== y.length) return x.length - y.length;
    } else {
      return x < y ? -1 : 1;
    }
  }
  if (pa.length !== pb.length) return pa.length - pb.length;
  return a < b ? -1 : a > b ? 1 : 0;
}
