/**
 * Removes what a lab's state file says it created, in reverse: processes (every process in the
 * host namespaces, plus recorded PIDs still matching their start time), veth links and the bridge,
 * namespaces, any stray mount under the lab directory, the subnet claim, the lab directory.
 * Works from another process after a crash; every step tolerates "already gone".
 */
import { existsSync, readdirSync, readFileSync, rmSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { alive, sameProcess, sleep, tryRun } from './exec';
import { deleteLink, deleteNetns, linkExists, netnsList, netnsPids } from './net';
import { CLAIM_DIR, LAB_ROOT, labDir, loadState, saveState, type LabState } from './state';

export interface TeardownReport {
  id: string;
  killed: number;
  ms: number;
  leftovers: string[];
}

function killAll(pids: Iterable<number>): number {
  let n = 0;
  for (const pid of pids) {
    try {
      process.kill(pid, 'SIGKILL');
      n += 1;
    } catch {
      /* already gone */
    }
  }
  return n;
}

async function waitGone(pids: number[], timeoutMs: number): Promise<number[]> {
  const deadline = Date.now() + timeoutMs;
  let left = pids.filter(alive);
  while (left.length && Date.now() < deadline) {
    await sleep(25);
    left = left.filter(alive);
  }
  return left;
}

/** Mount points (in this process's mount namespace) at or under `dir`. */
export function mountsUnder(dir: string, mountinfo = '/proc/self/mountinfo'): string[] {
  let text = '';
  try {
    text = readFileSync(mountinfo, 'utf8');
  } catch {
    return [];
  }
  const out: string[] = [];
  for (const line of text.split('\n')) {
    const target = line.split(' ')[4];
    if (target && (target === dir || target.startsWith(`${dir}/`))) out.push(target);
  }
  return out;
}

/** Processes anywhere on the machine whose command line mentions `dir` (e.g. a lab's host directories). */
export function processesMentioning(dir: string): number[] {
  const out: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const pid = Number(name);
    if (pid === process.pid) continue;
    try {
      const cmd = readFileSync(`/proc/${name}/cmdline`, 'utf8');
      if (cmd.includes(`${dir}/`) || cmd.split('\0').includes(dir)) if (alive(pid)) out.push(pid);
    } catch {
      /* exited */
    }
  }
  return out;
}

/** Everything of this lab that still exists; an empty list means the lab is fully gone. */
export async function findLeftovers(state: LabState): Promise<string[]> {
  const out: string[] = [];
  const namespaces = new Set(await netnsList());
  for (const r of state.resources) {
    if (r.kind === 'netns' && namespaces.has(r.name)) out.push(`namespace ${r.name}`);
    if (r.kind === 'link' && (await linkExists(r.name))) out.push(`link ${r.name}`);
    if (r.kind === 'process' && sameProcess(r.pid, r.start)) out.push(`process ${r.pid} (${r.label})`);
    if (r.kind === 'claim' && existsSync(r.path)) out.push(`claim ${r.path}`);
    if (r.kind === 'dir' && existsSync(r.path)) out.push(`directory ${r.path}`);
  }
  for (const m of mountsUnder(state.dir)) out.push(`mount ${m}`);
  for (const pid of processesMentioning(state.dir)) out.push(`process ${pid} (mentions ${state.dir})`);
  return out;
}

/** Tears down the lab described by `state`. */
export async function teardownState(state: LabState): Promise<TeardownReport> {
  const t0 = Date.now();
  if (existsSync(labDir(state.id))) {
    state.status = 'stopping';
    try {
      saveState(state);
    } catch {
      /* directory half-removed by an earlier attempt */
    }
  }
  const res = [...state.resources].reverse();
  const namespaces = res.flatMap((r) => (r.kind === 'netns' ? [r.name] : []));

  // 1. processes: everything inside the host namespaces (libvirtd, QEMU, agents), recorded PIDs,
  //    and anything else still running from the lab's directories.
  const victims = new Set<number>();
  for (const ns of namespaces) for (const pid of await netnsPids(ns)) victims.add(pid);
  for (const r of res) if (r.kind === 'process' && sameProcess(r.pid, r.start)) victims.add(r.pid);
  for (const pid of processesMentioning(state.dir)) victims.add(pid);
  victims.delete(process.pid);
  const killed = killAll(victims);
  let left = await waitGone([...victims], 10_000);
  if (left.length) {
    killAll(left);
    left = await waitGone(left, 5_000);
  }

  // 2. links (veths first, the bridge last, as recorded), then namespaces.
  for (const r of res) if (r.kind === 'link') await deleteLink(r.name);
  await Promise.all(namespaces.map((ns) => deleteNetns(ns)));

  // 3. stray mounts under the lab directory (host mounts live in the hosts' own mount namespaces
  //    and vanish with their processes; this only guards against an rm -rf through a mount).
  for (const m of mountsUnder(state.dir).reverse()) await tryRun(['umount', '-l', m], { timeoutMs: 10_000 });

  // 4. subnet claim and directories (only ever inside LAB_ROOT).
  for (const r of res) {
    if (r.kind === 'claim' && r.path.startsWith(`${CLAIM_DIR}/`)) rmSync(r.path, { force: true });
  }
  for (const r of res) {
    if (r.kind === 'dir' && r.path.startsWith(`${LAB_ROOT}/`) && mountsUnder(r.path).length === 0) {
      rmSync(r.path, { recursive: true, force: true, maxRetries: 3 });
    }
  }
  const leftovers = await findLeftovers(state);
  for (const pid of left) if (!leftovers.some((l) => l.startsWith(`process ${pid} `))) leftovers.push(`process ${pid} (would not die)`);
  return { id: state.id, killed, ms: Date.now() - t0, leftovers };
}

/** Tears down lab `id` from its state file; a lab directory without a readable state is just removed. */
export async function teardownId(id: string): Promise<TeardownReport> {
  const state = loadState(id);
  if (state) return teardownState(state);
  const t0 = Date.now();
  const dir = labDir(id);
  if (existsSync(dir) && mountsUnder(dir).length === 0) rmSync(dir, { recursive: true, force: true });
  removeStaleClaims();
  return { id, killed: 0, ms: Date.now() - t0, leftovers: existsSync(dir) ? [`directory ${dir}`] : [] };
}

/** Removes subnet claims whose lab directory no longer exists. */
export function removeStaleClaims(): void {
  if (!existsSync(CLAIM_DIR)) return;
  for (const f of readdirSync(CLAIM_DIR)) {
    const p = join(CLAIM_DIR, f);
    let owner = '';
    try {
      owner = readFileSync(p, 'utf8').trim();
    } catch {
      continue;
    }
    if (!owner || !existsSync(labDir(owner))) {
      try {
        unlinkSync(p);
      } catch {
        /* raced */
      }
    }
  }
}
