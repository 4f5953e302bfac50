import { posix } from 'node:path';
import { StorageError } from './errors.js';

/**
 * Refuses a disk path outside the allowed roots (the host's pool directories). The path is
 * normalised first, so `/vms/../etc/shadow` is judged as `/etc/shadow`; a root matches whole
 * segments only (`/vms` does not allow `/vms2/x`). Returns the normalised path.
 *
 * This judges the spelling only: symbolic links are not resolved here. Call it on the result of
 * `fs.realpath` too when the path already exists.
 */
export function checkPathAllowed(path: string, allowedRoots: readonly string[]): string {
  if (typeof path !== 'string' || !posix.isAbsolute(path) || path.includes('\0')) {
    throw new StorageError('PATH_NOT_ALLOWED', 'path', path, 'must be an absolute path');
  }
  const normal = posix.normalize(path).replace(/(.)\/+$/, '$1');
  for (const root of allowedRoots) {
    if (typeof root !== 'string' || !posix.isAbsolute(root)) continue;
    const r = posix.normalize(root).replace(/(.)\/+$/, '$1');
    if (normal === r || normal.startsWith(r === '/' ? '/' : `${r}/`)) return normal;
  }
  throw new StorageError('PATH_NOT_ALLOWED', 'path', path, `outside the allowed storage (${allowedRoots.join(', ') || 'none configured'})`);
}
