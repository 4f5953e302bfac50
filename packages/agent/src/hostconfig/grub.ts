/**
 * Boot-loader editors for a Xen dom0:
 *
 * - GRUB 2's `/etc/default/grub`, a shell file of variable assignments that `update-grub` sources:
 *   `GRUB_CMDLINE_XEN_DEFAULT` gets `dom0_mem=<size>,max:<size>` (an existing dom0_mem token is
 *   replaced, other tokens kept) and `GRUB_DEFAULT` names the Xen entry. The caller must run
 *   `update-grub` (or `grub2-mkconfig`) afterwards; this module only edits the file.
 * - legacy GRUB's `menu.lst` / `grub.conf`: `default` is set to the index of the first `title`
 *   whose kernel line boots a Xen hypervisor, and that kernel line gets the dom0_mem option.
 *
 * Neither guesses: a file without a Xen entry is an error naming the file and what is missing.
 */
import { posix } from 'node:path';
import { HostConfigError } from './errors.js';
import { lineEndAt, lineNumberAt, setStatement, splice, type Statement, type Syntax } from './statements.js';

/** Checks a Xen memory size (`1024M`, `4G`, `524288K`, plain bytes) and returns it unchanged. */
export function checkXenSize(size: string): string {
  if (!/^[1-9][0-9]*[BKMGTbkmgt]?$/.test(size)) {
    throw new HostConfigError('invalid-option', `not a Xen memory size: ${JSON.stringify(size)} (expected e.g. 2048M or 4G)`);
  }
  return size;
}

/** The hypervisor option fixing dom0's memory: `dom0_mem=4G,max:4G` (no ballooning above or below). */
export function dom0MemArgument(size: string): string {
  checkXenSize(size);
  return `dom0_mem=${size},max:${size}`;
}

/**
 * Replaces the last whitespace-separated token starting with `prefix` by `token`, drops any other
 * such token, or appends `token` when there is none. Spacing between the other tokens is kept.
 */
export function replaceToken(raw: string, prefix: string, token: string): string {
  const parts = raw.split(/(\s+)/); // words at even indexes, blanks at odd ones
  const hits: number[] = [];
  parts.forEach((p, i) => {
    if (i % 2 === 0 && p.startsWith(prefix)) hits.push(i);
  });
  if (hits.length === 0) {
    if (raw.trim() === '') return token;
    return /\s$/.test(raw) ? `${raw}${token}` : `${raw} ${token}`;
  }
  const keep = hits[hits.length - 1]!;
  parts[keep] = token;
  for (let h = hits.length - 2; h >= 0; h--) {
    const i = hits[h]!;
    // Drop the word with the blank after it (or before it when it ends the line).
    if (i + 1 < parts.length) parts.splice(i, 2);
    else parts.splice(i - 1, 2);
  }
  return parts.join('');
}

// ---------------------------------------------------------------------------------------------
// /etc/default/grub (shell assignments)

export interface ShellStatement extends Statement {
  /** `"` or `'` when the whole value is one quoted word, '' when unquoted, 'mixed' otherwise. */
  quote: '"' | "'" | '' | 'mixed';
  /** Text between the quotes (or the bare word), as written. */
  raw: string;
}

function shellWordEnd(text: string, start: number, file: string): { end: number; quote: ShellStatement['quote'] } {
  let i = start;
  let segments = 0;
  let kind: ShellStatement['quote'] = '';
  while (i < text.length) {
    const c = text[i]!;
    if (c === ' ' || c === '\t' || c === '\n' || c === '\r' || c === ';' || c === '&' || c === '|') break;
    if (c === '#' && i === start) break;
    segments++;
    if (c === '"' || c === "'") {
      let j = i + 1;
      while (j < text.length && text[j] !== c) j += c === '"' && text[j] === '\\' ? 2 : 1;
      if (j >= text.length) {
        throw new HostConfigError('syntax', `unterminated ${c === '"' ? 'double' : 'single'}-quoted value`, {
          file,
          line: lineNumberAt(text, i),
        });
      }
      kind = segments === 1 ? c : 'mixed';
      i = j + 1;
    } else {
      if (kind !== '') kind = 'mixed';
      i += c === '\\' ? 2 : 1;
    }
  }
  if (segments > 1 && kind !== '') kind = 'mixed';
  return { end: Math.min(i, text.length), quote: kind };
}

