/**
 * Value syntaxes of table columns that the contract's guest attribute syntaxes (vm.storage,
 * vm.nics, ...) do not cover: addresses, names, enumerations. Each syntax takes the value as
 * given and returns the form to store, or throws an AttrError naming the attribute, the refused
 * part and the accepted form.
 */
import {
  AttrError,
  NODE_NAME_SYNTAX,
  isValidBridgeName,
  isValidNodeName,
  parseBootOrder,
  parseCpus,
  parseMac,
  parseMemoryMiB,
  parseNicList,
  parseStorageList,
  parseIscsiUrl,
  MAC_SYNTAX,
  MEMORY_SYNTAX,
  CPUS_SYNTAX,
  STORAGE_SYNTAX,
  NICS_SYNTAX,
  BOOT_ORDER_SYNTAX,
} from '@drover/contract';

/** Checks a value for one attribute; returns what to store. */
export type Normalise = (value: string, attribute: string) => string;

export interface Syntax {
  /** One-line summary of the accepted forms (shown by `tabdump -d` style help and in errors). */
  readonly accepted: string;
  readonly normalise: Normalise;
}

function refuse(
  attribute: string,
  value: string,
  problem: string,
  accepted: string,
  part?: string,
  code: 'ATTR_SYNTAX' | 'ATTR_RANGE' | 'ATTR_CONFLICT' = 'ATTR_SYNTAX',
): never {
  throw new AttrError({ code, attribute, value, problem, accepted, ...(part !== undefined ? { part } : {}) });
}

/** Splits a comma-separated list; blanks around items are dropped, empty items refused. */
function items(value: string, attribute: string, accepted: string, sep: RegExp = /,/): string[] {
  const parts = value.split(sep).map((p) => p.trim());
  if (parts.some((p) => p === '')) refuse(attribute, value, 'empty entry (two separators, or one at an end)', accepted);
  return parts;
}

const CONTROL_RE = /[\u0000-\u001f\u007f]/;

// ---------------------------------------------------------------------------------------------
// Building blocks

export const TEXT_SYNTAX = 'any text on one line (at most 1024 characters, no control characters)';
export const text: Syntax = {
  accepted: TEXT_SYNTAX,
  normalise: (v, a) => {
    if (CONTROL_RE.test(v)) refuse(a, v, 'control characters (newlines, tabs...) are not allowed', TEXT_SYNTAX);
    if (v.length > 1024) refuse(a, v.slice(0, 40) + '...', 'too long', TEXT_SYNTAX);
    return v;
  },
};

const TOKEN_RE = /^[A-Za-z0-9][A-Za-z0-9._+-]{0,127}$/;
export const TOKEN_SYNTAX = 'a word of letters, digits and . _ + - (at most 128 characters), e.g. debian12';
export const token: Syntax = {
  accepted: TOKEN_SYNTAX,
  normalise: (v, a) => (TOKEN_RE.test(v.trim()) ? v.trim() : refuse(a, v, 'not a word', TOKEN_SYNTAX)),
};

export function oneOf(values: readonly string[], lower = true): Syntax {
  const accepted = `one of ${values.join(', ')}`;
  return {
    accepted,
    normalise: (v, a) => {
      const t = lower ? v.trim().toLowerCase() : v.trim();
      return values.includes(t) ? t : refuse(a, v, 'not an accepted value', accepted);
    },
  };
}

export function integer(min: number, max: number, what = 'a whole number'): Syntax {
  const accepted = `${what} from ${min} to ${max}`;
  return {
    accepted,
    normalise: (v, a) => {
      const t = v.trim();
      if (!/^\d{1,15}$/.test(t)) refuse(a, v, 'not a whole number', accepted);
      const n = Number(t);
      if (n < min || n > max) refuse(a, v, 'out of range', accepted, undefined, 'ATTR_RANGE');
      return String(n);
    },
  };
}

