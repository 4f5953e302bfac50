/**
 * `drover-server backup <dir>`: a consistent copy of the tables (SQLite's online backup, safe
 * while the server runs) and of the CA directory, into a new timestamped folder.
 */
import { cpSync, existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { UserFacingError } from '@drover/contract';

export async function backup(stateDir: string, outDir: string, now = new Date()): Promise<string> {
  const db = join(stateDir, 'drover.db');
  if (!existsSync(db)) throw new UserFacingError(`no tables at ${db}; check --state-dir or the config's stateDir`);
  const stamp = now.toISOString().replace(/[:.]/g, '-');
  const dest = join(outDir, `drover-backup-${stamp}`);
  if (existsSync(dest)) throw new UserFacingError(`${dest} already exists; choose another directory`);
  mkdirSync(dest, { recursive: true, mode: 0o700 });
  const src = new Database(db, { readonly: true, fileMustExist: true });
  try {
    await src.backup(join(dest, 'drover.db'));
  } finally {
    src.close();
  }
  const pki = join(stateDir, 'pki');
  if (existsSync(pki)) cpSync(pki, join(dest, 'pki'), { recursive: true, preserveTimestamps: true });
  return dest;
}
