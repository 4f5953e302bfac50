import { createHash } from 'node:crypto';
import { AttrError } from './errors.js';

/** Accepted forms of a MAC address. */
export const MAC_SYNTAX = 'six two-digit hex bytes separated by : (or -), unicast, not all zero, e.g. 02:1a:2b:3c:4d:5e';

/** The first octet of MACs drover generates: locally administered (bit 1 set), unicast (bit 0 clear). */
export const GENERATED_MAC_FIRST_OCTET = 0x02;

const MAC_RE = /^[0-9A-Fa-f]{2}([:-])[0-9A-Fa-f]{2}(?:\1[0-9A-Fa-f]{2}){4}$/;

/** Why a value is not an acceptable NIC MAC, or null when it is. */
export function macProblem(value: string): string | null {
  if (!MAC_RE.test(value)) return 'not a MAC address';
  const first = parseInt(value.slice(0, 2), 16);
  if (first & 1) return 'a multicast MAC cannot name a NIC';
  if (/^[0:-]+$/.test(value)) return 'the all-zero MAC cannot name a NIC';
  return null;
}

/**
 * Parses a NIC MAC address and returns it in drover's one stored form: lowercase, `:`-separated.
 * `52-54-00-AB-CD-EF` becomes `52:54:00:ab:cd:ef`. Multicast and all-zero addresses are refused,
 * as libvirt refuses them for an interface.
 */
export function parseMac(value: string, attribute = 'mac'): string {
  const text = value.trim();
  const problem = macProblem(text);
  if (problem) throw new AttrError({ code: 'ATTR_SYNTAX', attribute, value, problem, accepted: MAC_SYNTAX });
  return text.toLowerCase().replace(/-/g, ':');
}

/** True when {@link parseMac} would accept the value. */
export function isValidMac(value: string): boolean {
  return macProblem(value.trim()) === null;
}

/**
 * Makes a locally administered unicast MAC, `02:xx:xx:xx:xx:xx`, from five bytes. Pass random
 * bytes (`crypto.randomBytes(5)`) for a fresh address, or a string seed such as `"<node>/<nic>"`
 * for a stable one (the seed is hashed with SHA-256). The function itself has no randomness, so
 * callers decide and tests can repeat it.
 *
 * 02: rather than QEMU's 52:54:00 because 52:54:00 is QEMU's own default range, where libvirt
 * also invents addresses; a separate prefix keeps drover's choices from colliding with those.
 */
export function generateMac(source: Uint8Array | string): string {
  const bytes = typeof source === 'string' ? createHash('sha256').update(source).digest() : source;
  if (bytes.length < 5) throw new RangeError(`generateMac: need at least 5 bytes, got ${bytes.length}`);
  const octets = [GENERATED_MAC_FIRST_OCTET, ...Array.from(bytes.subarray(0, 5))];
  return octets.map((b) => b.toString(16).padStart(2, '0')).join(':');
}
