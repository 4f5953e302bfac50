/**
 * The part every line-oriented config editor shares: given the statements a format-specific parser
 * found (each with the character span of its value), set one key following the same rules in every
 * format:
 *
 * - active more than once: the LAST active copy is edited and the earlier ones are commented out.
 *   After the edit exactly one active copy is left, so it no longer matters that xend and libvirt
 *   read the first copy while a shell reads the last. The last copy is kept because that is where an
 *   admin's most recent addition usually sits; commenting (rather than deleting) the others keeps
 *   what the admin had, and the diff shows it as `-(key a)` / `+#(key a)`.
 * - only commented out (`#(key 8002)`, `#key = 0`): an active line is inserted right after the
 *   commented copy, with the same indentation (and, where the format allows, its spacing).
 * - missing: a line is appended at the end of the file (or where the format says).
 * - removing a key comments out every active copy.
 *
 * A value that already means what is wanted is left byte-for-byte alone, which is what makes every
 * editor idempotent and keeps the diffs to the lines that really change.
 *
 * Internal to hostconfig; not exported from the package.
 */

/** One active statement found by a format's parser. Offsets index the whole file text. */
export interface Statement {
  key: string;
  /** First character of the statement. */
  start: number;
  /** One past its last character (including a trailing separator such as `;`). */
  end: number;
  /** The span replaced when the value changes. */
  valueStart: number;
  valueEnd: number;
}

export interface Syntax<S extends Statement> {
  parse(text: string, file: string): S[];
  /**
   * Whether a comment line holds a commented-out copy of `key`: 'tight' when the comment sign is
   * directly followed by it (`#(key ...)`, `#key = ...`, the usual shape of a shipped default),
   * 'loose' when blanks come between (often an example inside prose), undefined otherwise.
   */
  commentedCopy(line: string, key: string): 'tight' | 'loose' | undefined;
  /** How many lines, starting at `lines[index]`, the commented copy spans (1 for one-liners). */
  commentedSpan(lines: readonly string[], index: number): number;
  /** Text of a new active statement (no indentation, no newline); `template` is the commented copy it follows, if any. */
  statement(key: string, valueText: string, template: string | undefined): string;
  /** Where to insert a statement for a key that appears nowhere; default: the end of the file. */
  appendAt?(text: string): number;
}

export function splice(text: string, start: number, end: number, insert: string): string {
  return text.slice(0, start) + insert + text.slice(end);
}

export function lineStartAt(text: string, pos: number): number {
  return text.lastIndexOf('\n', pos - 1) + 1;
}

/** Index of the newline ending the line that holds `pos`, or the text length. */
export function lineEndAt(text: string, pos: number): number {
  const i = text.indexOf('\n', pos);
  return i < 0 ? text.length : i;
}

/** 1-based line number of a character offset. */
export function lineNumberAt(text: string, pos: number): number {
  let n = 1;
  for (let i = text.indexOf('\n'); i >= 0 && i < pos; i = text.indexOf('\n', i + 1)) n++;
  return n;
}

export function leadingBlanks(line: string): string {
  return /^[ \t]*/.exec(line)?.[0] ?? '';
}

/**
 * Turns a statement off. When it has its lines to itself (only blanks before it, only blanks or a
 * comment after it) each of its lines gets a leading `#`; when it shares a line with other content
 * its text is cut out instead, so the neighbours stay active.
 */
export function disableStatement(text: string, s: Statement): string {
  const ls = lineStartAt(text, s.start);
  const le = lineEndAt(text, Math.max(s.start, s.end - 1));
  const before = text.slice(ls, s.start);
  const after = text.slice(s.end, le);
  if (/^[ \t]*$/.test(before) && /^[ \t\r]*(#.*)?$/.test(after)) {
    const block = text.slice(ls, le);
    return (
      text.slice(0, ls) +
      block
        .split('\n')
        .map((l) => `#${l}`)
        .join('\n') +
      text.slice(le)
    );
  }
  return splice(text, s.start, s.end, '');
}

/**
 * Sets one key. `desired` gets the statement that will stay active (undefined when the key has no
 * active copy) and returns the replacement value text, or undefined to keep the current value (or,
 * for a missing key, to add nothing).
 */
export function setStatement<S extends Statement>(
  syntax: Syntax<S>,
  text: string,
  file: string,
  key: string,
  desired: (current: S | undefined) => string | undefined,
): string {
  const found = syntax.parse(text, file).filter((s) => s.key === key);
  const last = found[found.length - 1];
  if (last) {
    let out = text;
    const value = desired(last);
    // The kept copy is the one at the highest offset: edit it first so the earlier offsets stay valid.
    if (value !== undefined) out = splice(out, last.valueStart, last.valueEnd, value);
    for (let i = found.length - 2; i >= 0; i--) out = disableStatement(out, found[i]!);
    return out;
  }
  const value = desired(undefined);
  if (value === undefined) return text;
  return insertStatement(syntax, text, key, value);
}

/** Comments out every active copy of `key` (a no-op when there is none). */
export function removeStatement<S extends Statement>(syntax: Syntax<S>, text: string, file: string, key: string): string {
  const found = syntax.parse(text, file).filter((s) => s.key === key);
  let out = text;
  for (let i = found.length - 1; i >= 0; i--) out = disableStatement(out, found[i]!);
  return out;
}

function insertStatement<S extends Statement>(syntax: Syntax<S>, text: string, key: string, value: string): string {
  const lines = text.split('\n');
  let tight = -1;
  let loose = -1;
  lines.forEach((line, i) => {
    const kind = syntax.commentedCopy(line, key);
    if (kind === 'tight') tight = i;
    else if (kind === 'loose') loose = i;
  });
  const at = tight >= 0 ? tight : loose;
  if (at >= 0) {
    const template = lines[at]!;
    const span = Math.max(1, syntax.commentedSpan(lines, at));
    lines.splice(at + span, 0, leadingBlanks(template) + syntax.statement(key, value, template));
    return lines.join('\n');
  }
  const line = `${syntax.statement(key, value, undefined)}\n`;
  if (syntax.appendAt) {
    const pos = syntax.appendAt(text);
    return splice(text, pos, pos, line);
  }
  if (text.length === 0) return line;
  return `${text}${text.endsWith('\n') ? '' : '\n'}${line}`;
}
