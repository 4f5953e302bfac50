import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

/** A fresh temporary root directory, with files placed at their system paths inside it. */
export function tempRoot(files: Record<string, string> = {}): { root: string; at(path: string): string; cleanup(): void } {
  const root = mkdtempSync(join(tmpdir(), 'drover-hostconfig-'));
  const at = (path: string): string => join(root, path);
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(at(path)), { recursive: true });
    writeFileSync(at(path), text);
  }
  return { root, at, cleanup: () => rmSync(root, { recursive: true, force: true }) };
}

/** The removed and added lines of a unified diff, without the file headers. */
export function changedLines(diff: string): { removed: string[]; added: string[] } {
  const removed: string[] = [];
  const added: string[] = [];
  for (const line of diff.split('\n')) {
    if (line.startsWith('---') || line.startsWith('+++')) continue;
    if (line.startsWith('-')) removed.push(line.slice(1));
    else if (line.startsWith('+')) added.push(line.slice(1));
  }
  return { removed, added };
}
