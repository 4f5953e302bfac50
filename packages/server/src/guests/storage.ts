/** The `storage` table: which storage URLs the admin declared shared, and which hosts reach them. */
import type { Tables } from '../tables/index.js';

export interface StorageDecl {
  url: string;
  shared: boolean;
  hosts: string[];
}

export async function storageDeclarations(tables: Tables): Promise<StorageDecl[]> {
  const d = await tables.dump('storage');
  const at = (name: string): number => d.columns.indexOf(name);
  return d.rows
    .filter((r) => !['1', 'yes'].includes(r[at('disable')]!))
    .map((r) => ({
      url: r[at('url')]!,
      shared: ['1', 'yes', 'true', 'y'].includes(r[at('shared')]!.toLowerCase()),
      hosts: r[at('hosts')]!.split(',')
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