const IPV4_RE = /^(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(?:\.(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;
export const IPV4_SYNTAX = 'an IPv4 address in dotted decimal without leading zeros, e.g. 10.0.0.5';
export function isIpv4(v: string): boolean {
  return IPV4_RE.test(v);
}
export const ipv4: Syntax = {
  accepted: IPV4_SYNTAX,
  normalise: (v, a) => (isIpv4(v.trim()) ? v.trim() : refuse(a, v, 'not an IPv4 address', IPV4_SYNTAX)),
};

function ipv4ToInt(v: string): number {
  return v.split('.').reduce((acc, o) => acc * 256 + Number(o), 0);
}

export const MASK_SYNTAX = 'a dotted netmask with contiguous ones, e.g. 255.255.255.0';
export const netmask: Syntax = {
  accepted: MASK_SYNTAX,
  normalise: (v, a) => {
    const t = v.trim();
    if (!isIpv4(t)) refuse(a, v, 'not a dotted netmask', MASK_SYNTAX);
    const n = ipv4ToInt(t);
    const inv = ~n >>> 0;
    if ((inv & (inv + 1)) !== 0) refuse(a, v, 'the ones of a netmask must be contiguous', MASK_SYNTAX);
    return t;
  },
};

const DNS_NAME_RE = /^(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*\.?$/;
export const DNS_NAME_SYNTAX = 'a DNS name: labels of letters, digits and - separated by dots, e.g. cluster.example.org';
export const dnsName: Syntax = {
  accepted: DNS_NAME_SYNTAX,
  normalise: (v, a) => (DNS_NAME_RE.test(v.trim()) && !isIpv4Like(v.trim()) ? v.trim() : refuse(a, v, 'not a DNS name', DNS_NAME_SYNTAX)),
};

/** A dotted all-digit name is a mistyped address, not a host name. */
function isIpv4Like(v: string): boolean {
  return /^[\d.]+$/.test(v);
}

export const SERVER_SYNTAX = `${IPV4_SYNTAX}, or a host name (a DNS name)`;
export const server: Syntax = {
  accepted: SERVER_SYNTAX,
  normalise: (v, a) => {
    const t = v.trim();
    if (isIpv4(t) || (DNS_NAME_RE.test(t) && !isIpv4Like(t))) return t;
    return refuse(a, v, 'not an IPv4 address or host name', SERVER_SYNTAX);
  },
};

export const hostName: Syntax = {
  accepted: NODE_NAME_SYNTAX,
  normalise: (v, a) => (isValidNodeName(v.trim()) ? v.trim() : refuse(a, v, 'not a valid host name', NODE_NAME_SYNTAX)),
};

export const HOST_LIST_SYNTAX = `host names separated by ",", each ${NODE_NAME_SYNTAX}`;
export const hostList: Syntax = {
  accepted: HOST_LIST_SYNTAX,
  normalise: (v, a) => {
    const out: string[] = [];
    for (const h of items(v, a, HOST_LIST_SYNTAX)) {
      if (!isValidNodeName(h)) refuse(a, v, 'not a valid host name', HOST_LIST_SYNTAX, h);
      if (!out.includes(h)) out.push(h);
    }
    return out.join(',');
  },
};

const GROUP_RE = /^[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,62})$/;
export const GROUP_SYNTAX = '1 to 63 letters, digits, _ and -, not starting with -';
export function isValidGroupName(g: string): boolean {
  return GROUP_RE.test(g) && !g.endsWith('-');
}
export const groupName: Syntax = {
  accepted: GROUP_SYNTAX,
  normalise: (v, a) => (isValidGroupName(v.trim()) ? v.trim() : refuse(a, v, 'not a valid group name', GROUP_SYNTAX)),
};

export const GROUP_LIST_SYNTAX = `group names separated by ",", each ${GROUP_SYNTAX}, e.g. compute,rack1`;
export const groupList: Syntax = {
  accepted: GROUP_LIST_SYNTAX,
  normalise: (v, a) => {
    const out: string[] = [];
    for (const g of items(v, a, GROUP_LIST_SYNTAX)) {
      if (!isValidGroupName(g)) refuse(a, v, 'not a valid group name', GROUP_LIST_SYNTAX, g);
      if (!out.includes(g)) out.push(g);
    }
    return out.join(',');
  },
};

export const IFNAME_SYNTAX = 'a network interface name (at most 15 letters, digits, _ . -), e.g. eth0';
export const ifName: Syntax = {
  accepted: IFNAME_SYNTAX,
  normalise: (v, a) => (isValidBridgeName(v.trim()) ? v.trim() : refuse(a, v, 'not an interface name', IFNAME_SYNTAX)),
};

export const IP_LIST_SYNTAX = 'IPv4 addresses separated by ",", e.g. 10.0.0.1,10.0.0.2';
export const ipList: Syntax = {
  accepted: IP_LIST_SYNTAX,
  normalise: (v, a) => {
    const list = items(v, a, IP_LIST_SYNTAX);
    for (const ip of list) if (!isIpv4(ip)) refuse(a, v, 'not an IPv4 address', IP_LIST_SYNTAX, ip);
    return list.join(',');
  },
};

export const NAME_LIST_SYNTAX = 'DNS names separated by "," or blanks, e.g. web1.example.org,web1-mgmt';
export const nameList: Syntax = {
  accepted: NAME_LIST_SYNTAX,
  normalise: (v, a) => {
    const list = items(v.trim(), a, NAME_LIST_SYNTAX, /[\s,]+/);
    for (const n of list) if (!DNS_NAME_RE.test(n) || isIpv4Like(n)) refuse(a, v, 'not a DNS name', NAME_LIST_SYNTAX, n);
    return list.join(',');
  },
};

export const RANGE_SYNTAX = 'two IPv4 addresses FIRST-LAST (or FIRST,LAST), FIRST not above LAST, e.g. 10.0.0.100-10.0.0.199';
export const ipRange: Syntax = {
  accepted: RANGE_SYNTAX,
  normalise: (v, a) => {
    const m = /^\s*([\d.]+)\s*[-,]\s*([\d.]+)\s*$/.exec(v);
    if (!m || !isIpv4(m[1]!) || !isIpv4(m[2]!)) return refuse(a, v, 'not an address range', RANGE_SYNTAX);
    if (ipv4ToInt(m[1]!) > ipv4ToInt(m[2]!)) refuse(a, v, 'the first address is above the last', RANGE_SYNTAX, undefined, 'ATTR_RANGE');
    return `${m[1]}-${m[2]}`;
  },
};

export const BOOL_SYNTAX = '1 or 0 (yes/no, true/false are read the same)';
export const bool01: Syntax = {
  accepted: BOOL_SYNTAX,
  normalise: (v, a) => {
    const t = v.trim().toLowerCase();
    if (['1', 'yes', 'true', 'y'].includes(t)) return '1';
    if (['0', 'no', 'false', 'n'].includes(t)) return '0';
    return refuse(a, v, 'not a yes/no value', BOOL_SYNTAX);
  },
};

export const UUID_SYNTAX = 'a UUID of 32 hex digits in groups 8-4-4-4-12, e.g. 4dea22b3-1d52-d8f3-2516-782e98ab3fa0';
export const uuid: Syntax = {
  accepted: UUID_SYNTAX,
  normalise: (v, a) => {
    const t = v.trim().toLowerCase();
    return /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/.test(t) ? t : refuse(a, v, 'not a UUID', UUID_SYNTAX);
  },
};

export const PATH_SYNTAX = 'an absolute path of letters, digits and . _ + @ ~ : - (no .. segments), e.g. /install';
export const absPath: Syntax = {
  accepted: PATH_SYNTAX,
  normalise: (v, a) => {
    const t = v.trim();
    if (!t.startsWith('/') || !/^(\/[A-Za-z0-9._+@~:-]+)+\/?$/.test(t) || /\/\.\.?(\/|$)/.test(t))
      refuse(a, v, 'not an absolute path', PATH_SYNTAX);
    return t.length > 1 && t.endsWith('/') ? t.slice(0, -1) : t;
  },
};

// ---------------------------------------------------------------------------------------------
// The contract's guest attribute syntaxes, as table syntaxes. Values are stored as written
// (trimmed): the agent parses them again with the same code, and `lsdef` shows what was typed.

export const storage: Syntax = { accepted: STORAGE_SYNTAX, normalise: (v, a) => (parseStorageList(v, a), v.trim()) };
export const nics: Syntax = { accepted: NICS_SYNTAX, normalise: (v, a) => (parseNicList(v, a), v.trim()) };
export const memory: Syntax = { accepted: MEMORY_SYNTAX, normalise: (v, a) => (parseMemoryMiB(v, a), v.trim()) };
export const cpus: Syntax = { accepted: CPUS_SYNTAX, normalise: (v, a) => String(parseCpus(v, a)) };
export const bootOrder: Syntax = { accepted: BOOT_ORDER_SYNTAX, normalise: (v, a) => (parseBootOrder(v, a), v.trim()) };
export const mac: Syntax = { accepted: MAC_SYNTAX, normalise: (v, a) => parseMac(v, a) };

export const STORAGE_URL_SYNTAX =
  'one storage location without options: dir:///DIR, nfs://SERVER/EXPORT, iscsi://PORTAL/IQN[/LUN], lvm://VG or phy:/dev/DEVICE';
/** A `storage` table key: one location of the vm.storage syntax, without ?options. */
export const storageUrl: Syntax = {
  accepted: STORAGE_URL_SYNTAX,
  normalise: (v, a) => {
    const t = v.trim();
    if (t.includes('?')) refuse(a, v, 'a storage declaration takes no ?options', STORAGE_URL_SYNTAX);
    if (t.startsWith('iscsi://')) {
      // A target (every LUN of it) or one LUN, kept in canonical form (portal with its port, lower
      // case) so that it is a prefix of the disks' canonical URLs.
      const r = parseIscsiUrl(t, true);
      if ('problem' in r) refuse(a, v, r.problem, STORAGE_URL_SYNTAX);
      const ok = r as { portal: string; iqn: string; lun?: number };
      return `iscsi://${ok.portal}/${ok.iqn}${ok.lun !== undefined ? `/${ok.lun}` : ''}`;
    }
    let disks;
    try {
      disks = parseStorageList(t, a);
    } catch (e) {
      if (e instanceof AttrError) refuse(a, v, e.message.replace(/^[^:]*: /, '').replace(/; accepted: .*$/, ''), STORAGE_URL_SYNTAX);
      throw e;
    }
    if (disks.length !== 1) refuse(a, v, 'exactly one location', STORAGE_URL_SYNTAX);
    return t.length > 1 && t.endsWith('/') && !t.endsWith(':///') ? t.slice(0, -1) : t;
  },
};

export { NODE_NAME_SYNTAX };
