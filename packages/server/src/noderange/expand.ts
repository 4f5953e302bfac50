/**
 * Expansion: evaluates a parsed noderange against the defined nodes and groups. Pure: all
 * outside knowledge (nodes, groups, attributes, file contents) comes in through the context.
 */
import type { Expr, FileNode, ListItem, ListNode, NumberSpan, PatternNode, Primary, RangeNode, RegexNode, SelectorNode } from './ast';
import { NoderangeError } from './errors';
import { LIMITS } from './limits';
import { parseNoderange } from './parse';
import { compilePattern, type Pattern } from './regex';
import { sortNodes } from './sort';

export interface NoderangeContext {
  /** Every defined node name. */
  readonly nodes: readonly string[];
  /** Group name -> member nodes. */
  readonly groups: ReadonlyMap<string, readonly string[]>;
  /** An attribute of a node (undefined when unset, which selectors treat as ''); needed by selectors. */
  attr?(node: string, table: string, column: string): string | undefined;
  /** The text of a ^file (the CLI reads it on the admin's machine); needed by ^file. */
  readFile?(path: string): string;
  /** Prefix and suffix the numeric shorthand adds (10, 10-20, 10+3 -> node10...); default 'node' and ''.
   *  (xCAT's XCAT_NODE_PREFIX / XCAT_NODE_SUFFIX.) */
  readonly numberPrefix?: string;
  readonly numberSuffix?: string;
}

export interface ExpandOptions {
  /**
   * For commands that act on existing nodes: every name that is neither a node nor a group
   * (including names a range produces and names in exclusions, so a typo in -node5 cannot
   * silently leave node5 in) fails the whole expansion with NODERANGE_UNKNOWN listing them.
   * Without it (nodeadd of new nodes) such names are returned as they are.
   */
  readonly requireKnown?: boolean;
}

/** Parses and expands a noderange: distinct names in natural order. Throws NoderangeError. */
export function expandNoderange(expr: string, ctx: NoderangeContext, opts: ExpandOptions = {}): string[] {
  return evaluateNoderange(parseNoderange(expr), ctx, opts);
}

/** Expands an already parsed noderange (see parseNoderange). */
export function evaluateNoderange(ast: ListNode, ctx: NoderangeContext, opts: ExpandOptions = {}): string[] {
  const ev = new Evaluator(ctx, opts.requireKnown ?? false);
  const result = ev.list(ast);
  if (ev.unknown.size > 0) {
    const names = sortNodes(ev.unknown);
    const shown = names.slice(0, 10).join(', ');
    const more = names.length > 10 ? ` and ${names.length - 10} more` : '';
    throw new NoderangeError(
      'NODERANGE_UNKNOWN',
      `noderange names ${names.length === 1 ? 'an unknown node or group' : `${names.length} unknown nodes or groups`}: ${shown}${more}`,
      { names },
    );
  }
  return sortNodes(result);
}

class Evaluator {
  readonly unknown = new Set<string>();
  private readonly nodeSet: ReadonlySet<string>;
  private readonly prefix: string;
  private readonly suffix: string;
  private elements = 0;
  private patternSteps = 0;

  constructor(
    private readonly ctx: NoderangeContext,
    private readonly requireKnown: boolean,
  ) {
    this.nodeSet = new Set(ctx.nodes);
    this.prefix = ctx.numberPrefix ?? 'node';
    this.suffix = ctx.numberSuffix ?? '';
  }

  private spend(n: number, pos: number): void {
    this.elements += n;
    if (this.elements > LIMITS.maxElements) {
      throw new NoderangeError(
        'NODERANGE_TOO_LARGE',
        `noderange is too large to expand (over ${LIMITS.maxElements} names handled, reached at column ${pos + 1}); split it into smaller ones`,
        {
          position: pos,
        },
      );
    }
  }

