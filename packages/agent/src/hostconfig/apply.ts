/**
 * Applies a plan of host configuration edits under a root directory. An edit is data (which file,
 * which format, which keys), so a plan can be shown, logged or sent before anything is written.
 *
 * Every file of the plan is read and edited in memory first; if any of them fails (missing file,
 * syntax error, no Xen entry...) nothing at all is written. Then each changed file is replaced
 * atomically, its previous content kept as `<file>.drover-bak`, and the result reports a unified
 * diff. Unchanged files are not touched (no write, no backup), so applying a plan twice changes
 * nothing the second time. With `dryRun` the diffs are computed and nothing is written.
 */
import { existsSync, lstatSync, readFileSync, readlinkSync, realpathSync } from 'node:fs';
import { dirname, isAbsolute, posix, relative, resolve } from 'node:path';
import { createTwoFilesPatch } from 'diff';
import { underRoot, writeFileAtomic } from '@drover/contract';
import { HostConfigError } from './errors.js';
import { editSxp, type SxpValue } from './sxp.js';
import { editKeyValue, type KvValue } from './keyvalue.js';
import { editGrubDefault, editMenuLst, findXenMenuEntry } from './grub.js';

interface EditBase {
  /** Absolute system path, e.g. `/etc/libvirt/qemu.conf`; placed under the root when applied. */
  path: string;
  /** Start from an empty file when it does not exist (otherwise a missing file is an error). */
  createIfMissing?: boolean;
}

/** Keys of a `xend-config.sxp`-style file; null comments the key out. */
export interface SxpEdit extends EditBase {
  kind: 'sxp';
  set: Readonly<Record<string, SxpValue | null>>;
}

/** Keys of a libvirt-style `key = value` file (qemu.conf, libvirtd.conf, libxl.conf, xl.conf); null comments the key out. */
export interface KeyValueEdit extends EditBase {
  kind: 'keyvalue';
  set: Readonly<Record<string, KvValue | null>>;
}

/** `/etc/default/grub`. */
export interface GrubDefaultEdit extends EditBase {
  kind: 'grub-default';
  dom0Mem?: string;
  /** Explicit GRUB_DEFAULT value. */
  grubDefault?: string;
  /** Or: take GRUB_DEFAULT from the first Xen entry of this generated grub.cfg (system path). */
  xenEntryFrom?: string;
}

/** Legacy GRUB `menu.lst` / `grub.conf`. */
export interface MenuLstEdit extends EditBase {
  kind: 'menu-lst';
  dom0Mem?: string;
  /** Point `default` at the first Xen entry (default true). */
  setDefault?: boolean;
}

export type Edit = SxpEdit | KeyValueEdit | GrubDefaultEdit | MenuLstEdit;

export interface EditResult {
  /** System path the plan named. */
  path: string;
  /** The file actually read and written (under the root, symbolic links followed). */
  file: string;
  changed: boolean;
  /** Unified diff from the current to the new content; '' when unchanged. */
  diff: string;
  /** Where the previous content was kept, when a file was written over. */
  backup?: string;
}

export interface ApplyOptions {
  /** Compute the diffs, write nothing. */
  dryRun?: boolean;
}

/** Where a system path lands under `root`, refusing anything that would escape it. */
function placeUnderRoot(root: string | undefined, path: string): string {
  if (!isAbsolute(path)) throw new HostConfigError('invalid-option', 'configuration paths must be absolute', { file: path });
  const file = underRoot(root, posix.normalize(path));
  if (root && root !== '/') {
    const inside = (base: string, p: string): boolean => {
      const rel = relative(base, p);
      return !rel.startsWith('..') && !isAbsolute(rel);
    };
    // The lexical check, then the real one: a directory link inside the root (say etc/xen ->
    // /etc/xen) would otherwise carry the write out to the machine's own files.
    let ok = inside(resolve(root), file);
    const dir = existingAncestor(dirname(file));
    if (ok && dir && existsSync(root)) ok = inside(realpathSync(root), realpathSync(dir));
    if (!ok) throw new HostConfigError('outside-root', `resolves outside the root directory ${root}`, { file: path });
  }
  return file;
}

