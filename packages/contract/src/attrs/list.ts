import { AttrError } from './errors.js';

/**
 * The grammar shared by list attributes (`vm.storage`, `vm.nics`):
 *
 *     LIST   = ITEM [ "," ITEM ]...
 *     ITEM   = TARGET [ "?" OPTION [ "&" OPTION ]... ]
 *     OPTION = KEY "=" VALUE
 *
 * Spaces around items are ignored. `,`, `?`, `&` and `=` never occur inside a target or a value,
 * so splitting is unambiguous (MAC addresses keep their colons).
 */
export interface ListItem {
  /** The item as written (trimmed). */
  readonly text: string;
  /** The part before `?`. */
  readonly target: string;
  /** The options after `?`, by key. */
  readonly options: ReadonlyMap<string, string>;
}

interface Ctx {
  attribute: string;
  value: string;
  accepted: string;
}

/** Splits a list attribute into items; an empty or blank value is an empty list. */
export function splitList(ctx: Ctx): ListItem[] {
  if (ctx.value.trim() === '') return [];
  return ctx.value.split(',').map((raw) => parseItem(raw.trim(), ctx));
}

function parseItem(text: string, ctx: Ctx): ListItem {
  const fail = (problem: string, part = text): never => {
    throw new AttrError({ code: 'ATTR_SYNTAX', attribute: ctx.attribute, value: ctx.value, part, problem, accepted: ctx.accepted });
  };
  if (text === '') fail('empty entry (two commas, or a comma at an end)', ctx.value);
  const q = text.indexOf('?');
  const target = q < 0 ? text : text.slice(0, q);
  const options = new Map<string, string>();
  if (target === '') fail('nothing before ?');
  if (q >= 0) {
    const query = text.slice(q + 1);
    if (query === '') fail('nothing after ?');
    for (const opt of query.split('&')) {
      const m = /^([a-z]+)=([^=?&\s]+)$/.exec(opt);
      if (!m || m[1] === undefined || m[2] === undefined) fail('an option must read key=value', opt);
      else if (options.has(m[1])) fail('option given twice', opt);
      else options.set(m[1], m[2]);
    }
  }
  return { text, target, options };
}

/** Throws when an item has an option outside `known`. */
export function rejectUnknownOptions(item: ListItem, known: readonly string[], ctx: Ctx): void {
  for (const key of item.options.keys()) {
    if (!known.includes(key)) {
      throw new AttrError({
        code: 'ATTR_SYNTAX',
        attribute: ctx.attribute,
        value: ctx.value,
        part: `${key}=`,
        problem: `unknown option (known: ${known.join(', ')})`,
        accepted: ctx.accepted,
      });
    }
  }
}

/** Characters allowed in one segment of a path in an attribute. */
const SEGMENT_RE = /^[A-Za-z0-9._+@~:-]+$/;

/** Why an absolute path is not acceptable, or null. Paths must be absolute and already normal. */
export function pathProblem(path: string): string | null {
  if (!path.startsWith('/')) return 'not an absolute path';
  if (path === '/') return 'the root directory cannot hold disks';
  const segs = path.slice(1).split('/');
  if (segs[segs.length - 1] === '') segs.pop(); // one trailing slash is harmless
  for (const seg of segs) {
    if (seg === '') return 'empty path segment (//)';
    if (seg === '.' || seg === '..') return `'${seg}' segments are not allowed`;
    if (!SEGMENT_RE.test(seg)) return 'paths may hold only letters, digits and . _ + @ ~ : -';
  }
  return null;
}

/** Removes one trailing slash (not from `/`). */
export function trimSlash(path: string): string {
  return path.length > 1 && path.endsWith('/') ? path.slice(0, -1) : path;
}
