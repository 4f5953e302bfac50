/**
 * Editor for legacy Xen `xend-config.sxp` (xend, the `xm` toolstack of Xen 3.x/4.0). The file is a
 * series of s-expressions such as `(xend-relocation-port 8002)`; `#` starts a comment running to
 * the end of the line; strings are quoted with `'` or `"` and take backslash escapes, so the file
 * text `'^a\\.b$'` holds the regular expression `^a\.b$`.
 *
 * Edits touch only the value of the statement concerned; comments, spacing, blocks of commented
 * defaults and keys drover does not know are kept as they are. This is a file tool only: nothing
 * here talks to xend.
 */
import { HostConfigError } from './errors.js';
import { lineNumberAt, removeStatement, setStatement, type Statement, type Syntax } from './statements.js';

export interface SxpAtom {
  type: 'atom';
  /** The value, with quotes removed and escapes decoded. */
  text: string;
  quoted: boolean;
  start: number;
  end: number;
}

export interface SxpList {
  type: 'list';
  items: SxpNode[];
  start: number;
  end: number;
}

export type SxpNode = SxpAtom | SxpList;

/** A value drover writes: booleans become `yes`/`no`, numbers are written bare, strings quoted when needed. */
export type SxpValue = string | number | boolean;

// Characters that end an unquoted atom besides blanks, `#` and quotes (as xend's own parser does).
const SEPARATORS = '{}()<>[]!;';
const ESCAPES: Record<string, string> = {
  a: '\x07',
  b: '\b',
  t: '\t',
  n: '\n',
  v: '\v',
  f: '\f',
  r: '\r',
  '\\': '\\',
  "'": "'",
  '"': '"',
};

function isBlank(c: string): boolean {
  return c === ' ' || c === '\t' || c === '\n' || c === '\r' || c === '\v' || c === '\f';
}

/**
 * Parses the whole file into its top-level nodes. Throws a HostConfigError naming the file and the
 * line for an unbalanced parenthesis or an unterminated string.
 */
export function parseSxp(text: string, file: string): SxpNode[] {
  const top: SxpNode[] = [];
  const open: SxpList[] = [];
  const add = (n: SxpNode): void => {
    const parent = open[open.length - 1];
    if (parent) parent.items.push(n);
    else top.push(n);
  };
  let i = 0;
  while (i < text.length) {
    const c = text[i]!;
    if (isBlank(c)) {
      i++;
    } else if (c === '#') {
      const nl = text.indexOf('\n', i);
      i = nl < 0 ? text.length : nl;
    } else if (c === '(') {
      open.push({ type: 'list', items: [], start: i, end: -1 });
      i++;
    } else if (c === ')') {
      const list = open.pop();
      if (!list) {
        throw new HostConfigError('syntax', "unbalanced parentheses: ')' without a matching '('", {
          file,
          line: lineNumberAt(text, i),
        });
      }
      list.end = i + 1;
      i++;
      add(list);
    } else if (c === "'" || c === '"') {
      const { value, end } = readQuoted(text, i, file);
      add({ type: 'atom', text: value, quoted: true, start: i, end });
      i = end;
    } else if (SEPARATORS.includes(c)) {
      add({ type: 'atom', text: c, quoted: false, start: i, end: i + 1 });
      i++;
    } else {
      let j = i + 1;
      while (j < text.length) {
        const d = text[j]!;
        if (isBlank(d) || d === '#' || SEPARATORS.includes(d)) break;
        j++;
      }
      add({ type: 'atom', text: text.slice(i, j), quoted: false, start: i, end: j });
      i = j;
    }
  }
  const unclosed = open[0];
  if (unclosed) {
    throw new HostConfigError('syntax', "unbalanced parentheses: '(' opened here is never closed", {
      file,
      line: lineNumberAt(text, unclosed.start),
    });
  }
  return top;
}

function readQuoted(text: string, start: number, file: string): { value: string; end: number } {
  const delim = text[start]!;
  let out = '';
  let i = start + 1;
  while (i < text.length) {
    const c = text[i]!;
    if (c === delim) return { value: out, end: i + 1 };
    if (c !== '\\') {
      out += c;
      i++;
      continue;
    }
    const e = text[i + 1];
    if (e === undefined) break;
    const simple = ESCAPES[e];
    if (simple !== undefined) {
      out += simple;
      i += 2;
    } else if (e === 'x' && /^[0-9a-fA-F]{1,2}/.test(text.slice(i + 2, i + 4))) {
      const hex = /^[0-9a-fA-F]{1,2}/.exec(text.slice(i + 2, i + 4))![0];
      out += String.fromCharCode(parseInt(hex, 16));
      i += 2 + hex.length;
    } else if (/[0-7]/.test(e)) {
      const oct = /^[0-7]{1,3}/.exec(text.slice(i + 1, i + 4))![0];
      out += String.fromCharCode(parseInt(oct, 8) & 0xff);
      i += 1 + oct.length;
    } else {
      // xend keeps an escape it does not know as a literal backslash.
      out += '\\';
      i++;
    }
  }
  throw new HostConfigError('syntax', `unterminated string (missing closing ${delim})`, {
    file,
    line: lineNumberAt(text, start),
  });
}