/** Parses `NAME=value` assignments at the start of lines (optionally after `export`). */
export function parseShellAssignments(text: string, file: string): ShellStatement[] {
  const out: ShellStatement[] = [];
  let pos = 0;
  while (pos < text.length) {
    const m = /^[ \t]*(?:export[ \t]+)?([A-Za-z_][A-Za-z0-9_]*)=/.exec(text.slice(pos, lineEndAt(text, pos)));
    if (!m) {
      pos = lineEndAt(text, pos) + 1;
      continue;
    }
    const start = pos + m[0].length - m[1]!.length - 1;
    const valueStart = pos + m[0].length;
    const { end, quote } = shellWordEnd(text, valueStart, file);
    const word = text.slice(valueStart, end);
    const raw = quote === '"' || quote === "'" ? word.slice(1, -1) : word;
    out.push({ key: m[1]!, start, end, valueStart, valueEnd: end, quote, raw });
    pos = lineEndAt(text, end) + 1;
  }
  return out;
}

/** The value a shell would assign (quotes removed, escapes decoded). Mixed quoting is returned as written. */
function shellValue(s: ShellStatement): string {
  if (s.quote === "'") return s.raw;
  if (s.quote === '"') return s.raw.replace(/\\(["\\$`\n])/g, '$1');
  if (s.quote === '') return s.raw.replace(/\\(.)/g, '$1');
  return s.raw;
}

/** Quotes a value for a shell assignment: bare when safe, else double quotes with escapes. */
export function shellQuote(value: string): string {
  if (/^[A-Za-z0-9_.,:/@%+=-]+$/.test(value)) return value;
  return `"${value.replace(/["\\$`]/g, '\\$&')}"`;
}

function requote(s: ShellStatement, raw: string): string {
  if (s.quote === '"' || s.quote === "'") return `${s.quote}${raw}${s.quote}`;
  return /[\s"'$`\\]/.test(raw) ? `"${raw}"` : raw;
}

const shellSyntax: Syntax<ShellStatement> = {
  parse: parseShellAssignments,
  commentedCopy(line, key) {
    const m = new RegExp(`^\\s*#(\\s*)(?:export\\s+)?${key}=`).exec(line);
    if (!m) return undefined;
    return m[1] === '' ? 'tight' : 'loose';
  },
  commentedSpan: () => 1,
  statement: (key, valueText) => `${key}=${valueText}`,
};

/** The value a shell would end up with for `name` (the last assignment wins), or undefined. */
export function getShellVar(text: string, file: string, name: string): string | undefined {
  const all = parseShellAssignments(text, file).filter((s) => s.key === name);
  const last = all[all.length - 1];
  return last ? shellValue(last) : undefined;
}

export interface GrubDefaultOptions {
  /** dom0 memory size (`4G`); sets `dom0_mem=<size>,max:<size>` in GRUB_CMDLINE_XEN_DEFAULT. */
  dom0Mem?: string;
  /** Value for GRUB_DEFAULT: a menu entry id or title, `>`-separated through submenus (see findXenMenuEntry). */
  grubDefault?: string;
}

function refuseSelfReference(text: string, file: string, s: ShellStatement): void {
  if (new RegExp(`\\$\\{?${s.key}\\b`).test(s.raw)) {
    throw new HostConfigError(
      'unsupported',
      `${s.key} is built from its own earlier value; drover does not rewrite such chains, edit it by hand`,
      { file, line: lineNumberAt(text, s.start) },
    );
  }
}

/**
 * Edits `/etc/default/grub`. Also rewrites a dom0_mem token that GRUB_CMDLINE_XEN (the options for
 * every Xen entry, including recovery) already carries, so the two never disagree; it does not add
 * one there.
 */
export function editGrubDefault(text: string, file: string, opts: GrubDefaultOptions): string {
  let out = text;
  parseShellAssignments(out, file);
  if (opts.dom0Mem !== undefined) {
    const arg = dom0MemArgument(opts.dom0Mem);
    out = setStatement(shellSyntax, out, file, 'GRUB_CMDLINE_XEN_DEFAULT', (cur) => {
      if (!cur) return `"${arg}"`;
      if (cur.quote === 'mixed') {
        throw new HostConfigError('unsupported', 'GRUB_CMDLINE_XEN_DEFAULT mixes quoting styles; edit it by hand', {
          file,
          line: lineNumberAt(out, cur.start),
        });
      }
      refuseSelfReference(out, file, cur);
      const raw = replaceToken(cur.raw, 'dom0_mem=', arg);
      return raw === cur.raw ? undefined : requote(cur, raw);
    });
    const generic = parseShellAssignments(out, file).filter((s) => s.key === 'GRUB_CMDLINE_XEN');
    for (let i = generic.length - 1; i >= 0; i--) {
      const s = generic[i]!;
      if (s.quote === 'mixed' || !/(^|\s)dom0_mem=/.test(s.raw)) continue;
      const raw = replaceToken(s.raw, 'dom0_mem=', arg);
      if (raw !== s.raw) out = splice(out, s.valueStart, s.valueEnd, requote(s, raw));
    }
  }
  if (opts.grubDefault !== undefined) {
    const want = opts.grubDefault;
    if (want === '' || /[\n\r]/.test(want)) {
      throw new HostConfigError('invalid-option', `unusable GRUB_DEFAULT value ${JSON.stringify(want)}`, { file });
    }
    out = setStatement(shellSyntax, out, file, 'GRUB_DEFAULT', (cur) =>
      cur && cur.quote !== 'mixed' && shellValue(cur) === want ? undefined : shellQuote(want),
    );
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// grub.cfg (read only): which entry boots Xen

export interface XenMenuEntry {
  title: string;
  id: string | undefined;
  /** Value for GRUB_DEFAULT: the ids (or titles, where an entry has no id) from the top menu down, joined by `>`. */
  grubDefault: string;
  /** 1-based line of the menuentry in grub.cfg. */
  line: number;
}

/** Splits a grub.cfg command's arguments into words, honouring quotes. */
function grubWords(s: string): string[] {
  const words: string[] = [];
  const re = /'([^']*)'|"((?:[^"\\]|\\.)*)"|(\S+)/g;
  for (let m = re.exec(s); m; m = re.exec(s)) {
    words.push(m[1] ?? (m[2] !== undefined ? m[2].replace(/\\(.)/g, '$1') : m[3]!));
  }
  return words;
}

/** Whether a path names a Xen hypervisor image (`/boot/xen.gz`, `/xen-4.17-amd64.gz`, `(hd0,0)/xen.gz-2.6.18`). */
export function isXenImage(path: string): boolean {
  const base = posix.basename(path.replace(/^\([^)]*\)/, ''));
  return /^xen($|[.-])/.test(base);
}

