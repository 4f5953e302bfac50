/**
 * Natural order for node names: a run of digits compares by its value (node2 < node10), every
 * other character by its UTF-16 code unit. A digit run sits among characters where '0' would
 * (so 'a-1' < 'a1' < 'aa', as in plain code order). Runs of equal value (1, 01, 001) tie;
 * remaining ties are broken by plain code-unit comparison of the whole names (node01 < node1).
 * The order is total, so sorting is deterministic whatever the input order.
 */

/** One token per non-digit character (a 1-char string), one per digit run (leading zeros removed, so it starts with a digit). */
function tokensOf(name: string): string[] {
  const tokens: string[] = [];
  for (let i = 0; i < name.length;) {
    if (isDigit(name.charCodeAt(i))) {
      let j = i;
      while (j < name.length && isDigit(name.charCodeAt(j))) j++;
      let k = i;
      while (k < j - 1 && name.charCodeAt(k) === 0x30) k++;
      tokens.push(name.slice(k, j));
      i = j;
    } else {
      tokens.push(name[i]!);
      i++;
    }
  }
  return tokens;
}

function isDigit(c: number): boolean {
  return c >= 0x30 && c <= 0x39;
}

function cmpCode(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function cmpToken(a: string, b: string): number {
  const an = isDigit(a.charCodeAt(0));
  const bn = isDigit(b.charCodeAt(0));
  if (an && bn) return a.length - b.length || cmpCode(a, b);
  if (!an && !bn) return cmpCode(a, b);
  // A number against a non-digit character: the number stands where '0' is.
  const other = an ? b : a;
  const numberFirst = other.charCodeAt(0) > 0x39;
  return an === numberFirst ? -1 : 1;
}

interface Keyed {
  readonly name: string;
  readonly tokens: readonly string[];
}

function compareKeyed(a: Keyed, b: Keyed): number {
  const n = Math.min(a.tokens.length, b.tokens.length);
  for (let i = 0; i < n; i++) {
    const c = cmpToken(a.tokens[i]!, b.tokens[i]!);
    if (c !== 0) return c;
  }
  return a.tokens.length - b.tokens.length || cmpCode(a.name, b.name);
}

/** Compares two names in natural order (see the module comment). */
export function compareNodeNames(a: string, b: string): number {
  return compareKeyed({ name: a, tokens: tokensOf(a) }, { name: b, tokens: tokensOf(b) });
}

/** The distinct names in natural order (node2 before node10); the input is not changed. */
export function sortNodes(names: Iterable<string>): string[] {
  const keyed = [...new Set(names)].map((name) => ({ name, tokens: tokensOf(name) }));
  keyed.sort(compareKeyed);
  return keyed.map((k) => k.name);
}
