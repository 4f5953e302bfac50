import { closeSync, copyFileSync, existsSync, fsyncSync, mkdirSync, openSync, renameSync, writeSync, statSync, chmodSync } from 'node:fs';
import { dirname, basename, join, resolve, isAbsolute } from 'node:path';

/** Options for {@link writeFileAtomic}. */
export interface AtomicWriteOptions {
  /** Keep the previous content as `<file>.drover-bak` before replacing it. */
  backup?: boolean;
  /** File mode for a new file (an existing file keeps its mode). Default 0o644. */
  mode?: number;
}

/**
 * Writes a file atomically: the data goes to a temporary file in the same directory, is flushed,
 * and is renamed over the target, so a reader sees either the old or the new content, never a
 * half-written file. Creates missing parent directories.
 */
export function writeFileAtomic(path: string, data: string | Buffer, opts: AtomicWriteOptions = {}): void {
  const dir = dirname(path);
  mkdirSync(dir, { recursive: true });
  let mode = opts.mode ?? 0o644;
  if (existsSync(path)) {
    mode = statSync(path).mode & 0o7777;
    if (opts.backup) copyFileSync(path, `${path}.drover-bak`);
  }
  const tmp = join(dir, `.${basename(path)}.${process.pid}.${Date.now()}.tmp`);
  const fd = openSync(tmp, 'w', mode);
  try {
    const buf = typeof data === 'string' ? Buffer.from(data) : data;
    let off = 0;
    while (off < buf.length) off += writeSync(fd, buf, off, buf.length - off);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  chmodSync(tmp, mode);
  renameSync(tmp, path);
}

/**
 * Places an absolute system path (e.g. `/etc/libvirt/qemu.conf`) under a root directory, so that
 * tests and `--root` runs never touch the machine's own `/etc` or `/boot`. A root of `/` or
 * undefined leaves the path unchanged.
 */
export function underRoot(root: string | undefined, path: string): string {
  if (!root || root === '/') return path;
  const p = isAbsolute(path) ? path.slice(1) : path;
  return resolve(root, p);
}