  private spendPattern(pattern: Pattern, before: number, pos: number): void {
    this.patternSteps += pattern.steps - before;
    if (this.patternSteps > LIMITS.maxPatternSteps) {
      throw new NoderangeError(
        'NODERANGE_TOO_LARGE',
        `regular expressions in the noderange take too long to match (column ${pos + 1}); use simpler or fewer patterns`,
        {
          position: pos,
        },
      );
    }
  }

  /** Union of the included entries minus the union of the excluded ones, whatever their order. */
  list(node: ListNode): Set<string> {
    const include = new Set<string>();
    const exclude = new Set<string>();
    for (const item of node.items) this.item(item, item.exclude ? exclude : include);
    if (exclude.size > 0) {
      this.spend(exclude.size, node.pos);
      for (const name of exclude) include.delete(name);
    }
    return include;
  }

  private item(item: ListItem, into: Set<string>): void {
    const set = this.expr(item.expr);
    this.spend(set.size, item.pos);
    for (const name of set) into.add(name);
  }

  private expr(e: Expr): Set<string> {
    if (e.kind !== 'intersect') return this.primary(e);
    let acc: Set<string> | undefined;
    for (const op of e.operands) {
      const set = this.primary(op);
      if (acc === undefined) {
        acc = set;
        continue;
      }
      this.spend(Math.min(acc.size, set.size), op.pos);
      const [small, large] = acc.size <= set.size ? [acc, set] : [set, acc];
      acc = new Set([...small].filter((n) => large.has(n)));
    }
    return acc ?? new Set();
  }

  private primary(p: Primary): Set<string> {
    switch (p.kind) {
      case 'list':
        return this.list(p);
      case 'name': {
        const out = new Set<string>();
        this.resolve(p.text, out, p.pos);
        return out;
      }
      case 'range':
        return this.generated(p, rangeNames(p));
      case 'pattern':
        return this.generated(p, patternNames(p));
      case 'regex':
        return this.regex(p);
      case 'selector':
        return this.selector(p);
      case 'file':
        return this.file(p);
    }
  }

  /** A name as written that is a node or a group wins over reading it as a range (xCAT does the same). */
  private generated(p: RangeNode | PatternNode, names: Iterable<string>): Set<string> {
    const out = new Set<string>();
    if (this.resolveKnown(p.text, out, p.pos)) return out;
    for (const name of names) {
      this.spend(1, p.pos);
      this.resolve(name, out, p.pos);
    }
    return out;
  }

  /** Node first, then group. */
  private resolveKnown(name: string, out: Set<string>, pos: number): boolean {
    if (this.nodeSet.has(name)) {
      out.add(name);
      return true;
    }
    const members = this.ctx.groups.get(name);
    if (members === undefined) return false;
    this.spend(members.length, pos);
    for (const m of members) out.add(m);
    return true;
  }

  /** A node, a group, a bare number (shorthand for <prefix><number><suffix>), else an unknown name. */
  private resolve(name: string, out: Set<string>, pos: number): void {
    if (this.resolveKnown(name, out, pos)) return;
    let full = name;
    if (/^\d+$/.test(name)) {
      full = this.prefix + name + this.suffix;
      if (this.resolveKnown(full, out, pos)) return;
    }
    if (this.requireKnown) this.unknown.add(full);
    else out.add(full);
  }

  /** Nodes whose whole name matches; only when none does, members of groups whose name matches. */
  private regex(p: RegexNode): Set<string> {
    const pattern = compilePattern(p.source, 'full', p.pos + 1);
    const matches = (names: Iterable<string>): string[] => {
      const found: string[] = [];
      for (const name of names) {
        if (name.length > LIMITS.maxNameLength) continue;
        this.spend(1, p.pos);
        const before = pattern.steps;
        if (pattern.test(name)) found.push(name);
        this.spendPattern(pattern, before, p.pos);
      }
      return found;
    };
    const nodes = matches(this.ctx.nodes);
    if (nodes.length > 0) return new Set(nodes);
    const out = new Set<string>();
    for (const group of matches(this.ctx.groups.keys())) this.resolveKnown(group, out, p.pos);
    return out;
  }

