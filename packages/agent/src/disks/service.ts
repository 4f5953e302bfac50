/** CreateDisks, ListDisks, DeleteDisks; and the disk store shared with DefineGuest/UndefineGuest. */
import * as grpc from '@grpc/grpc-js';
import {
  DroverError,
  invalidArgument,
  type CreateDisksRequest__Output,
  type DeleteDisksRequest__Output,
  type Disk__Output,
  type DiskInfo,
  type DiskList,
  type ListDisksRequest__Output,
} from '@drover/contract';
import type { Connection } from '@drover/libvirt';
import { alreadyExists, FileDiskStore, LibvirtDiskStore, QemuNfsStore, type DiskStore } from './store.js';
import { parseDomainXml } from '../domain/index.js';
import { checkPathAllowed } from './paths.js';
import { allowedRoots, resolveDisks, type ResolvedDisk } from './resolve.js';
import { handle, lookupGuest, type ServiceDeps } from '../service/context.js';

const stores = new WeakMap<Connection, DiskStore>();

/** The disk store for the current connection (files on the test driver when backend is auto). */
export async function diskStore(deps: ServiceDeps): Promise<DiskStore> {
  const conn = deps.lv.conn();
  let s = stores.get(conn);
  if (!s) {
    const backend = deps.cfg.storage.backend;
    const files = backend === 'files' || (backend === 'auto' && (await conn.type()) === 'TEST');
    s = files ? new FileDiskStore(deps.cfg.storage.qemuImg) : new LibvirtDiskStore(() => deps.lv.conn());
    stores.set(conn, s);
  }
  return s;
}

export function diskOut(d: ResolvedDisk): Disk__Output {
  return { ...d.disk, path: d.path ?? d.device ?? (d.network ? QemuNfsStore.url(d.network.server, d.network.name) : ''), format: d.format };
}

/**
 * Disk files on NFS exports this host reaches through QEMU's client (no kernel mount): made with
 * qemu-img over nfs://, existence checks first, so a refusal leaves the export unchanged.
 */
async function createNfsDisks(
  deps: ServiceDeps,
  disks: readonly ResolvedDisk[],
  force: boolean,
  prefix: string,
  opts: { missingOnly?: boolean },
): Promise<ResolvedDisk[]> {
  const nfs = new QemuNfsStore(deps.cfg.storage.qemuImg);
  const sized = disks.map((d, i) => [d, i] as const).filter(([d]) => d.network && d.sizeBytes > 0);
  const todo: ResolvedDisk[] = [];
  for (const [d, i] of sized) {
    const url = QemuNfsStore.url(d.network!.server, d.network!.name);
    let exists: boolean;
    try {
      exists = (await nfs.info(url)).exists;
    } catch (e) {
      throw new DroverError(
        'STORAGE_UNREACHABLE',
        `${prefix}[${i}]: ${deps.cfg.host} cannot reach ${d.storage ?? url}: ${(e as Error).message}`,
        {
          status: grpc.status.FAILED_PRECONDITION,
          host: deps.cfg.host,
        },
      );
    }
    if (exists && opts.missingOnly) continue;
    if (exists && !force) throw alreadyExists(url, `${prefix}[${i}].path`);
    todo.push(d);
  }
  for (const d of todo) {
    await nfs.create(QemuNfsStore.url(d.network!.server, d.network!.name), d.format, d.sizeBytes, true);
  }
  return todo;
}

/** Creates every sized disk; all existence checks come first, so a refusal leaves the host unchanged. */
export async function createDisks(
  deps: ServiceDeps,
  disks: readonly ResolvedDisk[],
  force: boolean,
  prefix: string,
  opts: { missingOnly?: boolean } = {},
): Promise<Disk__Output[]> {
  const store = await diskStore(deps);
  const madeOnNfs = await createNfsDisks(deps, disks, force, prefix, opts);
  let todo = disks.filter((d) => d.path !== undefined && d.sizeBytes > 0);
  if (opts.missingOnly) {
    // Defining a guest creates the disks it lacks and uses the ones that exist (never overwriting).
    const missing: ResolvedDisk[] = [];
    for (const d of todo) if (!(await store.info(d.path!)).exists) missing.push(d);
    todo = missing;
  } else if (!force) {
    for (const [i, d] of disks.entries()) {
      if (d.path !== undefined && d.sizeBytes > 0 && (await store.info(d.path)).exists) {
        throw alreadyExists(d.path, `${prefix}[${i}].path`);
      }
    }
  }
  const created: Disk__Output[] = madeOnNfs.map(diskOut);
  for (const d of todo) {
    await store.create({ path: d.path!, format: d.format, capacityBytes: d.sizeBytes, pool: d.pool, volumeName: d.volumeName }, force);
    created.push(diskOut(d));
  }
  return created;
}

