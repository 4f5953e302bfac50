/**
 * Where guest disks are made: through libvirt's storage pools and volumes (real hosts), or as
 * files the agent writes itself (libvirt's test driver keeps its pools in memory only, so files
 * are the only way to see real disks there). Both refuse to overwrite an existing disk unless
 * forced; both report capacity and the space really allocated.
 */
import { execFile } from 'node:child_process';
import { closeSync, existsSync, ftruncateSync, mkdirSync, openSync, readSync, statSync, unlinkSync } from 'node:fs';
import { dirname } from 'node:path';
import { promisify } from 'node:util';
import * as grpc from '@grpc/grpc-js';
import { DroverError } from '@drover/contract';
import { ErrorNumber, LibvirtError, StoragePoolBuildFlags, type Connection, type StoragePool } from '@drover/libvirt';
import type { PoolDef } from './pool.js';
import { volumeXml } from './volume.js';

const run = promisify(execFile);

/** ensurePool in flight per pool name (one agent process, one libvirtd). */
const POOL_LOCKS = new Map<string, Promise<unknown>>();

/** One disk to make: its file or device, and (for pool-backed disks) its pool and volume name. */
export interface DiskTarget {
  path: string;
  format: 'raw' | 'qcow2';
  capacityBytes: number;
  pool: PoolDef | null;
  volumeName: string;
}

export interface DiskState {
  exists: boolean;
  capacityBytes: number;
  allocationBytes: number;
}

export interface DiskStore {
  readonly kind: 'libvirt' | 'files';
  info(path: string): Promise<DiskState>;
  /** Creates the disk; an existing one is refused (ALREADY_EXISTS) unless `force`. */
  create(t: DiskTarget, force: boolean): Promise<void>;
  /** Removes the disk; false when it did not exist. */
  remove(path: string): Promise<boolean>;
}

export function alreadyExists(path: string, field: string): DroverError {
  return new DroverError('DISK_EXISTS', `${field}: ${path} exists already; drover never overwrites a disk unless asked with force`, {
    status: grpc.status.ALREADY_EXISTS,
  });
}

/** Disks as plain files: sparse raw files by truncation, qcow2 through qemu-img. */
export class FileDiskStore implements DiskStore {
  readonly kind = 'files';
  constructor(private readonly qemuImg = 'qemu-img') {}

  private isQcow2(path: string): boolean {
    const fd = openSync(path, 'r');
    try {
      const b = Buffer.alloc(4);
      return readSync(fd, b, 0, 4, 0) === 4 && b.equals(Buffer.from([0x51, 0x46, 0x49, 0xfb]));
    } finally {
      closeSync(fd);
    }
  }

  async info(path: string): Promise<DiskState> {
    let st;
    try {
      st = statSync(path);
    } catch {
      return { exists: false, capacityBytes: 0, allocationBytes: 0 };
    }
    const allocationBytes = st.blocks * 512;
    if (st.isFile() && this.isQcow2(path)) {
      const { stdout } = await run(this.qemuImg, ['info', '--output=json', '-U', path]);
      const j = JSON.parse(stdout) as { 'virtual-size'?: number };
      return { exists: true, capacityBytes: j['virtual-size'] ?? 0, allocationBytes };
    }
    return { exists: true, capacityBytes: st.size, allocationBytes };
  }

  async create(t: DiskTarget, force: boolean): Promise<void> {
    if (existsSync(t.path)) {
      if (!force) throw alreadyExists(t.path, 'path');
      unlinkSync(t.path);
    }
    mkdirSync(dirname(t.path), { recursive: true, mode: 0o755 });
    if (t.format === 'raw') {
      const fd = openSync(t.path, 'wx', 0o600);
      try {
        ftruncateSync(fd, t.capacityBytes); // sparse: nothing allocated
      } finally {
        closeSync(fd);
      }
      return;
    }
    await run(this.qemuImg, ['create', '-q', '-f', 'qcow2', '-o', 'compat=1.1', '--', t.path, String(t.capacityBytes)]);
  }

  async remove(path: string): Promise<boolean> {
    if (!existsSync(path)) return false;
    unlinkSync(path);
    return true;
  }
}

/** Disks as libvirt storage volumes in drover's pools (defined, built and started on demand). */
export class LibvirtDiskStore implements DiskStore {
  readonly kind = 'libvirt';
  constructor(private readonly conn: () => Connection) {}

  /**
   * The pool for `def`: found by name or target path, else defined, built and started; then
   * refreshed. Calls for the same pool are serialised in
   * this process: concurrent incoming migrations to a host that has not seen the pool yet would
   * otherwise each try to define it, and all but one fail ("pool ... already exists").
   */
  async ensurePool(def: PoolDef): Promise<StoragePool> {
    const prev = POOL_LOCKS.get(def.name) ?? Promise.resolve();
    const mine = prev.catch(() => undefined).then(() => this.ensurePoolNow(def));
    POOL_LOCKS.set(def.name, mine);
    try {
      return await mine;
    } finally {
      if (POOL_LOCKS.get(def.name) === mine) POOL_LOCKS.delete(def.name);
    }
  }

