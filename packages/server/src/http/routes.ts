/**
 * What the boot file server answers, decided from the request line alone (no I/O): a short
 * allow-list of generated files and the installer's callback. Paths are matched exactly, without
 * any decoding or normalising, so `..`, percent-encoding, doubled slashes and directories never
 * reach the file system.
 *
 *     GET <tftpdir>/ipxe/<node>.ipxe                          iPXE script (nodeset)
 *     GET <installdir>/autoinst/<node>.ks|.preseed?token=T    answer file; only with the node's live token
 *     GET /install/callback/<node>?token=T                    the install finished (single use)
 */
import { CALLBACK_PATH } from '../netboot/answers.js';

export type Route =
  | { kind: 'file'; node: string; path: string; token?: string; contentType: string }
  | { kind: 'callback'; node: string; token: string }
  | { kind: 'refuse'; status: number; reason: string };

export interface Layout {
  tftpDir: string;
  installDir: string;
}

const NODE = '([A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)';
/** Characters a generated path can contain; anything else (%, \, NUL, spaces) is refused outright. */
const PATH_CHARS = /^\/[A-Za-z0-9._/-]*$/;
const MAX_URL = 2048;

function escapeRe(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}

/** The token from a query string, or a reason why there is no usable one. */
function tokenOf(query: string): string | { reason: string } {
  const params = new URLSearchParams(query);
  const all = params.getAll('token');
  if (all.length !== 1 || all[0] === '') return { reason: 'exactly one token parameter is required' };
  return all[0]!;
}

export function route(method: string | undefined, rawUrl: string | undefined, layout: Layout): Route {
  if (method !== 'GET' && method !== 'HEAD') return { kind: 'refuse', status: 405, reason: 'only GET and HEAD are served' };
  const url = rawUrl ?? '';
  if (url.length > MAX_URL) return { kind: 'refuse', status: 414, reason: 'request line too long' };
  const q = url.indexOf('?');
  const path = q < 0 ? url : url.slice(0, q);
  const query = q < 0 ? '' : url.slice(q + 1);
  if (!PATH_CHARS.test(path) || path.includes('//') || path.split('/').some((s) => s === '..' || s === '.')) {
    return { kind: 'refuse', status: 400, reason: 'not a path this server generates' };
  }
  const tftp = layout.tftpDir === '/' ? '' : layout.tftpDir;
  const inst = layout.installDir === '/' ? '' : layout.installDir;

  let m = new RegExp(`^${escapeRe(tftp)}/ipxe/${NODE}\\.ipxe$`).exec(path);
  if (m) return { kind: 'file', node: m[1]!, path, contentType: 'text/plain; charset=utf-8' };

  m = new RegExp(`^${escapeRe(inst)}/autoinst/${NODE}\\.(ks|preseed)$`).exec(path);
  if (m) {
    const token = tokenOf(query);
    if (typeof token !== 'string') return { kind: 'refuse', status: 403, reason: token.reason };
    return { kind: 'file', node: m[1]!, path, token, contentType: 'text/plain; charset=utf-8' };
  }

  m = new RegExp(`^${escapeRe(CALLBACK_PATH)}${NODE}$`).exec(path);
  if (m) {
    const token = tokenOf(query);
    if (typeof token !== 'string') return { kind: 'refuse', status: 403, reason: token.reason };
    return { kind: 'callback', node: m[1]!, token };
  }
  return { kind: 'refuse', status: 404, reason: 'not found' };
}
