/**
 * The lab's storage host: one more network namespace on the lab bridge (address .250) that plays
 * the Xen howto's headnode storage. It runs user-space servers from Debian (this machine's kernel
 * has neither an NFS server for namespaces nor an iSCSI target to spare):
 *
 * - NFS: nfs-ganesha with its VFS backend, NFSv3 over TCP (QEMU 7.2's libnfs client speaks v3),
 *   with rpcbind and ganesha's MOUNT service on fixed ports, exporting `<storage>/vms` as `/vms`
 *   (the howto's `headnode:/vms`, rw, no_root_squash);
 * - iSCSI: tgtd with one target, `iqn.2026-12.lab.drover:<id>.vms`, whose LUNs 1..N are sparse
 *   files under `<storage>/luns` (LUN 0 is tgt's controller); its access list names each lab host's
 *   address, so a test can take a LUN away from one host (`denyIscsi`).
 *
 * Every process runs inside the namespace (teardown kills them with the namespace); the state file
 * records the namespace, the link, the directory and the PIDs before or right after they exist.
 */
import { spawn } from 'node:child_process';
import { closeSync, mkdirSync, openSync, truncateSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { alive, procStartTime, run, sameProcess, waitFor } from './exec';
import { attachLab, type Lab } from './lab';
import { createNetns } from './net';
import { loadState, saveState, type LabState, type StorageState } from './state';

export const STORAGE_ANCHOR = join(__dirname, '..', '..', 'lab', 'storagehost.sh');

export type StorageKind = 'nfs' | 'iscsi';

export interface StorageHostOptions {
  kinds?: StorageKind[];
  /** LUNs of the iSCSI target (default 10), each `lunSizeMiB` (default 16) sparse. */
  luns?: number;
  lunSizeMiB?: number;
}

export interface LabStorage {
  /** The storage host's address on the lab bridge. */
  address: string;
  netns: string;
  /** Root-namespace directory of the storage host (export, LUN files, logs, configuration). */
  dir: string;
  /** veth end in the root namespace (what cutStorageLink acts on). */
  vethRoot: string;
  nfs?: {
    /** The export as clients mount it: nfs://<address><export>. */
    export: string;
    /** Where the exported files are, seen from the root namespace. */
    dir: string;
    url: string;
  };
  iscsi?: {
    /** `address:3260` */
    portal: string;
    iqns: string[];
    /** LUN number -> backing file (root namespace). */
    luns: Record<number, string>;
  };
}

const EXPORT = '/vms';
const NFS_PORT = 2049;
const MNT_PORT = 20048;

function toStorage(s: StorageState): LabStorage {
  return {
    address: s.address,
    netns: s.netns,
    dir: s.dir,
    vethRoot: s.vethRoot,
    ...(s.nfs ? { nfs: { export: EXPORT, dir: s.nfs.dir, url: `nfs://${s.address}${EXPORT}` } } : {}),
    ...(s.iscsi ? { iscsi: { portal: `${s.address}:3260`, iqns: [s.iscsi.iqn], luns: s.iscsi.luns } } : {}),
  };
}

/** The lab's storage host, if it has one. */
export function labStorage(lab: Lab): LabStorage | undefined {
  const s = loadState(lab.id)?.storage;
  return s ? toStorage(s) : undefined;
}

export function ganeshaConf(s: StorageState, exportDir: string): string {
  return `# drover lab storage host: NFSv3 for QEMU's libnfs client (generated)
NFS_CORE_PARAM {
  Protocols = 3;
  NFS_Port = ${NFS_PORT};
  MNT_Port = ${MNT_PORT};
  Bind_addr = ${s.address};
  Enable_NLM = false;
  Enable_RQUOTA = false;
  Mount_Path_Pseudo = true;
}
NFSV4 {
  Graceless = true;
  RecoveryRoot = "${join(s.dir, 'ganesha-recovery')}";
}
EXPORT {
  Export_Id = 1;
  Path = "${exportDir}";
  Pseudo = "${EXPORT}";
  Protocols = 3;
  Transports = TCP;
  Access_Type = RW;
  Squash = No_Root_Squash;
  SecType = sys;
  FSAL { Name = VFS; }
}
LOG { Default_Log_Level = EVENT; }
`;
}

function nsenter(anchor: number, argv: readonly string[]): string[] {
  return ['nsenter', '-t', String(anchor), '-m', '-n', ...argv];
}

function record(state: LabState, pid: number, label: string): number | undefined {
  const start = procStartTime(pid) ?? undefined;
  state.resources.push({ kind: 'process', pid, ...(start !== undefined ? { start } : {}), label });
  saveState(state);
  return start;
}

function spawnDetached(argv: readonly string[], logFile: string): number {
  const out = openSync(logFile, 'a');
  try {
    const [file, ...args] = argv;
    const child = spawn(file!, args, { detached: true, stdio: ['ignore', out, out] });
    child.on('error', () => undefined);
    child.unref();
    if (child.pid === undefined) throw new Error(`lab: could not start ${argv.join(' ')}`);
    return child.pid;
  } finally {
    closeSync(out);
  }
}

function mustState(lab: Lab): { state: LabState; s: StorageState } {
  const state = loadState(lab.id);
  if (!state?.storage) throw new Error(`lab: lab '${lab.id}' has no storage host (start it with --storage nfs,iscsi)`);
  return { state, s: state.storage };
}

/** Starts the NFS server (ganesha) inside the storage host and waits until its MOUNT service answers. */
export async function startNfsServer(lab: Lab): Promise<void> {
  const { state, s } = mustState(lab);
  if (!s.nfs) throw new Error(`lab: the storage host of '${lab.id}' serves no NFS`);
  if (s.nfs.pid && sameProcess(s.nfs.pid, s.nfs.pidStart)) throw new Error('lab: the NFS server is already running');
  const pid = spawnDetached(
    nsenter(s.anchorPid, [
      'ganesha.nfsd',
      '-F',
      '-f',
      join(s.dir, 'ganesha.conf'),
      '-L',
      join(s.dir, 'log', 'ganesha.log'),
      '-p',
      '/run/ganesha/ganesha.pid',
    ]),
    join(s.dir, 'log', 'ganesha.stdout'),
  );
  s.nfs.pid = pid;
  const start = record(state, pid, 'ganesha.nfsd (lab storage)');
  if (start !== undefined) s.nfs.pidStart = start;
  else delete s.nfs.pidStart;
  saveState(state);
  await waitFor(
    'the NFS server to register with rpcbind',
    30_000,
    async () => {
      if (!alive(pid)) throw new Error(`ganesha.nfsd exited; see ${join(s.dir, 'log', 'ganesha.log')}`);
      const r = await run(nsenter(s.anchorPid, ['rpcinfo', '-p', '127.0.0.1']), { timeoutMs: 5000 });
      return /\s100005\s+3\s+tcp\s+20048\s/.test(r.stdout) && /\s100003\s+3\s+tcp\s+2049\s/.test(r.stdout);
    },
    100,
  );
}

/** Kills the NFS server (SIGKILL: as a crash; NFSv3 keeps no state a client would lose). */
export async function stopNfsServer(lab: Lab): Promise<void> {
  const { state, s } = mustState(lab);
  const pid = s.nfs?.pid;
  if (!pid || !sameProcess(pid, s.nfs?.pidStart)) return;
  process.kill(pid, 'SIGKILL');
  await waitFor(`ganesha ${pid} to exit`, 10_000, () => !alive(pid), 20);
  delete s.nfs!.pid;
  delete s.nfs!.pidStart;
  saveState(state);
}

/** Runs tgtadm inside the storage host. */
export async function tgtadm(lab: Lab, args: readonly string[]): Promise<string> {
  const { s } = mustState(lab);
  return (await run(nsenter(s.anchorPid, ['tgtadm', '--lld', 'iscsi', ...args]), { timeoutMs: 15_000 })).stdout;
}

/** Takes the target away from one lab host (its address leaves the access list): it sees no LUN. */
export async function denyIscsi(lab: Lab, hostIp: string): Promise<void> {
  await tgtadm(lab, ['--op', 'unbind', '--mode', 'target', '--tid', '1', '-I', hostIp]);
}

export async function allowIscsi(lab: Lab, hostIp: string): Promise<void> {
  await tgtadm(lab, ['--op', 'bind', '--mode', 'target', '--tid', '1', '-I', hostIp]);
}

async function startIscsiServer(lab: Lab, luns: number, lunSizeMiB: number): Promise<void> {
  const { state, s } = mustState(lab);
  const iscsi = s.iscsi!;
  const pid = spawnDetached(nsenter(s.anchorPid, ['tgtd', '-f']), join(s.dir, 'log', 'tgtd.log'));
  iscsi.pid = pid;
  const start = record(state, pid, 'tgtd (lab storage)');
  if (start !== undefined) iscsi.pidStart = start;
  saveState(state);
  await waitFor(
    'tgtd to answer',
    20_000,
    async () => {
      if (!alive(pid)) throw new Error(`tgtd exited; see ${join(s.dir, 'log', 'tgtd.log')}`);
      await tgtadm(lab, ['--op', 'show', '--mode', 'sys']);
      return true;
    },
    50,
  );
  await tgtadm(lab, ['--op', 'new', '--mode', 'target', '--tid', '1', '-T', iscsi.iqn]);
  for (let n = 1; n <= luns; n += 1) {
    const file = join(s.dir, 'luns', `lun${n}.img`);
    writeFileSync(file, '');
    truncateSync(file, lunSizeMiB * 1024 * 1024);
    iscsi.luns[n] = file;
    await tgtadm(lab, ['--op', 'new', '--mode', 'logicalunit', '--tid', '1', '--lun', String(n), '-b', file]);
  }
  saveState(state);
  for (const h of lab.hosts) await allowIscsi(lab, h.ip);
}

/**
 * Adds the storage host to a running lab (idempotent: a lab that has one gets it back). `kinds`
 * says which servers run; both by default.
 */
export async function startStorageHost(lab: Lab, opts: StorageHostOptions = {}): Promise<LabStorage> {
  const existing = labStorage(lab);
  if (existing) return existing;
  const kinds = opts.kinds ?? ['nfs', 'iscsi'];
  const state = loadState(lab.id);
  if (!state) throw new Error(`lab: lab '${lab.id}' is gone`);
  const octet = state.bridgeIp.split('.')[2];
  const dir = join(state.dir, 'storage');
  const s: StorageState = {
    address: `10.77.${octet}.250`,
    netns: `drover-lab-${state.id}-s`,
    vethRoot: `drl${state.id}s`,
    dir,
    anchorPid: 0,
  };
  state.storage = s;
  state.resources.push({ kind: 'netns', name: s.netns });
  state.resources.push({ kind: 'link', name: s.vethRoot });
  saveState(state);
  for (const d of ['vms', 'luns', 'log', 'ganesha-recovery']) mkdirSync(join(dir, d), { recursive: true });
  await createNetns(s.netns);
  await run(['ip', 'link', 'add', 'name', s.vethRoot, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', s.netns]);
  await run(['ip', 'link', 'set', 'dev', s.vethRoot, 'master', state.bridge, 'up']);
  await run(['ip', '-n', s.netns, 'addr', 'add', `${s.address}/24`, 'dev', 'eth0']);
  await run(['ip', '-n', s.netns, 'link', 'set', 'dev', 'eth0', 'up']);
  await run(['ip', '-n', s.netns, 'link', 'set', 'dev', 'lo', 'up']);
  const anchor = spawnDetached(['ip', 'netns', 'exec', s.netns, '/bin/sh', STORAGE_ANCHOR, dir], join(dir, 'log', 'rpcbind.log'));
  s.anchorPid = anchor;
  record(state, anchor, 'rpcbind (lab storage anchor)');
  await waitFor(
    'the storage host rpcbind',
    20_000,
    async () => {
      if (!alive(anchor)) throw new Error(`the storage host's rpcbind exited; see ${join(dir, 'log', 'rpcbind.log')}`);
      await run(nsenter(anchor, ['rpcinfo', '-p', '127.0.0.1']), { timeoutMs: 5000 });
      return true;
    },
    50,
  );
  if (kinds.includes('nfs')) {
    s.nfs = { dir: join(dir, 'vms') };
    writeFileSync(join(dir, 'ganesha.conf'), ganeshaConf(s, s.nfs.dir));
    saveState(state);
    await startNfsServer(lab);
  }
  if (kinds.includes('iscsi')) {
    // startNfsServer saved its own additions: continue from the file, not from this copy.
    const now = loadState(lab.id)!;
    now.storage!.iscsi = { iqn: `iqn.2026-12.lab.drover:${state.id}.vms`, luns: {} };
    saveState(now);
    await startIscsiServer(lab, opts.luns ?? 10, opts.lunSizeMiB ?? 16);
  }
  return toStorage(loadState(lab.id)!.storage!);
}

/** The storage host of the e2e tier's lab, started on first use (it lives as long as the lab). */
export async function sharedStorage(lab: Lab): Promise<LabStorage> {
  return labStorage(lab) ?? startStorageHost(attachLab(lab.id));
}

/** Takes the storage host's link down (root-namespace veth end) / up again. */
export async function cutStorageLink(lab: Lab): Promise<void> {
  const { s } = mustState(lab);
  await run(['ip', 'link', 'set', 'dev', s.vethRoot, 'down']);
}

export async function restoreStorageLink(lab: Lab): Promise<void> {
  const { state, s } = mustState(lab);
  await run(['ip', 'link', 'set', 'dev', s.vethRoot, 'master', state.bridge, 'up']);
}

/** The file behind LUN `n`, seen from the root namespace. */
export function lunFile(storage: LabStorage, n: number): string {
  const f = storage.iscsi?.luns[n];
  if (!f || !existsSync(f)) throw new Error(`lab: the storage host has no LUN ${n}`);
  return f;
}