async function infoOf(store: DiskStore, d: Disk__Output): Promise<DiskInfo> {
  if (!d.path || d.path.startsWith('/dev/')) return { disk: d, exists: false, capacityBytes: 0, allocationBytes: 0 };
  const s = await store.info(d.path);
  return { disk: d, exists: s.exists, capacityBytes: s.capacityBytes, allocationBytes: s.allocationBytes };
}

/** The disks of a defined guest, from its XML (file disks with a path). */
export async function guestDisks(deps: ServiceDeps, name: string): Promise<Disk__Output[]> {
  const dom = await lookupGuest(deps, deps.lv.conn(), name);
  const info = parseDomainXml(await dom.getXMLDesc());
  return info.disks
    .filter((d) => d.kind === 'disk')
    .map((d) => ({
      url: '',
      path: d.path ?? d.device ?? '',
      format: d.format ?? '',
      sizeBytes: 0,
      target: d.target ?? '',
      bus: d.bus ?? '',
      shared: false,
    }));
}

export function diskHandlers(deps: ServiceDeps) {
  return {
    CreateDisks: (call: grpc.ServerUnaryCall<CreateDisksRequest__Output, DiskList>) =>
      handle(deps, 'CreateDisks', call.request, async () => {
        const r = call.request;
        if (r.disks.length === 0) throw invalidArgument('disks: at least one disk');
        const resolved = resolveDisks(deps.cfg, r.guest || 'disk', r.disks, 'disks');
        resolved.forEach((d, i) => {
          if (d.path === undefined) throw invalidArgument(`disks[${i}].path: ${d.device} is a device; drover creates image files only`);
          if (d.sizeBytes <= 0) throw invalidArgument(`disks[${i}].size_bytes: a new disk needs a size above zero`);
        });
        await createDisks(deps, resolved, r.force, 'disks');
        const store = await diskStore(deps);
        return { disks: await Promise.all(resolved.map((d) => infoOf(store, diskOut(d)))) };
      }),

    ListDisks: (call: grpc.ServerUnaryCall<ListDisksRequest__Output, DiskList>) =>
      handle(deps, 'ListDisks', call.request.guest ? call.request : { host: call.request.host }, async () => {
        const r = call.request;
        if (!r.guest) throw invalidArgument('guest: required');
        const store = await diskStore(deps);
        return { disks: await Promise.all((await guestDisks(deps, r.guest)).map((d) => infoOf(store, d))) };
      }),

    DeleteDisks: (call: grpc.ServerUnaryCall<DeleteDisksRequest__Output, DiskList>) =>
      handle(deps, 'DeleteDisks', call.request.guest ? call.request : { host: call.request.host }, async () => {
        const r = call.request;
        const disks = r.disks.length
          ? resolveDisks(deps.cfg, r.guest || 'disk', r.disks, 'disks').map(diskOut)
          : r.guest
            ? await guestDisks(deps, r.guest)
            : [];
        if (disks.length === 0) throw invalidArgument('disks: name the disks, or a guest whose disks to delete');
        return { disks: await deleteDisks(deps, disks, 'disks') };
      }),
  };
}

/** Deletes file disks (each checked against the allowed roots first); returns what was there. */
export async function deleteDisks(deps: ServiceDeps, disks: readonly Disk__Output[], prefix: string): Promise<DiskInfo[]> {
  const roots = allowedRoots(deps.cfg);
  const files = disks.filter((d) => d.path && !d.path.startsWith('/dev/'));
  files.forEach((d, i) => {
    try {
      checkPathAllowed(d.path, roots);
    } catch (e) {
      throw invalidArgument(`${prefix}[${i}].path: ${(e as Error).message}`);
    }
  });
  const store = await diskStore(deps);
  const out: DiskInfo[] = [];
  for (const d of files) {
    const before = await store.info(d.path);
    const removed = await store.remove(d.path);
    out.push({ disk: d, exists: removed, capacityBytes: before.capacityBytes, allocationBytes: before.allocationBytes });
  }
  return out;
}
