/**
 * A small regular-expression engine for /regex terms and =~ / !~ selectors.
 *
 * Why not RegExp: the pattern comes from whoever typed the noderange, and JavaScript's
 * backtracking engine can take exponential time on patterns like (a+)+b. This engine compiles
 * the pattern to a Thompson-style program and runs all threads in lock step (a "Pike VM"), so a
 * test costs at most (length of the input) x (size of the program); with the limits in limits.ts
 * that is bounded. The price is a smaller syntax (no back-references, no look-around):
 *
 *   literal characters; .  (any character but \n and \r)
 *   [abc] [^abc] [a-z] classes; \d \D \w \W \s \S (also inside classes)
 *   \t \n \r \f \v \0 \xHH \uHHHH and \ before any punctuation for the character itself
 *   ( ) and (?: ) grouping (nothing is captured); a|b alternation
 *   * + ? {n} {n,} {n,m} (a trailing ? for laziness is accepted and changes nothing)
 *   ^ and $ anchors
 *
 * Matching works on UTF-16 code units, like RegExp without the u flag.
 */
import { NoderangeError } from './errors';
import { LIMITS } from './limits';

type Test = (c: number) => boolean;

type RNode =
  | { readonly t: 'char'; readonly test: Test }
  | { readonly t: 'cat'; readonly items: readonly RNode[] }
  | { readonly t: 'alt'; readonly alts: readonly RNode[] }
  | { readonly t: 'rep'; readonly node: RNode; readonly min: number; readonly max: number }
  | { readonly t: 'bol' }
  | { readonly t: 'eol' };

/** A compiled pattern. */
export interface Pattern {
  readonly source: string;
  /** Steps taken by all tests so far (threads added or advanced): what the caller budgets. */
  readonly steps: number;
  /** Whole-string match (for /regex over names) or search anywhere (for =~ selectors). */
  test(input: string): boolean;
}

const isDigit: Test = (c) => c >= 0x30 && c <= 0x39;
const isWord: Test = (c) => isDigit(c) || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) || c === 0x5f;
const isSpace: Test = (c) => c === 0x20 || (c >= 0x09 && c <= 0x0d) || c === 0xa0 || c === 0xfeff || c === 0x2028 || c === 0x2029;
const notNewline: Test = (c) => c !== 0x0a && c !== 0x0d;
const not =
  (t: Test): Test =>
  (c) =>
    !t(c);

const CLASS_ESCAPES: Readonly<Record<string, Test>> = {
  d: isDigit,
  D: not(isDigit),
  w: isWord,
  W: not(isWord),
  s: isSpace,
  S: not(isSpace),
};
const CONTROL_ESCAPES: Readonly<Record<string, number>> = { t: 9, n: 10, v: 11, f: 12, r: 13, '0': 0 };

class PatternParser {
  private pos = 0;
  private depth = 0;
  constructor(
    private readonly src: string,
    private readonly base: number,
  ) {}

  private fail(message: string, at = this.pos): never {
    throw new NoderangeError('NODERANGE_SYNTAX', `bad regular expression '${this.src}' at column ${this.base + at + 1}: ${message}`, {
      position: this.base + at,
    });
  }

  parse(): RNode {
    const node = this.alternation();
    if (this.pos < this.src.length) this.fail(`unmatched ')'`);
    return node;
  }

  private alternation(): RNode {
    const alts = [this.sequence()];
    while (this.src[this.pos] === '|') {
      this.pos++;
      alts.push(this.sequence());
    }
    return alts.length === 1 ? alts[0]! : { t: 'alt', alts };
  }

  private sequence(): RNode {
    const items: RNode[] = [];
    for (;;) {
      const c = this.src[this.pos];
      if (c === undefined || c === '|' || c === ')') break;
      items.push(this.repeat());
    }
    return items.length === 1 ? items[0]! : { t: 'cat', items };
  }

