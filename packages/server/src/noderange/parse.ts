/**
 * Recursive-descent parser for noderanges (grammar in index.ts). Context-free: whether a name is
 * a node, a group or new is decided when expanding (expand.ts).
 */
import type { Expr, ListItem, ListNode, NumberSpan, PatternNode, Primary, RangeNode, SelectorOp } from './ast';
import { NoderangeError } from './errors';
import { LIMITS } from './limits';
import { compilePattern } from './regex';

/** What an entry may start with; quoted in "expected ..." messages. */
const ACCEPTED = 'a node or group name, a range (node01-node10, node[01-10], node10+3), /regex, ^file, table.column==value, or ( ... )';

/** Characters of names outside brackets; '-', ':' and '+' also build ranges. */
const isNameChar = (c: string): boolean => /^[A-Za-z0-9._\-:+]$/.test(c);
const isSpace = (c: string | undefined): boolean => c === ' ' || c === '\t';

const SELECTOR = /([A-Za-z_][A-Za-z0-9_]*)\.([A-Za-z_][A-Za-z0-9_]*)(==|!=|=~|!~)/y;

export interface ParseOptions {
  /** Describes where the text came from, for messages (e.g. "file /tmp/x line 3"); default: the expression. */
  readonly where?: string;
  /** ^file terms allowed (false inside a file: nested files are not followed). */
  readonly allowFile?: boolean;
}

export class Parser {
  private pos = 0;
  private depth = 0;
  private readonly where: string;
  private readonly allowFile: boolean;

  constructor(
    private readonly src: string,
    opts: ParseOptions = {},
  ) {
    this.where = opts.where ?? 'noderange';
    this.allowFile = opts.allowFile ?? true;
  }

  private fail(message: string, at = this.pos): never {
    throw new NoderangeError('NODERANGE_SYNTAX', `${this.where} '${clip(this.src)}', column ${at + 1}: ${message}`, { position: at });
  }

  parse(): ListNode {
    if (this.src.length > LIMITS.maxInputLength) {
      throw new NoderangeError('NODERANGE_TOO_LARGE', `${this.where} is longer than ${LIMITS.maxInputLength} characters`, { position: 0 });
    }
    this.skipSpace();
    if (this.pos >= this.src.length) this.fail(`empty; expected ${ACCEPTED}`);
    const list = this.list();
    this.skipSpace();
    if (this.pos < this.src.length) {
      if (this.src[this.pos] === ')') this.fail(`')' without a matching '('`);
      this.fail(`expected ',' or '@' before '${this.src[this.pos]}'`);
    }
    return list;
  }

  private skipSpace(): void {
    while (isSpace(this.src[this.pos])) this.pos++;
  }

  private list(): ListNode {
    this.skipSpace();
    const pos = this.pos;
    const items: ListItem[] = [];
    for (;;) {
      items.push(this.item());
      this.skipSpace();
      if (this.src[this.pos] !== ',') break;
      this.pos++;
    }
    return { kind: 'list', pos, items };
  }

  private item(): ListItem {
    this.skipSpace();
    const pos = this.pos;
    let exclude = false;
    if (this.src[this.pos] === '-') {
      exclude = true;
      this.pos++;
      const c = this.src[this.pos];
      if (c === '-') this.fail(`an entry can be excluded only once ('--')`);
      if (c === '^') this.fail(`a file (^path) cannot be excluded directly; put '-name' lines inside the file, or write -(^path)`);
      if (c === undefined || c === ',' || c === ')' || c === '@' || isSpace(c))
        this.fail(`'-' must be followed by what it excludes, e.g. -node5`);
    }
    return { pos, exclude, expr: this.intersection() };
  }

  private intersection(): Expr {
    const first = this.primary();
    const operands: Primary[] = [first];
    for (;;) {
      this.skipSpace();
      if (this.src[this.pos] !== '@') break;
      this.pos++;
      this.skipSpace();
      if (this.src[this.pos] === '-')
        this.fail(`'-' excludes a whole entry and comes first in it (-a@b); to subtract inside an intersection write a@(b,-c)`);
      operands.push(this.primary());
    }
    return operands.length === 1 ? first : { kind: 'intersect', pos: first.pos, operands };
  }

