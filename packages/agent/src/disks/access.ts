/**
 * Making a guest's disks usable on this host, and checking live that they are: before a guest is
 * defined here and when it is about to migrate here (the destination's prepare step).
 *
 * | disk                    | made usable by                                | live check                              |
 * |-------------------------|-----------------------------------------------|-----------------------------------------|
 * | dir, file, lvm          | the pool (defined, built, started)             | the pool starts                         |
 * | nfs, kernel client      | the netfs pool (mounted by libvirt)            | the pool starts and the disk file exists |
 * | nfs, QEMU's client      | nothing (QEMU opens nfs://SERVER/PATH itself)  | qemu-img reads the disk over NFS        |
 * | iscsi, kernel initiator | iscsiadm discovery and login                   | /dev/disk/by-path/... exists            |
 * | iscsi, iscsi-direct     | the target's pool (defined, started)           | a refresh logs in and lists the LUN     |
 *
 * A failed check is a FAILED_PRECONDITION naming this host, the storage and the guest; nothing
 * has been started on the guest's behalf by then.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { promisify } from 'node:util';
import * as grpc from '@grpc/grpc-js';
import { DroverError } from '@drover/contract';
import { ErrorNumber, LibvirtError, type Connection } from '@drover/libvirt';
import { hostCommandsFor } from './host.js';
import type { ResolvedDisk } from './resolve.js';
import { LibvirtDiskStore, QemuNfsStore, commandError } from './store.js';

const execFileP = promisify(execFile);

/** Runs a host command (argv, never a shell); resolves to stdout, rejects with the command's error. */
export type Exec = (argv: readonly string[], timeoutMs: number) => Promise<string>;

export const hostExec: Exec = async (argv, timeoutMs) => {
  const [cmd, ...args] = argv;
  const { stdout } = await execFileP(cmd!, args, { timeout: timeoutMs, killSignal: 'SIGKILL' });
  return stdout;
};

export interface AccessDeps {
  host: string;
  conn: () => Connection;
  qemuImg: string;
  exec?: Exec;
  /** Per check (a pool start, a refresh, a qemu-img call, a login). */
  timeoutMs?: number;
}

/** iscsiadm's exit code for "session already exists" (open-iscsi's ISCSI_ERR_SESS_EXISTS). */
const ISCSI_ERR_SESS_EXISTS = 15;

function unreachable(deps: AccessDeps, guest: string, d: ResolvedDisk, i: number, detail: string): DroverError {
  const where = d.storage ?? d.path ?? d.device ?? '';
  return new DroverError(
    'STORAGE_UNREACHABLE',
    `${deps.host} cannot reach ${where} for ${guest}'s disk ${i} (${diskWhere(d)}): ${detail}`,
    {
      status: grpc.status.FAILED_PRECONDITION,
      host: deps.host,
      node: guest,
      hint: `check that ${deps.host} reaches ${where} (network, export or target access list), or move ${guest} elsewhere`,
    },
  );
}

/** The disk as this host names it: file, device, nfs:// URL or pool volume. */
export function diskWhere(d: ResolvedDisk): string {
  if (d.network) return QemuNfsStore.url(d.network.server, d.network.name);
  if (d.volume !== undefined) return `volume ${d.volume} of pool ${d.pool?.name ?? '?'}`;
  return d.path ?? d.device ?? '';
}

async function within<T>(what: string, ms: number, p: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      p,
      new Promise<never>((_, rej) => {
        timer = setTimeout(() => rej(new Error(`${what}: no answer within ${ms} ms`)), ms);
      }),
    ]);
  } finally {
    if (timer) clearTimeout(timer);
  }
}

/**
 * Makes every disk of `guest` usable here (pools, logins) and, with `live`, checks that each one
 * answers now. Returns one line per thing prepared, for logs and the prepare response.
 */
export async function ensureDiskAccess(
  deps: AccessDeps,
  guest: string,
  disks: readonly ResolvedDisk[],
  opts: { live: boolean },
): Promise<string[]> {
  const ms = deps.timeoutMs ?? 15_000;
  const exec = deps.exec ?? hostExec;
  const store = new LibvirtDiskStore(deps.conn);
  const nfs = new QemuNfsStore(deps.qemuImg, ms);
  const done: string[] = [];
  const pools = new Set<string>();
  for (const [i, d] of disks.entries()) {
    const fail = (detail: string): never => {
      throw unreachable(deps, guest, d, i, detail);
    };
    if (d.network) {
      if (!opts.live) continue;
      const url = QemuNfsStore.url(d.network.server, d.network.name);
      const st = await nfs.info(url).catch((e: Error) => fail(e.message));
      if (!st.exists) fail(`${url} does not exist on the export`);
      done.push(`nfs ${url} readable`);
      continue;
    }
    if (d.storage?.startsWith('iscsi://') && d.device !== undefined) {
      // Kernel initiator: log in to the target (again: a no-op when the session exists), then the LUN's device.
      const target = d.storage.slice('iscsi://'.length);
      const cut = target.indexOf('/');
      const steps = hostCommandsFor({ kind: 'iscsi', portal: target.slice(0, cut), iqn: target.slice(cut + 1) }, { nfsMountBase: '/' });
      for (const st of steps.slice(0, 2)) {
        if (st.op !== 'exec') continue;
        await exec(st.argv, ms).catch((e: unknown) => {
          if ((e as { code?: unknown }).code === ISCSI_ERR_SESS_EXISTS) return '';
          return fail(`${st.argv.join(' ')}: ${commandError(e)}`);
        });
      }
      if (!existsSync(d.device)) fail(`${d.device} did not appear after the login`);
      done.push(`iscsi ${d.device}`);
      continue;
    }
    if (!d.pool) continue;
    if (!pools.has(d.pool.name)) {
      pools.add(d.pool.name);
      if (d.pool.kind === 'dir') mkdirSync(d.pool.targetPath, { recursive: true });
      const p = await within(`pool ${d.pool.name}`, ms, store.ensurePool(d.pool)).catch((e: Error) => fail(e.message));
      if (opts.live && d.pool.kind === 'iscsi-direct')
        await within(`refresh of pool ${d.pool.name}`, ms, p.refresh()).catch((e: Error) => fail(e.message));
      done.push(`pool ${d.pool.name}${d.pool.targetPath ? ` (${d.pool.targetPath})` : ''}`);
    }
    if (!opts.live) continue;
    const volume = d.volume;
    if (volume !== undefined) {
      const pool = await deps.conn().lookupStoragePoolByName(d.pool.name);
      await within(`LUN ${volume}`, ms, pool.lookupVolumeByName(volume)).catch((e: Error) =>
        fail(
          e instanceof LibvirtError && e.code === ErrorNumber.NO_STORAGE_VOL
            ? `the target shows no LUN ${volume.replace(/^unit:0:0:/, '')} to this host`
            : e.message,
        ),
      );
      done.push(`iscsi ${volume} of ${d.pool.name}`);
    } else if (d.pool.kind === 'netfs' && d.path !== undefined && !existsSync(d.path)) {
      fail(`${d.path} does not exist on the mounted export`);
    }
  }
  return done;
}
