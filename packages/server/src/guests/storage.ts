/** The `storage` table: which storage URLs the admin declared shared, and which hosts reach them. */
import type { Tables } from '../tables/index.js';

export interface StorageDecl {
  url: string;
  shared: boolean;
  hosts: string[];
}

export function storageDeclarations(tables: Tables): StorageDecl[] {
  const rows = tables.db.prepare("SELECT url, shared, hosts FROM storage WHERE disable IS NULL OR disable NOT IN ('1', 'yes')").all() as {
    url: string;
    shared: string | null;
    hosts: string | null;
  }[];
  return rows.map((r) => ({
    url: r.url,
    shared: ['1', 'yes', 'true', 'y'].includes((r.shared ?? '').toLowerCase()),
    hosts: (r.hosts ?? '')
      .split(',')
      .map((h) => h.trim())
      .filter(Boolean),
  }));
}

/** The declaration whose URL is the disk's URL or its longest path prefix. */
export function declarationFor(decls: readonly StorageDecl[], url: string): StorageDecl | undefined {
  let best: StorageDecl | undefined;
  for (const d of decls) {
    const base = d.url.replace(/\/+$/, '');
    if ((url === base || url.startsWith(`${base}/`) || url.startsWith(`${base}?`)) && (!best || base.length > best.url.length)) best = d;
  }
  return best;
}

export function isDeclaredShared(decls: readonly StorageDecl[], url: string): boolean {
  return declarationFor(decls, url)?.shared ?? false;
}