  private primary(): Primary {
    this.skipSpace();
    const pos = this.pos;
    const c = this.src[pos];
    if (c === undefined) this.fail(`the noderange ends where an entry was expected: ${ACCEPTED}`);
    if (c === ',' || c === '@' || c === ')') this.fail(`expected ${ACCEPTED} before '${c}'`);
    if (c === '(') {
      if (++this.depth > LIMITS.maxNesting) {
        throw new NoderangeError(
          'NODERANGE_TOO_LARGE',
          `${this.where}: parentheses nested deeper than ${LIMITS.maxNesting} at column ${pos + 1}`,
          { position: pos },
        );
      }
      this.pos++;
      this.skipSpace();
      if (this.src[this.pos] === ')') this.fail(`empty parentheses; expected ${ACCEPTED}`);
      const body = this.list();
      this.skipSpace();
      if (this.src[this.pos] !== ')') {
        this.fail(
          this.pos >= this.src.length
            ? `missing ')' for the '(' at column ${pos + 1}`
            : `expected ',', '@' or ')' before '${this.src[this.pos]}'`,
        );
      }
      this.pos++;
      this.depth--;
      return { ...body, pos };
    }
    if (c === '^') {
      if (!this.allowFile) this.fail(`a file cannot refer to another file ('^' entries are only followed in the command's noderange)`);
      this.pos++;
      const path = this.scanValue();
      if (path === '') this.fail(`'^' must be followed by a file path, e.g. ^/tmp/nodes`);
      return { kind: 'file', pos, path };
    }
    if (c === '/') {
      this.pos++;
      const source = this.scanPattern();
      if (source === '') this.fail(`'/' must be followed by a regular expression, e.g. /node0[1-4]`);
      this.checkPattern(source, 'full', pos + 1); // reject bad patterns now, with their position
      return { kind: 'regex', pos, source };
    }
    SELECTOR.lastIndex = pos;
    const sel = SELECTOR.exec(this.src);
    if (sel) {
      this.pos = SELECTOR.lastIndex;
      const op = sel[3] as SelectorOp;
      const valuePos = this.pos;
      let value: string;
      if (op === '=~' || op === '!~') {
        value = this.scanPattern();
        if (value.length >= 2 && value.startsWith('/') && value.endsWith('/')) value = value.slice(1, -1);
        this.checkPattern(value, 'search', valuePos);
      } else {
        value = this.scanValue();
      }
      return { kind: 'selector', pos, table: sel[1]!, column: sel[2]!, op, value };
    }
    return this.word();
  }

  private checkPattern(source: string, mode: 'full' | 'search', base: number): void {
    try {
      compilePattern(source, mode, base);
    } catch (e) {
      if (!(e instanceof NoderangeError) || this.where === 'noderange') throw e;
      throw new NoderangeError(e.code, `${this.where}: ${e.message}`, {
        ...(e.position === undefined ? {} : { position: e.position }),
        cause: e,
      });
    }
  }

  /** A file path or == value: up to the next ',', '@', ')' or blank. */
  private scanValue(): string {
    const start = this.pos;
    while (this.pos < this.src.length) {
      const c = this.src[this.pos]!;
      if (c === ',' || c === '@' || c === ')' || isSpace(c)) break;
      this.pos++;
    }
    return this.src.slice(start, this.pos);
  }

  /**
   * A regular expression: up to the next ',', '@' or blank outside (), [] and {}, or an
   * unmatched ')'. So /node(1|2), /n[,@] and /a{1,3} need no quoting.
   */
  private scanPattern(): string {
    const start = this.pos;
    let parens = 0;
    let braces = 0;
    let inClass = false;
    while (this.pos < this.src.length) {
      const c = this.src[this.pos]!;
      if (c === '\\') {
        this.pos += 2;
        continue;
      }
      if (inClass) {
        if (c === ']') inClass = false;
      } else if (c === '[') inClass = true;
      else if (c === '{') braces++;
      else if (c === '}') braces = Math.max(0, braces - 1);
      else if (c === '(') parens++;
      else if (c === ')') {
        if (parens === 0) break;
        parens--;
      } else if ((c === ',' || c === '@' || isSpace(c)) && parens === 0 && braces === 0) break;
      this.pos++;
    }
    this.pos = Math.min(this.pos, this.src.length);
    return this.src.slice(start, this.pos);
  }

