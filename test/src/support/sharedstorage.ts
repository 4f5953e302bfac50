/**
 * Counter guests on the lab's storage host (NFS export, iSCSI LUNs) managed by drover: the
 * storage declared shared in the `storage` table, disks placed, nodes added, powered on; and the
 * checks that nothing was lost (the count each guest writes to its disk before printing it).
 */
import assert from 'node:assert/strict';
import { closeSync, copyFileSync, existsSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { DomainMigrateFlags } from '@drover/libvirt';
import { join } from 'node:path';
import { run } from '../lab/exec.js';
import { counterImage, readCount, readDiskCount, serialLogPath, type Lab, type LabStorage } from '../lab/index.js';
import type { TestCluster } from './cluster.js';
import { waitFor } from './procs.js';

export const nfsUrl = (s: LabStorage): string => s.nfs!.url;
export const iscsiTarget = (s: LabStorage): string => `iscsi://${s.iscsi!.portal}/${s.iscsi!.iqns[0]}`;

/** Declares the storage host's export and target shared by every lab host. */
export async function declareLabStorage(c: TestCluster, lab: Lab, s: LabStorage): Promise<void> {
  const hosts = lab.hosts.map((h) => h.name).join(',');
  for (const url of [...(s.nfs ? [nfsUrl(s)] : []), ...(s.iscsi ? [iscsiTarget(s)] : [])]) {
    const r = await c.cli(['chtab', `url=${url}`, 'storage.shared=1', `storage.hosts=${hosts}`]);
    if (r.code !== 0) throw new Error(`chtab storage ${url} failed: ${r.stderr}`);
  }
}

/** A guest's disk as the test reads it back: the file behind it on the storage host. */
export interface SharedDisk {
  file: string;
  format: 'qcow2' | 'raw';
}

let rawCounter: Buffer | undefined;
async function counterRaw(): Promise<Buffer> {
  if (!rawCounter) {
    const out = join(join(await counterImage(), '..'), 'counter.raw');
    await run(['qemu-img', 'convert', '-f', 'qcow2', '-O', 'raw', await counterImage(), out]);
    rawCounter = readFileSync(out);
  }
  return rawCounter;
}

/**
 * Places counter disks and adds the guests on `host`: `nfs` puts `<name>.qcow2` on the export
 * (vm.storage=nfs://ADDR/vms); `iscsi` writes the counter disk over LUN `luns[i]`
 * (vm.storage=iscsi://PORTAL/IQN/LUN, or the howto's /dev/disk/by-path name for the guests in `byPath`).
 */
export async function addSharedCounterGuests(
  c: TestCluster,
  lab: Lab,
  s: LabStorage,
  kind: 'nfs' | 'iscsi',
  names: string[],
  host: string,
  opts: { luns?: number[]; byPath?: string[] } = {},
): Promise<Map<string, SharedDisk>> {
  const disks = new Map<string, SharedDisk>();
  const storage: string[] = [];
  for (const [i, n] of names.entries()) {
    rmSync(serialLogPath(lab.sharedDir, n), { force: true });
    if (kind === 'nfs') {
      const file = join(s.nfs!.dir, `${n}.qcow2`);
      copyFileSync(await counterImage(), file);
      disks.set(n, { file, format: 'qcow2' });
      storage.push(nfsUrl(s));
    } else {
      const lun = opts.luns?.[i] ?? i + 1;
      const file = s.iscsi!.luns[lun]!;
      const fd = openSync(file, 'r+');
      try {
        writeSync(fd, await counterRaw(), 0, undefined, 0);
      } finally {
        closeSync(fd);
      }
      disks.set(n, { file, format: 'raw' });
      storage.push(
        opts.byPath?.includes(n)
          ? `/dev/disk/by-path/ip-${s.iscsi!.portal}-iscsi-${s.iscsi!.iqns[0]}-lun-${lun}`
          : `${iscsiTarget(s)}/${lun}`,
      );
    }
  }
  for (const [i, n] of names.entries()) {
    const add = await c.cli(['nodeadd', n, `vm.host=${host}`, 'vm.memory=64M', `vm.storage=${storage[i]}`, 'groups=counters']);
    if (add.code !== 0) throw new Error(`nodeadd ${n} failed: ${add.stderr}`);
  }
  const on = await c.cli(['rpower', names.join(','), 'on']);
  if (on.code !== 0) throw new Error(`rpower on failed: ${on.stderr}${on.stdout}`);
  await waitFor(`${names.join(',')} counting`, () => names.every((n) => (readCount(lab, n) ?? 0) >= 2), 90_000, 250);
  return disks;
}

/**
 * The guest's disk count against its serial console: read the console first, then the disk, and
 * the disk must hold at least that count (the guest writes before it prints) and never less than
 * the disk count seen before (`prev`). Returns the disk count.
 */
export async function checkDiskCount(lab: Lab, name: string, disk: SharedDisk, prev = 0): Promise<number> {
  const serial = readCount(lab, name) ?? 0;
  const onDisk = await readDiskCount(disk.file, disk.format);
  assert.notEqual(onDisk, null, `${name}: no count on its disk ${disk.file}`);
  assert.ok(onDisk! >= serial, `${name}: disk count ${onDisk} is below the last count on the console ${serial} (a write was lost)`);
  assert.ok(onDisk! >= prev, `${name}: disk count went back from ${prev} to ${onDisk}`);
  return onDisk!;
}

/**
 * The flags of every migration job the agents started for `guest` (their 'migration started' log
 * lines): what libvirt was really asked to do, e.g. whether it copied disks (NON_SHARED_DISK).
 */
export function migrationFlags(c: TestCluster, hosts: readonly string[], guest: string): number[] {
  const out: number[] = [];
  for (const h of hosts) {
    const file = join(c.dir, `agent-${h}.log`);
    if (!existsSync(file)) continue;
    for (const line of readFileSync(file, 'utf8').split('\n')) {
      if (!line.includes('"migration started"')) continue;
      try {
        const l = JSON.parse(line) as { msg?: string; step?: string; flags?: number };
        if (
          l.msg === 'migration started' &&
          typeof l.flags === 'number' &&
          [guest, `${guest}-retry`].includes(l.step?.split('-').slice(1).join('-') ?? '')
        )
          out.push(l.flags);
      } catch {
        // not a JSON line
      }
    }
  }
  return out;
}

/** Every migration of `guest` moved memory only: libvirt's unsafe flag for shared storage, never a disk copy. */
export function assertMemoryOnly(c: TestCluster, hosts: readonly string[], guest: string, atLeast: number): void {
  const flags = migrationFlags(c, hosts, guest);
  assert.ok(flags.length >= atLeast, `${guest}: ${flags.length} migration(s) in the agents' logs, expected ${atLeast}`);
  for (const f of flags) {
    assert.equal(f & DomainMigrateFlags.NON_SHARED_DISK, 0, `${guest}: a migration copied its disks (flags ${f})`);
    assert.equal(f & DomainMigrateFlags.UNSAFE, DomainMigrateFlags.UNSAFE, `${guest}: shared storage is passed as such (flags ${f})`);
  }
}
