/**
 * Attribute resolution: what a command's `attr=value` pairs mean (which table and column, set or
 * add/remove list items), and the canonical form of a guest's definition attributes, from which
 * drover tells a change still pending on the guest's host.
 */
import { createHash } from 'node:crypto';
import { formatNicList, formatStorageList, parseBootOrder, parseMemoryMiB, parseNicList, parseStorageList } from '@drover/contract';
import { NODE_TABLES, resolveNodeAttr, type ColumnDef, type NodeAttr, type TableDef } from './schema.js';

/** A node's attributes, `table.column` -> value; unset attributes are absent. */
export type NodeAttrs = Record<string, string>;

/** How chdef combines a value with what is stored: replace it, or add/remove list items (-p/-m). */
export type EditMode = 'set' | 'plus' | 'minus';

export interface Change {
  attr: NodeAttr;
  /** null: clear. */
  value: string | null;
  mode: EditMode;
}

/** Attributes that make up a guest's definition on its host: a change to one is pending until the guest is defined again. */
export const DEFINITION_ATTRS = [
  'vm.host',
  'vm.storage',
  'vm.nics',
  'vm.memory',
  'vm.cpus',
  'vm.bootorder',
  'nodehm.serialport',
  'nodehm.serialspeed',
] as const;

/** Names of every table tabdump knows. */
export function tableNames(): string[] {
  return [
    'nodelist',
    'vm',
    'nodehm',
    'nodetype',
    'noderes',
    'mac',
    'hosts',
    'hypervisor',
    'site',
    'networks',
    'storage',
    'operations',
    'operation_steps',
  ];
}

/** Resolves attribute names to changes; problems are node-independent messages. */
export function parseChanges(
  attrs: Readonly<Record<string, string>>,
  remove: readonly string[],
  mode: EditMode,
): { changes: Map<string, Change>; problems: string[] } {
  const changes = new Map<string, Change>();
  const problems: string[] = [];
  const add = (name: string, value: string | null, m: EditMode): void => {
    const a = resolveNodeAttr(name);
    if (typeof a === 'string') {
      problems.push(a);
      return;
    }
    if (!a.column.syntax) {
      problems.push(`${a.name} is set by drover, not by the admin`);
      return;
    }
    if (m !== 'set' && !a.column.list) {
      problems.push(`${a.name}: -p/-m work only on list attributes (${listAttrs().join(', ')})`);
      return;
    }
    if (changes.has(a.name)) {
      problems.push(`${a.name} is given twice (a short name and its table.column count as the same)`);
      return;
    }
    changes.set(a.name, { attr: a, value, mode: m });
  };
  for (const [k, v] of Object.entries(attrs)) add(k, v.trim() === '' ? null : v, v.trim() === '' ? 'set' : mode);
  for (const k of remove) add(k, null, 'set');
  return { changes, problems };
}

function listAttrs(): string[] {
  return NODE_TABLES.flatMap((t) => t.columns.filter((c: ColumnDef) => c.list).map((c) => `${t.name}.${c.name}`));
}

/** -p/-m on a comma list: add the items not there yet / remove the items given. null when nothing is left. */
export function editList(current: string | undefined, items: string, mode: 'plus' | 'minus'): string | null {
  const split = (s: string): string[] =>
    s
      .split(/[\s,]+/)
      .map((x) => x.trim())
      .filter((x) => x !== '');
  const have = current ? split(current) : [];
  const given = split(items);
  const out = mode === 'plus' ? [...have, ...given.filter((g) => !have.includes(g))] : have.filter((h) => !given.includes(h));
  return out.length ? out.join(',') : null;
}

/** A column name of `def` as written (`col` or `table.col`), or null when it is not one. */
export function stripTable(name: string, def: TableDef): string | null {
  const lower = name.trim().toLowerCase();
  const dot = lower.indexOf('.');
  if (dot >= 0 && lower.slice(0, dot) !== def.name) return null;
  const col = dot >= 0 ? lower.slice(dot + 1) : lower;
  return def.columns.some((c) => c.name === col) ? col : null;
}

// ---------------------------------------------------------------------------------------------
// Definitions and pending changes

/** One stored form per definition attribute, so that 2G and 2048 do not count as a change. */
function canonical(attr: string, v: string): string {
  try {
    switch (attr) {
      case 'vm.storage':
        return formatStorageList(parseStorageList(v));
      case 'vm.nics':
        return formatNicList(parseNicList(v));
      case 'vm.memory':
        return String(parseMemoryMiB(v));
      case 'vm.bootorder':
        return parseBootOrder(v).join(',');
      default:
        return v.trim();
    }
  } catch {
    return v;
  }
}

/** The definition attributes of a node's attributes, each in its canonical form. */
export function definitionOf(all: NodeAttrs): Record<string, string> {
  const out: Record<string, string> = {};
  for (const a of DEFINITION_ATTRS) {
    const v = all[a];
    if (v !== undefined) out[a] = canonical(a, v);
  }
  return out;
}

/** What is recorded when a guest is defined: the definition's hash and one short hash per attribute (JSON). */
export function definitionRecord(all: NodeAttrs): { hash: string; attrs: string } {
  const def = definitionOf(all);
  const attrs = Object.fromEntries(DEFINITION_ATTRS.map((a) => [a, shortHash(def[a] ?? '')]));
  return { hash: sha256(JSON.stringify(DEFINITION_ATTRS.map((a) => [a, def[a] ?? '']))), attrs: JSON.stringify(attrs) };
}

/** The definition attributes whose current value differs from the recorded one (`recorded`: the JSON of definitionRecord). */
export function changedSince(recorded: string, current: NodeAttrs): string[] {
  let rec: Record<string, string>;
  try {
    rec = JSON.parse(recorded) as Record<string, string>;
  } catch {
    rec = {};
  }
  return DEFINITION_ATTRS.filter((a) => shortHash(current[a] === undefined ? '' : canonical(a, current[a])) !== rec[a]);
}

/**
 * The record of what was defined after a migration moved the guest to `host`: vm.host's recorded
 * value alone changes (the guest is defined on `host` now, as it was defined before). undefined
 * when the record cannot be read (left as it is).
 */
export function recordWithHost(recorded: string, host: string): string | undefined {
  let rec: Record<string, string>;
  try {
    rec = JSON.parse(recorded) as Record<string, string>;
  } catch {
    return undefined;
  }
  rec['vm.host'] = shortHash(canonical('vm.host', host));
  return JSON.stringify(rec);
}

/** The definition attributes, resolved. */
export function definitionAttrs(): NodeAttr[] {
  return DEFINITION_ATTRS.map((a) => resolveNodeAttr(a) as NodeAttr);
}

function sha256(s: string): string {
  return createHash('sha256').update(s).digest('hex');
}

function shortHash(s: string): string {
  return sha256(s).slice(0, 16);
}