  private repeat(): RNode {
    const start = this.pos;
    const atom = this.atom();
    const q = this.quantifier();
    if (q === undefined) return atom;
    if (atom.t === 'bol' || atom.t === 'eol') this.fail('an anchor cannot be repeated', start);
    if (this.src[this.pos] === '?') this.pos++; // lazy: the same set of matches
    // A further quantifier (a**) reaches atom() and is reported there as "nothing to repeat".
    return { t: 'rep', node: atom, min: q.min, max: q.max };
  }

  private quantifier(): { min: number; max: number } | undefined {
    const c = this.src[this.pos];
    if (c === '*') {
      this.pos++;
      return { min: 0, max: Infinity };
    }
    if (c === '+') {
      this.pos++;
      return { min: 1, max: Infinity };
    }
    if (c === '?') {
      this.pos++;
      return { min: 0, max: 1 };
    }
    if (c !== '{') return undefined;
    const m = /^\{(\d{1,9})(,(\d{0,9}))?\}/.exec(this.src.slice(this.pos, this.pos + 22));
    if (!m) this.fail(`'{' must start a repetition {n}, {n,} or {n,m}; write \\{ for the character`);
    const min = Number(m[1]);
    const max = m[2] === undefined ? min : m[3] === '' || m[3] === undefined ? Infinity : Number(m[3]);
    if (max < min) this.fail(`repetition {${m[1]}${m[2] ?? ''}} has its bounds the wrong way round`);
    if (min > LIMITS.maxRepeat || (max !== Infinity && max > LIMITS.maxRepeat)) {
      this.fail(`repetition counts above ${LIMITS.maxRepeat} are not accepted`);
    }
    this.pos += m[0].length;
    return { min, max };
  }

  private atom(): RNode {
    const start = this.pos;
    const c = this.src[this.pos++]!;
    switch (c) {
      case '(': {
        if (this.src.startsWith('?:', this.pos)) this.pos += 2;
        else if (this.src[this.pos] === '?') this.fail('look-around and named groups are not supported; only ( ) and (?: )', start);
        if (++this.depth > LIMITS.maxNesting) this.fail(`groups nested deeper than ${LIMITS.maxNesting}`, start);
        const inner = this.alternation();
        if (this.src[this.pos] !== ')') this.fail(`missing ')' for the '(' at column ${this.base + start + 1}`);
        this.pos++;
        this.depth--;
        return inner;
      }
      case '[':
        return this.charClass(start);
      case '.':
        return { t: 'char', test: notNewline };
      case '^':
        return { t: 'bol' };
      case '$':
        return { t: 'eol' };
      case '\\':
        return { t: 'char', test: this.escape(false) };
      case '*':
      case '+':
      case '?':
      case '{':
        return this.fail(`nothing to repeat before '${c}'`, start);
      case ']':
      case '}':
        return this.fail(`unmatched '${c}'; write \\${c} for the character`, start);
      default: {
        const code = c.charCodeAt(0);
        return { t: 'char', test: (x) => x === code };
      }
    }
  }

  /** After a backslash. In a class, \b is a backspace; outside it, it is rejected. */
  private escape(inClass: boolean): Test {
    const at = this.pos - 1;
    const c = this.src[this.pos++];
    if (c === undefined) this.fail('a pattern cannot end with \\', at);
    const cls = CLASS_ESCAPES[c];
    if (cls) return cls;
    const single = this.escapedCode(c, inClass, at);
    return (x) => x === single;
  }

