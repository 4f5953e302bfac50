/**
 * Per-node entries inside a managed block (a dhcpd `host` declaration, a group of dnsmasq lines, an
 * /etc/hosts line): split a block body into entries, merge additions and removals, keep them in
 * natural node order and refuse two nodes claiming the same MAC, IP or name.
 */
import { ManagedBlockError, NetbootConflictError } from './errors.js';
import { naturalCompare } from './validate.js';

export interface Claim {
  field: string;
  value: string;
}

export interface Entry {
  node: string;
  /** The entry's lines, each ending with a newline. */
  text: string;
  claims: readonly Claim[];
}

export interface EntryFormat {
  /** What one entry is, for messages ("host declaration"). */
  what: string;
  blockId: string;
  /** Node name when `line` starts an entry, otherwise null. */
  header(line: string): string | null;
  /** Whether `line` can continue the entry of `node` (drover writes nothing else there). */
  continues(line: string, node: string): boolean;
  /** What an existing entry claims (read back from its text). */
  claims(node: string, text: string): Claim[];
}

/** Splits a block body written by drover back into entries. */
export function splitEntries(body: string, firstLine: number, file: string, fmt: EntryFormat): Entry[] {
  const out: Entry[] = [];
  let cur: { node: string; lines: string[]; line: number } | undefined;
  const seen = new Map<string, number>();
  const flush = (): void => {
    if (!cur) return;
    while (cur.lines.length > 0 && (cur.lines[cur.lines.length - 1] ?? '').trim() === '') cur.lines.pop();
    const text = cur.lines.map((l) => `${l}\n`).join('');
    out.push({ node: cur.node, text, claims: fmt.claims(cur.node, text) });
  };
  const lines = body.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  lines.forEach((raw, i) => {
    const line = raw.replace(/\r$/, '');
    const lineNo = firstLine + i;
    const node = fmt.header(line);
    if (node !== null) {
      const prev = seen.get(node);
      if (prev !== undefined) {
        throw new ManagedBlockError(
          file,
          lineNo,
          `node ${node} has a second ${fmt.what} in drover block '${fmt.blockId}' (first at line ${prev})`,
        );
      }
      seen.set(node, lineNo);
      flush();
      cur = { node, lines: [line], line: lineNo };
    } else if (cur && fmt.continues(line, cur.node)) {
      cur.lines.push(line);
    } else if (line.trim() !== '') {
      throw new ManagedBlockError(
        file,
        lineNo,
        `line inside drover block '${fmt.blockId}' is not part of a ${fmt.what}; move hand-written lines outside the block`,
      );
    }
  });
  flush();
  return out;
}

/** Applies removals, then upserts (replacing a node's old entry), sorts and checks claims. */
export function mergeEntries(existing: readonly Entry[], upserts: readonly Entry[], removals: Iterable<string>, file?: string): Entry[] {
  const byNode = new Map(existing.map((e) => [e.node, e] as const));
  for (const n of removals) byNode.delete(n);
  const added = new Set<string>();
  for (const e of upserts) {
    if (added.has(e.node)) throw new Error(`node ${e.node} is listed twice in one update`);
    added.add(e.node);
    byNode.set(e.node, e);
  }
  const merged = [...byNode.values()].sort((a, b) => naturalCompare(a.node, b.node));
  const owner = new Map<string, string>();
  for (const e of merged) {
    for (const c of e.claims) {
      const key = `${c.field}\u0000${c.value.toLowerCase()}`;
      const other = owner.get(key);
      if (other !== undefined && other !== e.node) throw new NetbootConflictError(c.field, c.value, [other, e.node], file);
      owner.set(key, e.node);
    }
  }
  return merged;
}

export function joinEntries(entries: readonly Entry[], separator = ''): string {
  return entries.map((e) => e.text).join(separator);
}
