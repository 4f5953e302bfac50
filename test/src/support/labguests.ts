/** Counter guests managed by drover on lab hosts: disk images placed, nodes added, powered on. */
import { copyFileSync, mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { counterImage, getSharedLab, readCount, resetHosts, serialLogPath, type Lab } from '../lab/index.js';
import { startLabCluster } from './labcluster.js';
import type { TestCluster } from './cluster.js';
import { waitFor } from './procs.js';
import { Connection, DomainJobType } from '@drover/libvirt';

export const sharedDisks = (lab: Lab): string => join(lab.sharedDir, 'disks');
export const localDisks = (lab: Lab): string => join(lab.localDir, 'disks');

/** Declares the lab's shared directory as shared storage reachable by every host. */
export async function declareSharedStorage(c: TestCluster, lab: Lab): Promise<void> {
  mkdirSync(sharedDisks(lab), { recursive: true });
  const r = await c.cli([
    'chtab',
    `url=dir://${sharedDisks(lab)}`,
    'storage.shared=1',
    `storage.hosts=${lab.hosts.map((h) => h.name).join(',')}`,
  ]);
  if (r.code !== 0) throw new Error(`chtab storage failed: ${r.stderr}`);
}

/** Adds counter guests on `host` with their disk on shared or host-local storage, and starts them. */
export async function addCounterGuests(
  c: TestCluster,
  lab: Lab,
  names: string[],
  host: string,
  disk: 'shared' | 'local' = 'shared',
): Promise<void> {
  const image = await counterImage();
  const h = lab.hosts.find((x) => x.name === host)!;
  const dir = disk === 'shared' ? sharedDisks(lab) : join(h.localBacking, 'disks');
  mkdirSync(dir, { recursive: true });
  for (const n of names) {
    copyFileSync(image, join(dir, `${n}.qcow2`));
    // A name reused by an earlier run (or a retried test file) must not inherit its serial log:
    // the counts read back would seem to restart.
    rmSync(serialLogPath(lab.sharedDir, n), { force: true });
  }
  const url = `dir://${disk === 'shared' ? sharedDisks(lab) : localDisks(lab)}`;
  const add = await c.cli(['nodeadd', names.join(','), `vm.host=${host}`, 'vm.memory=64M', `vm.storage=${url}`, 'groups=counters']);
  if (add.code !== 0) throw new Error(`nodeadd failed: ${add.stderr}`);
  const on = await c.cli(['rpower', names.join(','), 'on']);
  if (on.code !== 0) throw new Error(`rpower on failed: ${on.stderr}${on.stdout}`);
  await waitFor(`${names.join(',')} counting`, () => names.every((n) => (readCount(lab, n) ?? 0) >= 2), 60_000, 250);
}

/** Where a guest runs, asked of every lab host's libvirtd directly (not of drover). */
export async function whereRunning(
  lab: Lab,
  name: string,
  virsh: (h: Lab['hosts'][number], args: string[]) => Promise<string>,
): Promise<string[]> {
  const out: string[] = [];
  for (const h of lab.hosts) {
    const list = (await virsh(h, ['list', '--name', '--state-running'])).split('\n').map((s) => s.trim());
    if (list.includes(name)) out.push(h.name);
  }
  return out;
}

/**
 * The usual start of an end-to-end file: the run's shared lab with its guests cleared, a drover
 * cluster on it with every host up and libvirt reachable, and the shared directory declared.
 */
export async function droverOnSharedLab(opts: Parameters<typeof startLabCluster>[1] = {}): Promise<{ lab: Lab; c: TestCluster }> {
  const lab = await getSharedLab();
  await resetHosts(lab);
  const c = await startLabCluster(lab, opts);
  await c.waitHostsUp(lab.hosts.length);
  await declareSharedStorage(c, lab);
  return { lab, c };
}

/**
 * Moves still going, after up to `graceMs` for them to end: operations drover-server runs, and
 * libvirt jobs on the lab hosts' domains (asked of each libvirtd, not of drover). Empty when none.
 */
export async function movesLeft(c: TestCluster, lab: Lab, graceMs = 15_000): Promise<string[]> {
  const look = async (): Promise<string[]> => {
    const ops = await c.cliJson<{ id: string; kind: string; state: string }[]>(['ops', 'list']);
    const left = ops.filter((o) => o.state === 'running').map((o) => `operation ${o.id} (${o.kind}) still running`);
    for (const h of lab.hosts) {
      const conn = await Connection.open(h.uri);
      try {
        for (const d of await conn.listAllDomains()) {
          const ji = await d.jobInfo().catch(() => undefined);
          if (ji && (ji.type === DomainJobType.BOUNDED || ji.type === DomainJobType.UNBOUNDED))
            left.push(`${d.name} on ${h.name}: a libvirt job runs`);
        }
      } finally {
        await conn.close();
      }
    }
    return left;
  };
  let left = await look();
  for (const end = Date.now() + graceMs; left.length && Date.now() < end; left = await look())
    await new Promise((r) => setTimeout(r, 1000));
  return left;
}

/** Cancels every running operation (each `ops cancel` waits for its operation to end). */
export async function cancelRunningOps(c: TestCluster): Promise<void> {
  const ops = await c.cliJson<{ id: string; state: string }[]>(['ops', 'list']);
  for (const o of ops.filter((x) => x.state === 'running')) await c.cli(['ops', 'cancel', o.id]);
}