  private escapedCode(c: string, inClass: boolean, at: number): number {
    const ctl = CONTROL_ESCAPES[c];
    if (ctl !== undefined) {
      if (c === '0' && isDigit(this.src.charCodeAt(this.pos))) this.fail('octal escapes are not supported; use \\xHH', at);
      return ctl;
    }
    if (c === 'x' || c === 'u') {
      const n = c === 'x' ? 2 : 4;
      const hex = this.src.slice(this.pos, this.pos + n);
      if (!new RegExp(`^[0-9A-Fa-f]{${n}}$`).test(hex)) this.fail(`\\${c} needs ${n} hex digits`, at);
      this.pos += n;
      return parseInt(hex, 16);
    }
    if (inClass && c === 'b') return 8;
    if (c >= '1' && c <= '9') this.fail('back-references are not supported', at);
    if (c === 'b' || c === 'B') this.fail('word boundaries (\\b, \\B) are not supported', at);
    if (/[A-Za-z0-9]/.test(c)) this.fail(`unknown escape \\${c}`, at);
    return c.charCodeAt(0);
  }

  private charClass(start: number): RNode {
    let negate = false;
    if (this.src[this.pos] === '^') {
      negate = true;
      this.pos++;
    }
    const tests: Test[] = [];
    if (this.src[this.pos] === ']') this.fail('an empty class [] matches nothing; write \\] for the character', start);
    for (;;) {
      const c = this.src[this.pos];
      if (c === undefined) this.fail(`missing ']' for the '[' at column ${this.base + start + 1}`, start);
      if (c === ']') {
        this.pos++;
        break;
      }
      const lo = this.classAtom();
      if (this.src[this.pos] === '-' && this.src[this.pos + 1] !== ']' && this.src[this.pos + 1] !== undefined) {
        const dashAt = this.pos;
        this.pos++;
        const hi = this.classAtom();
        if (typeof lo !== 'number' || typeof hi !== 'number') this.fail('a class range needs single characters at both ends', dashAt);
        if (lo > hi) this.fail(`class range ${String.fromCharCode(lo)}-${String.fromCharCode(hi)} is out of order`, dashAt);
        tests.push((x) => x >= lo && x <= hi);
      } else if (typeof lo === 'number') {
        tests.push((x) => x === lo);
      } else {
        tests.push(lo);
      }
    }
    const inSet: Test = (x) => tests.some((t) => t(x));
    return { t: 'char', test: negate ? not(inSet) : inSet };
  }

  /** One character of a class: its code, or a test for \d-like escapes. */
  private classAtom(): number | Test {
    const c = this.src[this.pos++]!;
    if (c !== '\\') return c.charCodeAt(0);
    const at = this.pos - 1;
    const e = this.src[this.pos++];
    if (e === undefined) this.fail('a pattern cannot end with \\', at);
    const cls = CLASS_ESCAPES[e];
    if (cls) return cls;
    return this.escapedCode(e, true, at);
  }
}

// Program: parallel arrays indexed by instruction number.
const OP_CHAR = 0,
  OP_SPLIT = 1,
  OP_JMP = 2,
  OP_BOL = 3,
  OP_EOL = 4,
  OP_MATCH = 5;

class Program {
  readonly op: number[] = [];
  readonly x: number[] = [];
  readonly y: number[] = [];
  readonly test: (Test | undefined)[] = [];
  constructor(private readonly source: string) {}

  push(op: number, x = -1, y = -1, test?: Test): number {
    if (this.op.length >= LIMITS.maxPatternProgram) {
      throw new NoderangeError(
        'NODERANGE_TOO_LARGE',
        `regular expression '${this.source}' is too complex (over ${LIMITS.maxPatternProgram} instructions once repetitions are unrolled)`,
      );
    }
    this.op.push(op);
    this.x.push(x);
    this.y.push(y);
    this.test.push(test);
    return this.op.length - 1;
  }

  get pc(): number {
    return this.op.length;
  }