  /** A name, possibly with ranges; brackets may hold commas. */
  private word(): Primary {
    const pos = this.pos;
    const brackets: number[] = [];
    while (this.pos < this.src.length) {
      const c = this.src[this.pos]!;
      if (c === '[') {
        brackets.push(this.pos);
        const close = this.src.indexOf(']', this.pos + 1);
        const open = this.src.indexOf('[', this.pos + 1);
        if (close < 0) this.fail(`missing ']' for the '['`);
        if (open >= 0 && open < close) this.fail(`brackets cannot be nested`, open);
        this.pos = close + 1;
      } else if (c === ']') {
        this.fail(`']' without a matching '['`);
      } else if (isNameChar(c)) {
        this.pos++;
      } else {
        break;
      }
    }
    const text = this.src.slice(pos, this.pos);
    const c = this.src[this.pos];
    if (c !== undefined && c !== ',' && c !== '@' && c !== ')' && !isSpace(c)) this.badChar(c, text);
    if (text.startsWith('-')) this.fail(`a name cannot start with '-'`);
    if (brackets.length > 0) return this.pattern(text, pos);
    if (text.includes('+')) return this.increment(text, pos);
    if (text.includes(':')) return this.colonRange(text, pos);
    if (text.includes('-')) return this.dashRange(text, pos) ?? { kind: 'name', pos, text };
    return { kind: 'name', pos, text };
  }

  private badChar(c: string, text: string): never {
    if (c === '=' || c === '!' || c === '~') {
      this.fail(`attribute selectors are written table.column==value (also !=, =~, !~), e.g. nodehm.mgt==kvm`);
    }
    if (c === '*' || c === '?') this.fail(`'${c}' is not a wildcard here; use a regular expression, e.g. /${text || 'node'}.*`);
    if (c === '(' || c === '^' || c === '/') this.fail(`'${c}' can only start an entry; separate entries with ','`);
    this.fail(`unexpected '${c}'; names may contain letters, digits, '.', '_' and '-'`);
  }

  /** base+count: the last number in base counts up by count (node10+3 = node10..node13). */
  private increment(text: string, pos: number): RangeNode {
    this.checkLength(text, pos);
    const plus = text.indexOf('+');
    const base = text.slice(0, plus);
    const count = text.slice(plus + 1);
    const form = `write name+count with a number in the name, e.g. node10+3`;
    if (!/^\d+$/.test(count)) this.fail(`'+' must be followed by a count; ${form}`, pos + plus);
    if (base.includes(':') || (base.includes('-') && this.dashRange(base, pos) !== undefined))
      this.fail(`'+' cannot be combined with another range; ${form}`, pos + plus);
    let end = base.length;
    while (end > 0 && !isDigitChar(base[end - 1]!)) end--;
    let start = end;
    while (start > 0 && isDigitChar(base[start - 1]!)) start--;
    if (start === end) this.fail(`'${base}' has no number to count from; ${form}`, pos);
    const digits = base.slice(start, end);
    const to = (BigInt(digits) + BigInt(count)).toString();
    const span: NumberSpan = { from: digits, to, width: paddedWidth(digits) };
    this.checkSize(text, pos, spanSize(span));
    return { kind: 'range', pos, text, form: '+', prefix: base.slice(0, start), suffix: base.slice(end), span };
  }

  private colonRange(text: string, pos: number): RangeNode {
    const parts = text.split(':');
    if (parts.length !== 2 || parts[0] === '' || parts[1] === '') {
      this.fail(`a ':' range has one ':' between two names, e.g. node01:node10`, pos + text.indexOf(':'));
    }
    const r = this.endsToRange(parts[0]!, parts[1]!, text, pos, ':');
    if (!r) this.fail(`the ends of '${text}' must be the same name with one number differing, e.g. node01:node10`, pos);
    return r;
  }

  /**
   * a-b is a range when it splits at its middle '-' (so node-01-node-10 works) into two ends
   * that differ in one number. Otherwise it is a plain name with dashes (rack1-sw, node5-ipmi).
   */
  private dashRange(text: string, pos: number): RangeNode | undefined {
    const dashes: number[] = [];
    for (let i = 0; i < text.length; i++) if (text[i] === '-') dashes.push(i);
    if (dashes.length % 2 === 0) return undefined;
    const mid = dashes[(dashes.length - 1) / 2]!;
    return this.endsToRange(text.slice(0, mid), text.slice(mid + 1), text, pos, '-');
  }