  private async ensurePoolNow(def: PoolDef): Promise<StoragePool> {
    const c = this.conn();
    let p: StoragePool | undefined;
    const finds = [() => c.lookupStoragePoolByName(def.name)];
    if (def.targetPath) finds.push(() => c.lookupStoragePoolByTargetPath(def.targetPath));
    for (const find of finds) {
      try {
        p = await find();
        break;
      } catch (e) {
        if (!(e instanceof LibvirtError && e.code === ErrorNumber.NO_STORAGE_POOL)) throw e;
      }
    }
    if (!p) {
      p = await c.defineStoragePool(def.xml);
      await p.setAutostart(true).catch(() => undefined);
      if (def.kind === 'dir') await p.build(StoragePoolBuildFlags.NO_OVERWRITE).catch(() => undefined);
    }
    if (!(await p.isActive())) await p.start();
    await p.refresh().catch(() => undefined);
    return p;
  }

  async info(path: string): Promise<DiskState> {
    try {
      const v = await this.conn().lookupStorageVolumeByPath(path);
      const i = await v.info();
      return { exists: true, capacityBytes: i.capacity, allocationBytes: i.allocation };
    } catch (e) {
      if (e instanceof LibvirtError && e.code === ErrorNumber.NO_STORAGE_VOL) {
        // A file libvirt has not seen yet (its pool not refreshed, or no pool at all) still exists.
        if (existsSync(path)) {
          const st = statSync(path);
          return { exists: true, capacityBytes: st.size, allocationBytes: st.blocks * 512 };
        }
        return { exists: false, capacityBytes: 0, allocationBytes: 0 };
      }
      throw e;
    }
  }

  async create(t: DiskTarget, force: boolean): Promise<void> {
    if (!t.pool)
      throw new DroverError('DISK_NO_POOL', `path: ${t.path} is a device; drover does not create devices`, {
        status: grpc.status.INVALID_ARGUMENT,
      });
    const p = await this.ensurePool(t.pool);
    try {
      const old = await p.lookupVolumeByName(t.volumeName);
      if (!force) throw alreadyExists(t.path, 'path');
      await old.delete();
    } catch (e) {
      if (!(e instanceof LibvirtError && e.code === ErrorNumber.NO_STORAGE_VOL)) throw e;
    }
    await p.createVolume(
      volumeXml({ name: t.volumeName, capacityBytes: t.capacityBytes, format: t.format, sparse: t.pool.kind !== 'logical' }),
    );
  }

  async remove(path: string): Promise<boolean> {
    try {
      const v = await this.conn().lookupStorageVolumeByPath(path);
      await v.delete();
      return true;
    } catch (e) {
      if (e instanceof LibvirtError && e.code === ErrorNumber.NO_STORAGE_VOL) return false;
      throw e;
    }
  }
}

/**
 * Disk files on an NFS export that this host reaches through QEMU's own NFS client (no kernel
 * mount): made and inspected with qemu-img over `nfs://SERVER/PATH` (Debian's qemu-block-extra).
 * The same sizes and formats as local disks: sparse raw, or qcow2 with compat 1.1.
 */
export class QemuNfsStore {
  constructor(
    private readonly qemuImg = 'qemu-img',
    private readonly timeoutMs = 20_000,
  ) {}

  static url(server: string, name: string): string {
    return `nfs://${server}${name}`;
  }

  /** What the file is; `exists: false` when the server says there is no such file. Other failures throw. */
  async info(url: string): Promise<DiskState> {
    try {
      const { stdout } = await run(this.qemuImg, ['info', '--output=json', '-U', url], { timeout: this.timeoutMs, killSignal: 'SIGKILL' });
      const j = JSON.parse(stdout) as { 'virtual-size'?: number; 'actual-size'?: number };
      return { exists: true, capacityBytes: j['virtual-size'] ?? 0, allocationBytes: j['actual-size'] ?? 0 };
    } catch (e) {
      const msg = commandError(e);
      if (/No such file|NFS3ERR_NOENT|ENOENT/i.test(msg)) return { exists: false, capacityBytes: 0, allocationBytes: 0 };
      throw new Error(msg);
    }
  }

  async create(url: string, format: 'raw' | 'qcow2', capacityBytes: number, force: boolean): Promise<void> {
    if (!force && (await this.info(url)).exists) throw alreadyExists(url, 'path');
    const opts = format === 'qcow2' ? ['-o', 'compat=1.1'] : [];
    await run(this.qemuImg, ['create', '-q', '-f', format, ...opts, '--', url, String(capacityBytes)], {
      timeout: this.timeoutMs,
      killSignal: 'SIGKILL',
    }).catch((e: unknown) => {
      throw new Error(commandError(e));
    });
  }
}

/** The useful part of a failed command: its stderr's last line, or why it was killed. */
export function commandError(e: unknown): string {
  const err = e as { stderr?: string; killed?: boolean; signal?: string; message?: string };
  if (err.killed || err.signal === 'SIGKILL') return 'no answer in time (the command was stopped)';
  const lines = (err.stderr ?? '')
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean);
  return lines[lines.length - 1] ?? err.message ?? String(e);
}
