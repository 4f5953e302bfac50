/**
 * Editor for libvirt's configuration syntax (`qemu.conf`, `libvirtd.conf`, `libxl.conf`) and the
 * close cousin Xen uses for `xl.conf`:
 *
 *     # comment
 *     listen_tls = 1
 *     listen_addr = "192.0.2.10"          # trailing comment
 *     tls_allowed_dn_list = [ "CN=a",
 *                             "CN=b" ]
 *     autoballoon="off"
 *
 * Values are strings in double or single quotes (single-line; libvirt also accepts `"""` strings
 * spanning lines), integers, and lists of values that may span lines. Statements end at the end of
 * the line or at `;`. Only the value of a statement that changes is rewritten; comments, spacing and
 * unknown keys stay as they are.
 */
import { HostConfigError } from './errors.js';
import { lineNumberAt, removeStatement, setStatement, type Statement, type Syntax } from './statements.js';

export type KvParsed = { kind: 'string'; text: string } | { kind: 'number'; text: string } | { kind: 'list'; items: KvParsed[] };

/** A value drover writes: booleans become 1/0 (libvirt's convention), lists hold strings. */
export type KvValue = string | number | boolean | readonly string[];

export interface KvStatement extends Statement {
  value: KvParsed;
}

class Cursor {
  pos = 0;
  constructor(
    readonly text: string,
    readonly file: string,
  ) {}
  ch(): string | undefined {
    return this.text[this.pos];
  }
  fail(message: string, at = this.pos): never {
    throw new HostConfigError('syntax', message, { file: this.file, line: lineNumberAt(this.text, at) });
  }
  skipBlanks(): void {
    while (this.ch() === ' ' || this.ch() === '\t' || this.ch() === '\r') this.pos++;
  }
  skipComment(): void {
    if (this.ch() !== '#') return;
    const nl = this.text.indexOf('\n', this.pos);
    this.pos = nl < 0 ? this.text.length : nl;
  }
  /** Blanks, newlines and comments, as allowed between list items. */
  skipSpace(): void {
    for (;;) {
      this.skipBlanks();
      if (this.ch() === '#') this.skipComment();
      else if (this.ch() === '\n') this.pos++;
      else return;
    }
  }
}

function parseValue(c: Cursor): KvParsed {
  const start = c.pos;
  const ch = c.ch();
  if (ch === undefined || ch === '\n') c.fail('expected a value after =');
  if (c.text.startsWith('"""', c.pos)) {
    const close = c.text.indexOf('"""', c.pos + 3);
    if (close < 0) c.fail('unterminated """ string', start);
    const text = c.text.slice(c.pos + 3, close);
    c.pos = close + 3;
    return { kind: 'string', text };
  }
  if (ch === '"' || ch === "'") {
    let i = c.pos + 1;
    while (i < c.text.length && c.text[i] !== ch && c.text[i] !== '\n') {
      // xl.conf strings may escape their quote; libvirt never writes a backslash before one.
      if (c.text[i] === '\\' && ch === '"' && c.text[i + 1] === '"') i++;
      i++;
    }
    if (c.text[i] !== ch) c.fail(`unterminated string (missing closing ${ch})`, start);
    const text = c.text.slice(c.pos + 1, i);
    c.pos = i + 1;
    return { kind: 'string', text };
  }
  if (ch === '[') {
    c.pos++;
    const items: KvParsed[] = [];
    c.skipSpace();
    while (c.ch() !== ']') {
      if (c.ch() === undefined) c.fail("list is not closed with ']'", start);
      items.push(parseValue(c));
      c.skipSpace();
      if (c.ch() === ',') {
        c.pos++;
        c.skipSpace();
      } else if (c.ch() !== ']') {
        if (c.ch() === undefined) c.fail("list is not closed with ']'", start);
        c.fail("expected ',' or ']' in list");
      }
    }
    c.pos++;
    return { kind: 'list', items };
  }
  const num = /^[-+]?[0-9]+/.exec(c.text.slice(c.pos, c.pos + 40));
  if (num) {
    c.pos += num[0].length;
    if (/[A-Za-z0-9_.]/.test(c.ch() ?? '')) c.fail('malformed number (strings need quotes)', start);
    return { kind: 'number', text: num[0] };
  }
  c.fail(`expected a value (a quoted string, a number or a [list]), found ${JSON.stringify(ch)}`);
}