  emit(n: RNode): void {
    switch (n.t) {
      case 'char':
        this.push(OP_CHAR, -1, -1, n.test);
        return;
      case 'bol':
        this.push(OP_BOL);
        return;
      case 'eol':
        this.push(OP_EOL);
        return;
      case 'cat':
        for (const item of n.items) this.emit(item);
        return;
      case 'alt': {
        const jumps: number[] = [];
        n.alts.forEach((alt, i) => {
          if (i === n.alts.length - 1) {
            this.emit(alt);
            return;
          }
          const split = this.push(OP_SPLIT, this.pc + 1);
          this.emit(alt);
          jumps.push(this.push(OP_JMP));
          this.y[split] = this.pc;
        });
        for (const j of jumps) this.x[j] = this.pc;
        return;
      }
      case 'rep': {
        for (let i = 0; i < n.min; i++) this.emit(n.node);
        if (n.max === Infinity) {
          const loop = this.push(OP_SPLIT, this.pc + 1);
          this.emit(n.node);
          this.push(OP_JMP, loop);
          this.y[loop] = this.pc;
        } else {
          for (let i = n.min; i < n.max; i++) {
            const split = this.push(OP_SPLIT, this.pc + 1);
            this.emit(n.node);
            this.y[split] = this.pc;
          }
        }
        return;
      }
    }
  }
}

/**
 * Compiles `source`. `mode` 'full' tests whole strings (like ^(?:source)$), 'search' looks for a
 * match anywhere (like RegExp.test). `base` is the offset of the pattern in the noderange, for
 * error positions. Throws NoderangeError (syntax, or too large).
 */
export function compilePattern(source: string, mode: 'full' | 'search', base = 0): Pattern {
  if (source.length > LIMITS.maxPatternLength) {
    throw new NoderangeError(
      'NODERANGE_TOO_LARGE',
      `regular expression at column ${base + 1} is longer than ${LIMITS.maxPatternLength} characters`,
      { position: base },
    );
  }
  const tree = new PatternParser(source, base).parse();
  const prog = new Program(source);
  prog.emit(tree);
  prog.push(OP_MATCH);
  const { op, x, y, test } = prog;
  const size = op.length;
  const search = mode === 'search';

  // Thread lists and "already added in this step" stamps, reused across calls.
  let cur = new Int32Array(size);
  let next = new Int32Array(size);
  const stamp = new Int32Array(size);
  const stack = new Int32Array(size * 2 + 2);
  let generation = 0;
  let steps = 0;

  /** Adds pc and everything reachable from it without reading a character; returns the new count. */
  const add = (list: Int32Array, count: number, pc0: number, at: number, end: number): number => {
    let sp = 0;
    stack[sp++] = pc0;
    while (sp > 0) {
      steps++;
      const pc = stack[--sp]!;
      if (stamp[pc] === generation) continue;
      stamp[pc] = generation;
      switch (op[pc]) {
        case OP_JMP:
          stack[sp++] = x[pc]!;
          break;
        case OP_SPLIT:
          stack[sp++] = y[pc]!;
          stack[sp++] = x[pc]!;
          break;
        case OP_BOL:
          if (at === 0) stack[sp++] = pc + 1;
          break;
        case OP_EOL:
          if (at === end) stack[sp++] = pc + 1;
          break;
        default:
          list[count++] = pc; // CHAR or MATCH
      }
    }
    return count;
  };

  const run = (input: string): boolean => {
    const end = input.length;
    generation++;
    let n = add(cur, 0, 0, 0, end);
    for (let i = 0; ; i++) {
      for (let k = 0; k < n; k++) {
        if (op[cur[k]!] === OP_MATCH && (search || i === end)) return true;
      }
      if (i === end) return false;
      if (n === 0 && !search) return false;
      const c = input.charCodeAt(i);
      generation++;
      let m = 0;
      steps += n;
      for (let k = 0; k < n; k++) {
        const pc = cur[k]!;
        if (op[pc] === OP_CHAR && test[pc]!(c)) m = add(next, m, pc + 1, i + 1, end);
      }
      if (search) m = add(next, m, 0, i + 1, end);
      const t = cur;
      cur = next;
      next = t;
      n = m;
    }
  };

  return {
    source,
    get steps() {
      return steps;
    },
    test: run,
  };
}
