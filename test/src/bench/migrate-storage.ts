/**
 * `npm run bench -- migrate --storage nfs|iscsi [--runs N]`: what shared storage saves a live
 * migration. Two counter guests of the same definition (64 MiB, 1 vCPU, a 1 MiB disk image) on
 * two lab hosts:
 *
 *   shared: the disk on the lab storage host (nfs: a qcow2 file on the NFS export; iscsi: a LUN),
 *           declared shared in the storage table: `drover rmigrate` moves memory only;
 *   copy:   the disk in each host's local pool (not shared): `drover rmigrate` copies it with
 *           copy-storage (NBD) during the migration.
 *
 * Both moved with `drover rmigrate <g> <other host>` (the CLI process's wall time), alternating
 * (A B, B A, ...) and each back and forth, N runs of each after one unmeasured warm-up of each;
 * figures are medians. Last line: {"bench":"migrate-storage","storage":..,"ratio":shared/copy,...}.
 */
import { parseArgs } from 'node:util';
import { DomainMigrateFlags } from '@drover/libvirt';
import { assertCountRises, readBoots, readCounts, resetHosts, sharedStorage, virsh, type LabHost } from '../lab';
import { startLabCluster } from '../support/labcluster.js';
import type { TestCluster } from '../support/cluster.js';
import { waitFor } from '../support/procs.js';
import { addCounterGuests, whereRunning } from '../support/labguests.js';
import {
  addSharedCounterGuests,
  assertMemoryOnly,
  checkDiskCount,
  declareLabStorage,
  migrationFlags,
  type SharedDisk,
} from '../support/sharedstorage.js';
import { acquireLab, median, r2, r3, timedCli } from './util.js';

export async function run(args: string[]): Promise<void> {
  const { values } = parseArgs({
    args,
    options: {
      storage: { type: 'string' },
      runs: { type: 'string', default: '5' },
      pause: { type: 'string', default: '1500' },
    },
    strict: true,
  });
  const kind = values.storage;
  if (kind !== 'nfs' && kind !== 'iscsi') throw new Error(`migrate --storage takes nfs or iscsi (got '${kind ?? ''}')`);
  const runs = Math.max(1, Math.min(50, Number(values.runs)));
  const pauseMs = Number(values.pause);
  const { lab, release } = await acquireLab(2, 'migrate');
  const [a, b] = lab.hosts as [LabHost, LabHost];
  const shared = `bsh${kind === 'nfs' ? 'n' : 'i'}1`;
  const copied = 'bcp1';
  let c: TestCluster | undefined;
  try {
    await resetHosts(lab);
    const storage = await sharedStorage(lab);
    c = await startLabCluster(lab, { hostNames: [a.name, b.name] });
    const cl = c;
    await c.waitHostsUp(2);
    await declareLabStorage(c, lab, storage);
    // The iSCSI guest takes the last LUN (the e2e tier uses the first ones).
    const lun = Math.max(...Object.keys(storage.iscsi?.luns ?? { 1: '' }).map(Number));
    const disk: SharedDisk = (await addSharedCounterGuests(c, lab, storage, kind, [shared], a.name, { luns: [lun] })).get(shared)!;
    await addCounterGuests(c, lab, [copied], a.name, 'local');
    const at = new Map([
      [shared, a.name],
      [copied, a.name],
    ]);
    const other = (h: string): string => (h === a.name ? b.name : a.name);
    let diskCount = await checkDiskCount(lab, shared, disk);

    const move = async (g: string): Promise<{ ms: number; from: string; to: string }> => {
      const from = at.get(g)!;
      const to = other(from);
      const r = await timedCli(cl.bundles.admin, ['rmigrate', g, to]);
      if (r.code !== 0 || !new RegExp(`${g}: done ${from} -> ${to}`).test(r.stdout))
        throw new Error(`drover rmigrate ${g} failed (${r.code}): ${r.stdout}${r.stderr}`);
      at.set(g, to);
      await waitFor(`${g} on ${to}`, async () => (await whereRunning(lab, g, virsh)).join(',') === to, 30_000, 200);
      if (g === shared) diskCount = await checkDiskCount(lab, g, disk, diskCount);
      return { ms: r.ms, from, to };
    };
    const pause = (): Promise<void> => new Promise((res) => setTimeout(res, pauseMs));

    console.log(`warm-up: one move of each (not counted)`);
    await pause();
    await move(shared);
    await pause();
    await move(copied);
    const sr: number[] = [];
    const cr: number[] = [];
    const pairs: number[] = [];
    for (let i = 0; i < runs; i++) {
      const order = i % 2 === 0 ? [shared, copied] : [copied, shared];
      let s = 0;
      let k = 0;
      for (const g of order) {
        await pause();
        const x = await move(g);
        if (g === shared) sr.push((s = x.ms));
        else cr.push((k = x.ms));
        console.log(`run ${i + 1} ${g === shared ? `shared (${kind})` : 'copy-storage'} ${x.from}->${x.to}: ${(x.ms / 1000).toFixed(2)} s`);
      }
      pairs.push(s / k);
    }
    // What libvirt was asked: the copy guest's disks copied every time, the shared guest's never.
    const hosts = [a.name, b.name];
    assertMemoryOnly(cl, hosts, shared, runs + 1);
    const cf = migrationFlags(cl, hosts, copied);
    if (cf.length < runs + 1 || cf.some((f) => (f & DomainMigrateFlags.NON_SHARED_DISK) === 0))
      throw new Error(`${copied}: not every move copied its disk (flags ${cf.join(',')})`);
    for (const g of [shared, copied]) {
      assertCountRises(readCounts(lab, g), `${g} across ${runs + 1} migrations`);
      if (readBoots(lab, g) !== 1) throw new Error(`${g} booted ${readBoots(lab, g)} times`);
    }
    const sMed = median(sr);
    const cMed = median(cr);
    console.log('');
    console.log(
      `shared (${kind}) rmigrate: median ${(sMed / 1000).toFixed(2)} s over ${sr.length} runs (min ${(Math.min(...sr) / 1000).toFixed(2)}, max ${(Math.max(...sr) / 1000).toFixed(2)})`,
    );
    console.log(
      `copy-storage rmigrate: median ${(cMed / 1000).toFixed(2)} s over ${cr.length} runs (min ${(Math.min(...cr) / 1000).toFixed(2)}, max ${(Math.max(...cr) / 1000).toFixed(2)})`,
    );
    console.log(
      `ratio shared/copy-storage: ${(sMed / cMed).toFixed(2)} (median of pairwise ratios ${median(pairs).toFixed(2)}); disk count ${diskCount}, never below the console's`,
    );
    console.log(
      JSON.stringify({
        bench: 'migrate-storage',
        storage: kind,
        ratio: r2(sMed / cMed),
        pair_ratio: r2(median(pairs)),
        shared_s: r3(sMed / 1000),
        copy_s: r3(cMed / 1000),
        runs,
      }),
    );
  } finally {
    await c?.stop().catch(() => undefined);
    await resetHosts(lab).catch(() => undefined);
    await release();
  }
}