  /** Defined nodes whose attribute (unset counts as '') satisfies the operator. =~ and !~ search anywhere in the value. */
  private selector(p: SelectorNode): Set<string> {
    const attr = this.ctx.attr;
    if (attr === undefined) {
      throw new NoderangeError(
        'NODERANGE_UNSUPPORTED',
        `attribute selector '${p.table}.${p.column}${p.op}${p.value}' (column ${p.pos + 1}) cannot be used here`,
        {
          position: p.pos,
        },
      );
    }
    const pattern = p.op === '=~' || p.op === '!~' ? compilePattern(p.value, 'search', p.pos) : undefined;
    const out = new Set<string>();
    for (const node of this.ctx.nodes) {
      this.spend(1, p.pos);
      const value = attr.call(this.ctx, node, p.table, p.column) ?? '';
      let ok: boolean;
      if (pattern === undefined) {
        ok = p.op === '==' ? value === p.value : value !== p.value;
      } else {
        const before = pattern.steps;
        ok = pattern.test(value) === (p.op === '=~');
        this.spendPattern(pattern, before, p.pos);
      }
      if (ok) out.add(node);
    }
    return out;
  }

  /**
   * ^path: each line is a noderange; '#' starts a comment (at the start of a line or after a
   * blank), blank lines and lines starting with '^' (other files) are skipped. All lines form one
   * list, evaluated like a parenthesised entry: '-name' lines exclude from the file's entries.
   */
  private file(p: FileNode): Set<string> {
    const read = this.ctx.readFile;
    if (read === undefined) {
      throw new NoderangeError(
        'NODERANGE_UNSUPPORTED',
        `file entry '^${p.path}' (column ${p.pos + 1}) cannot be used here; the file must be read where the command runs`,
        {
          position: p.pos,
        },
      );
    }
    let text: string;
    try {
      text = read.call(this.ctx, p.path);
    } catch (e) {
      const why = e instanceof Error ? e.message : String(e);
      throw new NoderangeError('NODERANGE_FILE', `cannot read noderange file '${p.path}' (column ${p.pos + 1}): ${why}`, {
        position: p.pos,
        cause: e,
      });
    }
    if (text.length > LIMITS.maxInputLength) {
      throw new NoderangeError('NODERANGE_TOO_LARGE', `noderange file '${p.path}' is longer than ${LIMITS.maxInputLength} characters`, {
        position: p.pos,
      });
    }
    const items: ListItem[] = [];
    text.split(/\r?\n/).forEach((raw, i) => {
      const entry = raw.replace(/(^|\s)#.*$/, '').trim();
      if (entry === '' || entry.startsWith('^')) return;
      try {
        items.push(...parseNoderange(entry, { where: `line ${i + 1} of noderange file '${p.path}'`, allowFile: false }).items);
      } catch (e) {
        if (!(e instanceof NoderangeError)) throw e;
        // Point at the ^file entry in the expression; the message names the line and column in the file.
        throw new NoderangeError(e.code, e.message, { position: p.pos, cause: e });
      }
    });
    return this.list({ kind: 'list', pos: p.pos, items });
  }
}

function* spanNumbers(span: NumberSpan): Generator<string> {
  const to = Number(span.to);
  if (Number.isSafeInteger(to)) {
    for (let i = Number(span.from); i <= to; i++) yield String(i).padStart(span.width, '0');
    return;
  }
  const big = BigInt(span.to);
  for (let i = BigInt(span.from); i <= big; i++) yield i.toString().padStart(span.width, '0');
}

function* rangeNames(r: RangeNode): Generator<string> {
  for (const n of spanNumbers(r.span)) yield r.prefix + n + r.suffix;
}

function* patternNames(p: PatternNode): Generator<string> {
  function* from(i: number, acc: string): Generator<string> {
    const part = p.parts[i];
    if (part === undefined) {
      yield acc;
      return;
    }
    if (typeof part === 'string') {
      yield* from(i + 1, acc + part);
      return;
    }
    for (const span of part) for (const n of spanNumbers(span)) yield* from(i + 1, acc + n);
  }
  yield* from(0, '');
}