function existingAncestor(dir: string): string | undefined {
  for (let d = dir; ; d = dirname(d)) {
    if (existsSync(d)) return d;
    if (dirname(d) === d) return undefined;
  }
}

/**
 * Resolves a system path under the root, following a symbolic link at the end of it (menu.lst is
 * often a link to grub.conf) inside the root, so the atomic rename replaces the target file and
 * keeps the link.
 */
export function resolveConfigPath(root: string | undefined, path: string): { file: string; systemPath: string } {
  let systemPath = path;
  for (let hops = 0; hops < 10; hops++) {
    const file = placeUnderRoot(root, systemPath);
    let link: string | undefined;
    try {
      link = lstatSync(file).isSymbolicLink() ? readlinkSync(file) : undefined;
    } catch {
      link = undefined; // missing: the caller decides
    }
    if (link === undefined) return { file, systemPath };
    systemPath = posix.isAbsolute(link) ? link : posix.join(posix.dirname(systemPath), link);
  }
  throw new HostConfigError('invalid-option', 'too many levels of symbolic links', { file: path });
}

function readText(file: string, path: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (err) {
    throw new HostConfigError('missing-file', 'cannot read the file', { file: path, cause: err });
  }
}

function editText(root: string | undefined, edit: Edit, text: string): string {
  switch (edit.kind) {
    case 'sxp':
      return editSxp(text, edit.path, edit.set);
    case 'keyvalue':
      return editKeyValue(text, edit.path, edit.set);
    case 'grub-default': {
      let grubDefault = edit.grubDefault;
      if (grubDefault === undefined && edit.xenEntryFrom !== undefined) {
        const { file } = resolveConfigPath(root, edit.xenEntryFrom);
        grubDefault = findXenMenuEntry(readText(file, edit.xenEntryFrom), edit.xenEntryFrom).grubDefault;
      }
      return editGrubDefault(text, edit.path, {
        ...(edit.dom0Mem !== undefined ? { dom0Mem: edit.dom0Mem } : {}),
        ...(grubDefault !== undefined ? { grubDefault } : {}),
      });
    }
    case 'menu-lst':
      return editMenuLst(text, edit.path, {
        ...(edit.dom0Mem !== undefined ? { dom0Mem: edit.dom0Mem } : {}),
        ...(edit.setDefault !== undefined ? { setDefault: edit.setDefault } : {}),
      });
  }
}

/** Computes the new content of every file of the plan without writing anything. */
export function planFiles(
  root: string | undefined,
  plan: readonly Edit[],
): { path: string; file: string; exists: boolean; before: string; after: string }[] {
  const groups = new Map<string, { path: string; file: string; edits: Edit[] }>();
  for (const edit of plan) {
    const { file } = resolveConfigPath(root, edit.path);
    const g = groups.get(file);
    if (g) g.edits.push(edit);
    else groups.set(file, { path: edit.path, file, edits: [edit] });
  }
  return [...groups.values()].map(({ path, file, edits }) => {
    const exists = existsSync(file);
    if (!exists && !edits.every((e) => e.createIfMissing)) {
      throw new HostConfigError('missing-file', 'file not found (is the package that provides it installed?)', { file: path });
    }
    const before = exists ? readText(file, path) : '';
    const after = edits.reduce((text, edit) => editText(root, edit, text), before);
    return { path, file, exists, before, after };
  });
}

/**
 * Applies `plan` under `root` (undefined or `/` for the real system). Returns one result per file,
 * in the order the plan first names them.
 */
export function applyEdits(root: string | undefined, plan: readonly Edit[], opts: ApplyOptions = {}): EditResult[] {
  const files = planFiles(root, plan);
  return files.map(({ path, file, exists, before, after }) => {
    const changed = before !== after;
    const diff = changed ? createTwoFilesPatch(path, path, before, after, 'current', 'drover', { context: 3 }) : '';
    if (!changed || opts.dryRun) return { path, file, changed, diff };
    writeFileAtomic(file, after, { backup: exists });
    return exists ? { path, file, changed, diff, backup: `${file}.drover-bak` } : { path, file, changed, diff };
  });
}