/** Writes a string the way the file expects it: bare when it is a plain word, else single-quoted with escapes. */
export function renderSxpString(value: string): string {
  if (/^[A-Za-z][A-Za-z0-9_-]*$/.test(value)) return value;
  const body = value.replace(/[\\'\n\t\r]/g, (c) => ({ '\\': '\\\\', "'": "\\'", '\n': '\\n', '\t': '\\t', '\r': '\\r' })[c]!);
  return `'${body}'`;
}

function renderValue(v: SxpValue): string {
  if (typeof v === 'boolean') return v ? 'yes' : 'no';
  if (typeof v === 'number') {
    if (!Number.isFinite(v)) throw new HostConfigError('invalid-option', `not a finite number: ${v}`);
    return String(v);
  }
  return renderSxpString(v);
}

const TRUE_WORDS = new Set(['yes', 'y', '1', 'on', 'true', 't']);
const FALSE_WORDS = new Set(['no', 'n', '0', 'off', 'false', 'f']);

function sameValue(values: readonly SxpNode[], want: SxpValue): boolean {
  const only = values[0];
  if (values.length !== 1 || !only || only.type !== 'atom') return false;
  if (typeof want === 'boolean') return (want ? TRUE_WORDS : FALSE_WORDS).has(only.text.toLowerCase());
  return only.text === String(want);
}

interface SxpStatement extends Statement {
  values: SxpNode[];
}

function statements(text: string, file: string): SxpStatement[] {
  const out: SxpStatement[] = [];
  for (const node of parseSxp(text, file)) {
    if (node.type !== 'list') continue;
    const [head, ...values] = node.items;
    if (!head || head.type !== 'atom' || head.quoted) continue;
    const first = values[0];
    const last = values[values.length - 1];
    out.push({
      key: head.text,
      start: node.start,
      end: node.end,
      valueStart: first ? first.start : head.end,
      valueEnd: last ? last.end : head.end,
      values,
    });
  }
  return out;
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

const sxpSyntax: Syntax<SxpStatement> = {
  parse: statements,
  commentedCopy(line, key) {
    const m = new RegExp(`^\\s*#(\\s*)\\(\\s*${escapeRegExp(key)}(?=[\\s)]|$)`).exec(line);
    if (!m) return undefined;
    return m[1] === '' ? 'tight' : 'loose';
  },
  commentedSpan(lines, index) {
    // Follow a commented expression over the comment lines below it until its parentheses balance.
    let depth = 0;
    for (let i = index; i < lines.length && i < index + 50; i++) {
      const m = /^\s*#(.*)$/.exec(lines[i]!);
      if (!m) return 1;
      depth += parenBalance(m[1]!);
      if (depth <= 0) return i - index + 1;
    }
    return 1;
  },
  statement(key, valueText, template) {
    // Keep the spacing of a commented default such as `#(xend-port            8000)`.
    const gap = template ? /\(\s*\S+(\s+)/.exec(template)?.[1] : undefined;
    return `(${key}${gap ?? ' '}${valueText})`;
  },
};

/** Net parenthesis depth of a line of sxp text, ignoring quoted strings and trailing comments. */
function parenBalance(s: string): number {
  let depth = 0;
  let quote = '';
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if (quote) {
      if (c === '\\') i++;
      else if (c === quote) quote = '';
    } else if (c === "'" || c === '"') quote = c;
    else if (c === '#') break;
    else if (c === '(') depth++;
    else if (c === ')') depth--;
  }
  return depth;
}

/**
 * Sets (value) or comments out (null) each key, in the order given, following the rules in
 * statements.ts: the last active copy is edited and earlier copies commented out; a key present
 * only as a commented default gets an active line right after it; a missing key is appended.
 */
export function editSxp(text: string, file: string, set: Readonly<Record<string, SxpValue | null>>): string {
  let out = text;
  parseSxp(out, file); // report a malformed file even when no key is touched
  for (const [key, want] of Object.entries(set)) {
    if (!/^[^\s()'"#]+$/.test(key)) throw new HostConfigError('invalid-option', `not an sxp key: ${JSON.stringify(key)}`, { file });
    if (want === null) {
      out = removeStatement(sxpSyntax, out, file, key);
      continue;
    }
    const rendered = renderValue(want);
    out = setStatement(sxpSyntax, out, file, key, (cur) => {
      if (!cur) return rendered;
      if (sameValue(cur.values, want)) return undefined;
      return cur.values.length === 0 ? ` ${rendered}` : rendered;
    });
  }
  return out;
}

/**
 * The value xend would use for `key`: the first atom of its first active statement (xend reads the
 * first copy), or undefined when the key is not active.
 */
export function getSxpValue(text: string, file: string, key: string): string | undefined {
  const s = statements(text, file).find((st) => st.key === key);
  const v = s?.values[0];
  return v && v.type === 'atom' ? v.text : undefined;
}

export interface RelocationPeer {
  /** Host name as the relocation server resolves it (xend matches the peer's fully-qualified name). */
  name: string;
  /** Addresses the peer connects from. */
  addresses: readonly string[];
}

/**
 * Builds the value of `xend-relocation-hosts-allow`: one anchored regular expression per peer name
 * and address (`^node02\.cluster$ ^10\.0\.0\.2$`), dots and other specials escaped, duplicates
 * dropped. xend treats an empty value as "everyone", which the old howto used and drover never
 * does: an empty peer list is an error.
 */
export function buildHostsAllow(peers: readonly RelocationPeer[]): string {
  const seen = new Set<string>();
  for (const peer of peers) {
    for (const item of [peer.name, ...peer.addresses]) {
      if (!item || /[\s'"\\]/.test(item)) {
        throw new HostConfigError(
          'invalid-option',
          `peer ${JSON.stringify(peer.name)}: unusable host name or address ${JSON.stringify(item)}`,
        );
      }
      seen.add(`^${escapeRegExp(item)}$`);
    }
  }
  if (seen.size === 0) {
    throw new HostConfigError('invalid-option', 'no relocation peers: an empty xend-relocation-hosts-allow would admit every host');
  }
  return [...seen].join(' ');
}
