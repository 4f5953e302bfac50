import { AttrError } from './errors.js';

/** Bytes in one MiB. */
export const MIB = 1024 * 1024;

const UNITS: Record<string, number> = { '': 1, K: 1024, M: MIB, G: 1024 * MIB, T: 1024 * 1024 * MIB };

/** Accepted forms of a size, for error messages and help text. */
export const SIZE_SYNTAX =
  'a whole number of bytes, or a whole number followed by K, M, G or T (optionally KiB/KB..., all powers of 1024), e.g. 20G';

/** Accepted forms of `vm.memory`. */
export const MEMORY_SYNTAX = 'a whole number of MiB (512), or a size with unit that is a whole number of MiB (512M, 2G)';

/** The largest vCPU count drover accepts. */
export const MAX_CPUS = 4096;

/** Accepted forms of `vm.cpus`. */
export const CPUS_SYNTAX = `a whole number from 1 to ${MAX_CPUS}`;

// digits, then an optional unit letter with an optional "B" or "iB", or a bare "B" for bytes.
const SIZE_RE = /^(\d+)(?:([KMGTkmgt])(?:[iI]?[bB])?|[bB])?$/;

/**
 * Parses a size such as `4G`, `512MiB`, `100KB` or `1048576` into bytes. Every unit is a power of
 * 1024 (`KB` and `KiB` mean the same, as with qemu-img); fractions are not accepted, so a size
 * always maps to exactly one byte count.
 */
export function parseSize(value: string, attribute = 'size'): number {
  const text = value.trim();
  const m = SIZE_RE.exec(text);
  if (!m) {
    throw new AttrError({ code: 'ATTR_SYNTAX', attribute, value, problem: 'not a size', accepted: SIZE_SYNTAX });
  }
  const bytes = Number(m[1]) * (UNITS[(m[2] ?? '').toUpperCase()] ?? 1);
  if (!Number.isSafeInteger(bytes)) {
    throw new AttrError({ code: 'ATTR_RANGE', attribute, value, problem: 'size too large', accepted: SIZE_SYNTAX });
  }
  return bytes;
}

/**
 * Writes a byte count in the shortest exact form parseSize reads back: the largest unit that
 * divides it (`4294967296` → `4G`, `1610612736` → `1536M`, `1000` → `1000`).
 */
export function formatSize(bytes: number): string {
  if (!Number.isSafeInteger(bytes) || bytes < 0) throw new RangeError(`formatSize: not a byte count: ${bytes}`);
  if (bytes === 0) return '0';
  for (const unit of ['T', 'G', 'M', 'K'] as const) {
    const mult = UNITS[unit] ?? 1;
    if (bytes % mult === 0) return `${bytes / mult}${unit}`;
  }
  return String(bytes);
}

/** MiB to bytes. */
export function mibToBytes(mib: number): number {
  if (!Number.isSafeInteger(mib) || mib < 0) throw new RangeError(`mibToBytes: not a MiB count: ${mib}`);
  return mib * MIB;
}

/** Bytes to MiB, rounded up so that a disk or a guest never gets less than asked for. */
export function bytesToMiB(bytes: number): number {
  if (!Number.isSafeInteger(bytes) || bytes < 0) throw new RangeError(`bytesToMiB: not a byte count: ${bytes}`);
  return Math.ceil(bytes / MIB);
}

/**
 * Parses `vm.memory` into MiB. A bare number is MiB (as in xCAT's vm.memory); with a unit the
 * size must be a whole number of MiB and above zero.
 */
export function parseMemoryMiB(value: string, attribute = 'vm.memory'): number {
  const text = value.trim();
  let mib: number;
  if (/^\d+$/.test(text)) {
    mib = Number(text);
  } else {
    let bytes: number;
    try {
      bytes = parseSize(text, attribute);
    } catch (err) {
      throw new AttrError({ code: 'ATTR_SYNTAX', attribute, value, problem: 'not a memory size', accepted: MEMORY_SYNTAX }, { cause: err });
    }
    if (bytes % MIB !== 0) {
      throw new AttrError({ code: 'ATTR_RANGE', attribute, value, problem: 'not a whole number of MiB', accepted: MEMORY_SYNTAX });
    }
    mib = bytes / MIB;
  }
  if (!Number.isSafeInteger(mib) || mib <= 0) {
    throw new AttrError({ code: 'ATTR_RANGE', attribute, value, problem: 'memory must be above zero', accepted: MEMORY_SYNTAX });
  }
  return mib;
}

/** Parses `vm.cpus`: a whole number from 1 to {@link MAX_CPUS}. */
export function parseCpus(value: string, attribute = 'vm.cpus'): number {
  const text = value.trim();
  if (!/^\d+$/.test(text)) {
    throw new AttrError({ code: 'ATTR_SYNTAX', attribute, value, problem: 'not a whole number', accepted: CPUS_SYNTAX });
  }
  const n = Number(text);
  if (n < 1 || n > MAX_CPUS) {
    throw new AttrError({ code: 'ATTR_RANGE', attribute, value, problem: 'vCPU count out of range', accepted: CPUS_SYNTAX });
  }
  return n;
}
