/**
 * The parsed form of a noderange. Every node carries `pos`, the 0-based offset of its first
 * character in the source, so later errors can point at it. Plain JSON: no class instances,
 * numbers in ranges are kept as decimal digit strings (no precision limit).
 */

/** A comma list: the value is the union of the included entries minus the union of the excluded ones. */
export interface ListNode {
  readonly kind: 'list';
  readonly pos: number;
  readonly items: readonly ListItem[];
}

export interface ListItem {
  readonly pos: number;
  /** Written with a leading '-': subtracted from the list, whatever its position in it. */
  readonly exclude: boolean;
  readonly expr: Expr;
}

export type Expr = IntersectNode | Primary;

/** a@b@c: nodes common to all operands. */
export interface IntersectNode {
  readonly kind: 'intersect';
  readonly pos: number;
  readonly operands: readonly Primary[];
}

/** A list in parentheses is itself a ListNode. */
export type Primary = ListNode | NameNode | RangeNode | PatternNode | RegexNode | FileNode | SelectorNode;

/** A single name: a node, a group, a number (shorthand for node<number>) or, for commands that
 *  create nodes, a new name. Names may contain '-' when it does not form a range. */
export interface NameNode {
  readonly kind: 'name';
  readonly pos: number;
  readonly text: string;
}

/** One number varying between two ends: node01-node10, node01:node10, node10+3 (form '+'). */
export interface RangeNode {
  readonly kind: 'range';
  readonly pos: number;
  /** The text as written; if it is itself a node or group name, that wins over the range. */
  readonly text: string;
  readonly form: '-' | ':' | '+';
  readonly prefix: string;
  readonly suffix: string;
  readonly span: NumberSpan;
}

/** Names with bracketed number lists: node[01-10], f[1-2]n[1-3], rack[1,3,5-7]. */
export interface PatternNode {
  readonly kind: 'pattern';
  readonly pos: number;
  readonly text: string;
  /** Literal text and bracket lists in order; names are the cartesian product. */
  readonly parts: readonly (string | readonly NumberSpan[])[];
}

/** from..to inclusive, each number printed with at least `width` digits (0 = no padding). */
export interface NumberSpan {
  readonly from: string;
  readonly to: string;
  readonly width: number;
}

/** /regex: defined nodes whose whole name matches; if none does, members of matching groups. */
export interface RegexNode {
  readonly kind: 'regex';
  readonly pos: number;
  readonly source: string;
}

/** ^path: the file's entries, one noderange per line, evaluated as one parenthesised list. */
export interface FileNode {
  readonly kind: 'file';
  readonly pos: number;
  readonly path: string;
}

export type SelectorOp = '==' | '!=' | '=~' | '!~';

/** table.column<op>value: defined nodes whose attribute (missing = empty string) satisfies op. */
export interface SelectorNode {
  readonly kind: 'selector';
  readonly pos: number;
  readonly table: string;
  readonly column: string;
  readonly op: SelectorOp;
  /** For =~ and !~, the regex source (surrounding slashes removed). */
  readonly value: string;
}

/** What parseNoderange returns: the top-level list. */
export type NoderangeAst = ListNode;
