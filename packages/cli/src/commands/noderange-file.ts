/**
 * `^file` entries of a noderange name files on the admin's machine, which drover-server cannot
 * read. Before a noderange is sent, each `^path` that starts an entry is replaced by the file's
 * lines in parentheses, `(line1,line2,...)`: the grammar gives a file the meaning of one
 * parenthesised list of its lines. Comments ('#' at the start of a line or after a blank),
 * blank lines and lines naming another ^file are dropped, as the server would drop them.
 *
 * Only `^` at the start of an entry is a file; a `^` inside a /regex or after =~ is left alone.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { UserFacingError } from '@drover/contract';

const isSpace = (c: string | undefined): boolean => c === ' ' || c === '\t';

/** Returns `expr` with every ^file entry replaced by its lines; `read` is the file reader (tests pass their own). */
export function inlineNoderangeFiles(expr: string, read: (path: string) => string = (p) => readFileSync(resolve(p), 'utf8')): string {
  let out = '';
  let i = 0;
  let entryStart = true;
  while (i < expr.length) {
    const c = expr[i]!;
    if (entryStart && isSpace(c)) {
      out += c;
      i++;
      continue;
    }
    if (entryStart && c === '^') {
      let j = i + 1;
      while (j < expr.length && !/[,@)\s]/.test(expr[j]!)) j++;
      const path = expr.slice(i + 1, j);
      out += path === '' ? '^' : `(${fileEntries(path, read).join(',')})`;
      i = j;
      entryStart = false;
      continue;
    }
    if (entryStart && c === '/') {
      const j = scanPattern(expr, i + 1);
      out += expr.slice(i, j);
      i = j;
      entryStart = false;
      continue;
    }
    const sel = /^[A-Za-z_][A-Za-z0-9_]*\.[A-Za-z_][A-Za-z0-9_]*(=~|!~|==|!=)/.exec(expr.slice(i));
    if (entryStart && sel) {
      const start = i + sel[0].length;
      const j = sel[1] === '=~' || sel[1] === '!~' ? scanPattern(expr, start) : scanValue(expr, start);
      out += expr.slice(i, j);
      i = j;
      entryStart = false;
      continue;
    }
    out += c;
    i++;
    entryStart = c === ',' || c === '(' || c === '@';
  }
  return out;
}

function fileEntries(path: string, read: (path: string) => string): string[] {
  let text: string;
  try {
    text = read(path);
  } catch (e) {
    throw new UserFacingError(`cannot read noderange file '${path}': ${(e as Error).message}`, 2);
  }
  const lines = text
    .split(/\r?\n/)
    .map((raw) => raw.replace(/(^|\s)#.*$/, '').trim())
    .filter((l) => l !== '' && !l.startsWith('^'));
  if (lines.length === 0) throw new UserFacingError(`noderange file '${path}' names no nodes (only blank and comment lines)`, 2);
  return lines;
}

function scanValue(s: string, i: number): number {
  while (i < s.length && !/[,@)\s]/.test(s[i]!)) i++;
  return i;
}

/** The end of a regular expression: the next ',', '@' or blank outside (), [] and {}, or an unmatched ')'. */
function scanPattern(s: string, i: number): number {
  let parens = 0;
  let braces = 0;
  let inClass = false;
  while (i < s.length) {
    const c = s[i]!;
    if (c === '\\') {
      i += 2;
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
    i++;
  }
  return Math.min(i, s.length);
}