  private endsToRange(left: string, right: string, text: string, pos: number, form: '-' | ':'): RangeNode | undefined {
    const a = splitDigits(left);
    const b = splitDigits(right);
    if (a.length !== b.length || a.length === 0) return undefined;
    let varying = -1;
    for (let i = 0; i < a.length; i++) {
      const x = a[i]!;
      const y = b[i]!;
      if (x === y) continue;
      if (!isDigitChar(x[0]!) || !isDigitChar(y[0]!) || varying >= 0) return undefined;
      varying = i;
    }
    if (varying < 0) {
      // node1-node1: one name.
      const n = a.findIndex((t) => isDigitChar(t[0]!));
      if (n < 0) return undefined;
      varying = n;
    }
    this.checkLength(text, pos);
    const from = a[varying]!;
    const to = b[varying]!;
    if (BigInt(from) > BigInt(to)) this.fail(`range '${text}' counts down; write the lower end first: ${right}${form}${left}`, pos);
    const span: NumberSpan = { from, to, width: Math.max(paddedWidth(from), paddedWidth(to)) };
    this.checkSize(text, pos, spanSize(span));
    return { kind: 'range', pos, text, form, prefix: a.slice(0, varying).join(''), suffix: a.slice(varying + 1).join(''), span };
  }

  /** name[1-3,7]rest: literal parts and bracketed number lists. */
  private pattern(text: string, pos: number): PatternNode {
    this.checkLength(text, pos);
    const parts: (string | NumberSpan[])[] = [];
    let size = 1n;
    let i = 0;
    while (i < text.length) {
      const open = text.indexOf('[', i);
      const literal = text.slice(i, open < 0 ? text.length : open);
      const bad = /[:+]/.exec(literal);
      if (bad)
        this.fail(`'${bad[0]}' cannot be combined with [...]; write ranges inside the brackets, e.g. node[01-10]`, pos + i + bad.index);
      if (literal !== '') parts.push(literal);
      if (open < 0) break;
      const close = text.indexOf(']', open);
      const spans: NumberSpan[] = [];
      let count = 0n;
      let at = open + 1;
      for (const piece of text.slice(open + 1, close).split(',')) {
        const m = /^(\d+)(?:[-:](\d+))?$/.exec(piece);
        if (!m) this.fail(`inside [...] write numbers and number ranges, e.g. node[01-10] or node[1,3,5-7]`, pos + at);
        const span: NumberSpan = { from: m[1]!, to: m[2] ?? m[1]!, width: Math.max(paddedWidth(m[1]!), paddedWidth(m[2] ?? m[1]!)) };
        if (BigInt(span.from) > BigInt(span.to)) this.fail(`range [${piece}] counts down; write the lower number first`, pos + at);
        spans.push(span);
        count += spanSize(span);
        at += piece.length + 1;
      }
      parts.push(spans);
      size *= count;
      this.checkSize(text, pos, size);
      i = close + 1;
    }
    return { kind: 'pattern', pos, text, parts };
  }

  private checkLength(text: string, pos: number): void {
    if (text.length > LIMITS.maxNameLength) {
      throw new NoderangeError(
        'NODERANGE_TOO_LARGE',
        `range '${clip(text)}' (column ${pos + 1}) is longer than ${LIMITS.maxNameLength} characters`,
        { position: pos },
      );
    }
  }

  private checkSize(text: string, pos: number, size: bigint): void {
    if (size > BigInt(LIMITS.maxRangeSize)) {
      throw new NoderangeError(
        'NODERANGE_TOO_LARGE',
        `range '${clip(text)}' (column ${pos + 1}) names ${size} nodes; at most ${LIMITS.maxRangeSize} are accepted`,
        {
          position: pos,
        },
      );
    }
  }
}

/** Parses a noderange into its AST; throws NoderangeError (NODERANGE_SYNTAX or NODERANGE_TOO_LARGE). */
export function parseNoderange(expr: string, opts: ParseOptions = {}): ListNode {
  return new Parser(expr, opts).parse();
}

function isDigitChar(c: string): boolean {
  return c >= '0' && c <= '9';
}

/** "node01a" -> ["node", "01", "a"]: alternating runs of digits and non-digits. */
function splitDigits(s: string): string[] {
  return s.match(/\d+|\D+/g) ?? [];
}

/** A number written with a leading zero fixes the width of every number in its range. */
function paddedWidth(digits: string): number {
  return digits.length > 1 && digits.startsWith('0') ? digits.length : 0;
}

export function spanSize(span: NumberSpan): bigint {
  return BigInt(span.to) - BigInt(span.from) + 1n;
}

function clip(s: string): string {
  return s.length > 80 ? `${s.slice(0, 77)}...` : s;
}