/** Parses every active statement of the file. Throws HostConfigError (file, line) on bad syntax. */
export function parseKeyValue(text: string, file: string): KvStatement[] {
  const c: Cursor = new Cursor(text, file);
  const out: KvStatement[] = [];
  while (c.pos < text.length) {
    c.skipBlanks();
    const ch = c.ch();
    if (ch === undefined) break;
    if (ch === '\n' || ch === ';') {
      c.pos++;
      continue;
    }
    if (ch === '#') {
      c.skipComment();
      continue;
    }
    const name = /^[A-Za-z_][A-Za-z0-9_.]*/.exec(text.slice(c.pos, c.pos + 200));
    if (!name) c.fail(`expected a setting name, found ${JSON.stringify(ch)}`);
    const start = c.pos;
    c.pos += name[0].length;
    c.skipBlanks();
    if (c.ch() !== '=') c.fail(`expected '=' after ${name[0]}`);
    c.pos++;
    c.skipBlanks();
    const valueStart = c.pos;
    const value = parseValue(c);
    const valueEnd = c.pos;
    c.skipBlanks();
    let end = valueEnd;
    if (c.ch() === ';') {
      // A separator: another statement may follow on the same line.
      c.pos++;
      end = c.pos;
    } else if (c.ch() !== undefined && c.ch() !== '\n' && c.ch() !== '#') {
      c.fail(`unexpected text after the value of ${name[0]}`);
    }
    out.push({ key: name[0], start, end, valueStart, valueEnd, value });
  }
  return out;
}

function renderString(s: string, file: string | undefined): string {
  if (/[\n\r]/.test(s)) throw new HostConfigError('invalid-option', `value spans lines: ${JSON.stringify(s)}`, { file });
  if (!s.includes('"')) return `"${s}"`;
  if (!s.includes("'")) return `'${s}'`;
  throw new HostConfigError('invalid-option', `value holds both quote characters: ${JSON.stringify(s)}`, { file });
}

/** Renders a value in libvirt's syntax: `"text"`, `1`, `["a", "b"]`. */
export function renderKvValue(v: KvValue, file?: string): string {
  if (typeof v === 'boolean') return v ? '1' : '0';
  if (typeof v === 'number') {
    if (!Number.isSafeInteger(v)) throw new HostConfigError('invalid-option', `not an integer: ${v}`, { file });
    return String(v);
  }
  if (typeof v === 'string') return renderString(v, file);
  return `[${v.map((s) => renderString(s, file)).join(', ')}]`;
}

/** Whether a parsed value already means `want`. */
export function kvEquals(have: KvParsed, want: KvValue): boolean {
  if (typeof want === 'boolean' || typeof want === 'number') {
    return have.kind === 'number' && Number(have.text) === Number(want);
  }
  if (typeof want === 'string') return have.kind === 'string' && have.text === want;
  return (
    have.kind === 'list' &&
    have.items.length === want.length &&
    have.items.every((item, i) => item.kind === 'string' && item.text === want[i])
  );
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

const kvSyntax: Syntax<KvStatement> = {
  parse: parseKeyValue,
  commentedCopy(line, key) {
    const m = new RegExp(`^\\s*#(\\s*)${escapeRegExp(key)}\\s*=`).exec(line);
    if (!m) return undefined;
    return m[1] === '' ? 'tight' : 'loose';
  },
  commentedSpan(lines, index) {
    // A commented list default may run over several comment lines: follow it to its closing bracket.
    let depth = 0;
    for (let i = index; i < lines.length && i < index + 100; i++) {
      const m = /^\s*#(.*)$/.exec(lines[i]!);
      if (!m) return 1;
      const body = m[1]!.replace(/"[^"]*"|'[^']*'/g, '');
      depth += (body.match(/\[/g)?.length ?? 0) - (body.match(/\]/g)?.length ?? 0);
      if (depth <= 0) return i - index + 1;
    }
    return 1;
  },
  statement(key, valueText, template) {
    // Follow the commented copy's spacing around '=' (`#listen_tls = 0` vs `#autoballoon="auto"`).
    const eq = template ? new RegExp(`#\\s*${escapeRegExp(key)}(\\s*=\\s*)`).exec(template)?.[1] : undefined;
    return `${key}${eq ?? ' = '}${valueText}`;
  },
};

/**
 * Sets (value) or comments out (null) each key in order; same duplicate / commented / missing
 * rules as every hostconfig editor (see statements.ts).
 */
export function editKeyValue(text: string, file: string, set: Readonly<Record<string, KvValue | null>>): string {
  let out = text;
  parseKeyValue(out, file);
  for (const [key, want] of Object.entries(set)) {
    if (!/^[A-Za-z_][A-Za-z0-9_.]*$/.test(key))
      throw new HostConfigError('invalid-option', `not a setting name: ${JSON.stringify(key)}`, { file });
    if (want === null) {
      out = removeStatement(kvSyntax, out, file, key);
      continue;
    }
    const rendered = renderKvValue(want, file);
    out = setStatement(kvSyntax, out, file, key, (cur) => (cur && kvEquals(cur.value, want) ? undefined : rendered));
  }
  return out;
}

/** The value libvirt would use for `key` (it reads the first active copy), or undefined. */
export function getKeyValue(text: string, file: string, key: string): KvParsed | undefined {
  return parseKeyValue(text, file).find((s) => s.key === key)?.value;
}