/**
 * Finds the first menu entry of a generated GRUB 2 `grub.cfg` that loads a Xen hypervisor
 * (`multiboot`/`multiboot2 .../xen...`). Throws when there is none.
 */
export function findXenMenuEntry(grubCfg: string, file: string): XenMenuEntry {
  interface Frame {
    kind: 'menuentry' | 'submenu' | 'other';
    title: string;
    id: string | undefined;
    line: number;
  }
  const stack: Frame[] = [];
  const lines = grubCfg.split('\n');
  for (let n = 0; n < lines.length; n++) {
    const line = lines[n]!.trim();
    const head = /^(menuentry|submenu)\s+(.*)\{$/.exec(line);
    if (head) {
      const words = grubWords(head[2]!);
      const idAt = words.findIndex((w) => w === '--id' || w === '$menuentry_id_option');
      stack.push({
        kind: head[1] as 'menuentry' | 'submenu',
        title: words[0] ?? '',
        id: idAt >= 0 ? words[idAt + 1] : undefined,
        line: n + 1,
      });
    } else if (line.endsWith('{')) {
      stack.push({ kind: 'other', title: '', id: undefined, line: n + 1 });
    } else if (line === '}') {
      stack.pop();
    } else {
      const top = stack[stack.length - 1];
      const load = /^(multiboot2?|kernel)\s+(\S+)/.exec(line);
      if (top?.kind === 'menuentry' && load && isXenImage(load[2]!)) {
        const path = stack.filter((f) => f.kind !== 'other').map((f) => f.id ?? f.title);
        return { title: top.title, id: top.id, grubDefault: path.join('>'), line: top.line };
      }
    }
  }
  throw new HostConfigError(
    'missing-entry',
    'no menu entry loads a Xen hypervisor (multiboot /boot/xen...); install Xen and run update-grub first',
    { file },
  );
}

// ---------------------------------------------------------------------------------------------
// legacy GRUB menu.lst

export interface MenuLstEntry {
  /** 0-based position among the `title` entries, as `default` counts them. */
  index: number;
  title: string;
  /** 1-based line of the `title` command. */
  line: number;
  /** 1-based line of the entry's `kernel` command, if it has one. */
  kernelLine: number | undefined;
  /** Whether the kernel line boots a Xen hypervisor. */
  xen: boolean;
}

function menuCommand(line: string): { keyword: string; args: string; argsAt: number } | undefined {
  const m = /^(\s*)([A-Za-z_]+)(?:(\s*=\s*|\s+)(.*))?$/.exec(line);
  if (!m) return undefined;
  const args = m[4] ?? '';
  return { keyword: m[2]!, args, argsAt: m[1]!.length + m[2]!.length + (m[3]?.length ?? 0) };
}

/** Lists the `title` entries of a legacy GRUB menu. */
export function listMenuLstEntries(text: string): MenuLstEntry[] {
  const entries: MenuLstEntry[] = [];
  text.split('\n').forEach((line, n) => {
    if (/^\s*#/.test(line)) return;
    const cmd = menuCommand(line);
    if (!cmd) return;
    if (cmd.keyword === 'title') {
      entries.push({ index: entries.length, title: cmd.args.trim(), line: n + 1, kernelLine: undefined, xen: false });
      return;
    }
    const cur = entries[entries.length - 1];
    if (cmd.keyword === 'kernel' && cur && cur.kernelLine === undefined) {
      cur.kernelLine = n + 1;
      cur.xen = isXenImage(cmd.args.trim().split(/\s+/)[0] ?? '');
    }
  });
  return entries;
}

/** The global `default` commands: those before the first `title`. */
function menuDefaults(text: string): Statement[] {
  const out: Statement[] = [];
  let pos = 0;
  while (pos < text.length) {
    const le = lineEndAt(text, pos);
    const line = text.slice(pos, le);
    if (!/^\s*#/.test(line)) {
      const cmd = menuCommand(line);
      if (cmd?.keyword === 'title') break;
      if (cmd?.keyword === 'default') {
        const trimmed = cmd.args.replace(/\s+$/, '');
        out.push({
          key: 'default',
          start: pos + line.length - line.trimStart().length,
          end: pos + cmd.argsAt + trimmed.length,
          valueStart: pos + cmd.argsAt,
          valueEnd: pos + cmd.argsAt + trimmed.length,
        });
      }
    }
    pos = le + 1;
  }
  return out;
}

const menuSyntax: Syntax<Statement> = {
  parse: menuDefaults,
  commentedCopy(line) {
    const m = /^\s*#(\s*)default(\s*=\s*|\s+)\S/.exec(line);
    if (!m) return undefined;
    return m[1] === '' ? 'tight' : 'loose';
  },
  commentedSpan: () => 1,
  statement: (_key, valueText) => `default ${valueText}`,
  appendAt(text) {
    // Before the first global command (after the header comments), else before the first entry.
    let pos = 0;
    while (pos < text.length) {
      const le = lineEndAt(text, pos);
      const line = text.slice(pos, le);
      if (line.trim() !== '' && !/^\s*#/.test(line)) return pos;
      pos = le + 1;
    }
    return text.length;
  },
};

export interface MenuLstOptions {
  /** dom0 memory size; sets `dom0_mem=<size>,max:<size>` on the Xen kernel line. */
  dom0Mem?: string;
  /** Point `default` at the Xen entry (default true). */
  setDefault?: boolean;
}

/**
 * Edits a legacy GRUB menu: `default` becomes the index of the first title whose kernel is a Xen
 * hypervisor (replacing e.g. `default saved`), and that entry's kernel line gets the dom0_mem
 * option. On Debian's update-grub-managed menus a `# xenhopt=` line, from which update-grub
 * regenerates the Xen kernel lines, gets the same option. Throws when no entry boots Xen.
 */
export function editMenuLst(text: string, file: string, opts: MenuLstOptions): string {
  const entries = listMenuLstEntries(text);
  if (entries.length === 0) throw new HostConfigError('missing-entry', 'no boot entries (no title lines)', { file });
  const xen = entries.find((e) => e.xen);
  if (!xen) {
    throw new HostConfigError(
      'missing-entry',
      `none of the ${entries.length} boot entries has a Xen hypervisor kernel line (kernel /xen.gz...)`,
      { file },
    );
  }
  let out = text;
  if (opts.setDefault ?? true) {
    const want = String(xen.index);
    out = setStatement(menuSyntax, out, file, 'default', (cur) =>
      cur && out.slice(cur.valueStart, cur.valueEnd) === want ? undefined : want,
    );
  }
  if (opts.dom0Mem !== undefined) {
    const arg = dom0MemArgument(opts.dom0Mem);
    const entry = listMenuLstEntries(out)[xen.index]!;
    const lines = out.split('\n');
    const at = entry.kernelLine! - 1;
    const line = lines[at]!;
    const cmd = menuCommand(line)!;
    lines[at] =
      line.slice(0, cmd.argsAt) + replaceToken(cmd.args.replace(/\s+$/, ''), 'dom0_mem=', arg) + (/\s+$/.exec(cmd.args)?.[0] ?? '');
    for (let i = 0; i < lines.length; i++) {
      const m = /^(#\s*xenhopt=)(.*)$/.exec(lines[i]!);
      if (m) lines[i] = m[1]! + replaceToken(m[2]!, 'dom0_mem=', arg);
    }
    out = lines.join('\n');
  }
  return out;
}
