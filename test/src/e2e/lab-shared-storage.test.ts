/**
 * Guests on real shared storage, moved live by drover: the lab's storage host serves an NFS export
 * (nfs-ganesha) and iSCSI LUNs (tgtd); the lab hosts reach them with QEMU's and libvirt's
 * user-space clients (this kernel has neither an NFS client nor an iSCSI initiator). Counter
 * guests write their count to their disk before printing it, so after every move the disk holds
 * at least the last count seen on the console, and never less than before.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import {
  resetHosts,
  virsh,
  readCounts,
  readCount,
  readBoots,
  assertCountRises,
  sharedStorage,
  stopNfsServer,
  startNfsServer,
  cutStorageLink,
  restoreStorageLink,
  denyIscsi,
  allowIscsi,
  domState,
  spawnInHost,
  type Lab,
  type LabHost,
  type LabStorage,
} from '../lab/index.js';
import type { TestCluster } from '../support/cluster.js';
import { BIN, cleanupDir, tempDir, waitFor } from '../support/procs.js';
import { droverOnSharedLab, whereRunning } from '../support/labguests.js';
import {
  addSharedCounterGuests,
  assertMemoryOnly,
  checkDiskCount,
  declareLabStorage,
  iscsiTarget,
  type SharedDisk,
} from '../support/sharedstorage.js';

let lab: Lab;
let c: TestCluster;
let storage: LabStorage;
const disks = new Map<string, SharedDisk>();
const diskSeen = new Map<string, number>();

before(async () => {
  ({ lab, c } = await droverOnSharedLab());
  storage = await sharedStorage(lab);
  await declareLabStorage(c, lab, storage);
});
after(async () => {
  await c?.stop();
  if (lab) await resetHosts(lab);
  for (const d of disks.values()) if (d.format === 'qcow2') rmSync(d.file, { force: true });
});

async function vmHost(node: string): Promise<string> {
  const r = await c.cli(['nodels', node, 'vm.host']);
  return r.stdout.trim().split(': ').pop() ?? '';
}

/** Where the guest runs per the hosts' libvirtd, vm.host agreeing, one boot, counts rising on console and disk. */
async function checkGuest(name: string, allowed: string[]): Promise<string> {
  const where = await whereRunning(lab, name, virsh);
  assert.equal(where.length, 1, `${name} runs on exactly one host: ${where.join(',')}`);
  assert.ok(allowed.includes(where[0]!), `${name} runs on ${where[0]}, expected one of ${allowed.join(',')}`);
  assert.equal(await vmHost(name), where[0], `${name}: vm.host agrees with libvirt`);
  const before = readCount(lab, name) ?? 0;
  await waitFor(`${name} counting on ${where[0]}`, () => (readCount(lab, name) ?? 0) > before + 2, 30_000, 200);
  assertCountRises(readCounts(lab, name), `${name} whole history`);
  assert.equal(readBoots(lab, name), 1, `${name} booted once`);
  diskSeen.set(name, await checkDiskCount(lab, name, disks.get(name)!, diskSeen.get(name) ?? 0));
  return where[0]!;
}

/** drover-agent setup-hypervisor run inside a lab host (its namespace, its libvirtd), as on a real hypervisor. */
async function setupHypervisor(host: LabHost, config: string): Promise<{ code: number; out: string }> {
  const p = spawnInHost(host, [process.execPath, BIN.agent, '--config', config, 'setup-hypervisor'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  p.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  p.stderr?.on('data', (d: Buffer) => (out += d.toString()));
  const code = await new Promise<number>((res) => p.on('exit', (c) => res(c ?? 1)));
  return { code, out };
}

test(
  'setup-hypervisor - NFS and iSCSI settings against the lab storage host take the user-space path (no kernel clients here); a second run changes nothing',
  { timeout: 120_000 },
  async () => {
    const host = lab.hosts[2]!;
    const dir = tempDir('drover-setup-storage-');
    try {
      const config = join(dir, 'agent.yaml');
      writeFileSync(
        config,
        stringify({
          host: host.name,
          tls: { ca: 'ca.pem', cert: 'agent.pem', key: 'agent-key.pem' },
          nats: { url: 'nats://127.0.0.1:4222', seedFile: 'nats.seed' },
          setup: {
            storage: storage.nfs!.url,
            iscsi: [{ portal: storage.iscsi!.portal, iqn: storage.iscsi!.iqns[0]! }],
            // only this file is written outside the lab host's own libvirtd
            systemd: { unitPath: join(dir, 'drover-agent.service') },
          },
        }),
      );
      // A fresh host: no drover pool left from an earlier run on this lab.
      for (const name of (await virsh(host, ['pool-list', '--all', '--name'])).split('\n').map((x) => x.trim())) {
        if (!name.startsWith('drover-iscsi-')) continue;
        await virsh(host, ['pool-destroy', name]).catch(() => undefined);
        await virsh(host, ['pool-undefine', name]);
      }
      const first = await setupHypervisor(host, config);
      assert.equal(first.code, 0, first.out);
      assert.match(first.out, new RegExp(`run: nfs-ls ${storage.nfs!.url.replace(/[.]/g, '\\.')}`));
      assert.match(first.out, /libvirt pool drover-iscsi-\S+: defined, autostart on, started/);
      assert.doesNotMatch(first.out, /iscsiadm|mount |fstab/, 'no kernel client commands');
      const pool = /libvirt pool (\S+): defined/.exec(first.out)![1]!;
      // libvirt on node03 logged in: the pool lists the target's LUNs
      const vols = await virsh(host, ['vol-list', pool]);
      assert.match(vols, /unit:0:0:1\s/);
      assert.match(await virsh(host, ['pool-info', pool]), /Autostart:\s+yes/);
      const second = await setupHypervisor(host, config);
      assert.equal(second.code, 0, second.out);
      assert.match(second.out, new RegExp(`unchanged libvirt pool ${pool} \\(defined, autostarted, running\\)`));
      assert.match(second.out, /no changes: this host is set up/);
    } finally {
      cleanupDir(dir);
    }
  },
);

for (const kind of ['nfs', 'iscsi'] as const) {
  const p = kind === 'nfs' ? 'nf' : 'is';
  const names = [1, 2, 3, 4, 5, 6, 7, 8].map((i) => `${p}${i}`);
  test(
    `shared storage ${kind} - revacuate of 8 guests and rmigrate move memory only; serial and disk counters continuous`,
    { timeout: 300_000 },
    async () => {
      // iSCSI: one guest names its LUN the howto's way (/dev/disk/by-path/ip-...-iscsi-...-lun-N).
      const made = await addSharedCounterGuests(c, lab, storage, kind, names, 'node01', kind === 'iscsi' ? { byPath: ['is3'] } : {});
      for (const [n, d] of made) disks.set(n, d);
      for (const n of names) diskSeen.set(n, await checkDiskCount(lab, n, disks.get(n)!));
      const ev = await c.cli(['revacuate', 'node01', '--max-out', '4', '--max-total', '8', '--max-in', '4']);
      assert.equal(ev.code, 0, `${ev.stdout}\n${ev.stderr}`);
      const placed = new Map<string, string>();
      for (const n of names) placed.set(n, await checkGuest(n, ['node02', 'node03']));
      assert.equal((await c.cli(['maintenance', 'node01', 'off'])).code, 0);
      // and one back with rmigrate
      const first = names[0]!;
      const r = await c.cli(['rmigrate', first, 'node01']);
      assert.equal(r.code, 0, `${r.stdout}\n${r.stderr}`);
      assert.match(r.stdout, new RegExp(`${first}: done ${placed.get(first)} -> node01`));
      await checkGuest(first, ['node01']);
      // what libvirt was asked: memory only, every time (no copy-storage)
      for (const n of names)
        assertMemoryOnly(
          c,
          lab.hosts.map((h) => h.name),
          n,
          n === first ? 2 : 1,
        );
    },
  );
}

test(
  "shared storage - the NFS server restarted during the guests' I/O: their writes wait, they carry on by themselves within 60 s, nothing lost",
  { timeout: 180_000 },
  async () => {
    const g = ['nf1', 'nf2'];
    const before = new Map(g.map((n) => [n, readCount(lab, n) ?? 0]));
    await stopNfsServer(lab);
    await new Promise((res) => setTimeout(res, 3000));
    await startNfsServer(lab);
    const t0 = Date.now();
    for (const n of g) {
      await waitFor(`${n} counting again`, () => (readCount(lab, n) ?? 0) > (before.get(n) ?? 0) + 10, 60_000, 250);
      const host = (await whereRunning(lab, n, virsh))[0]!;
      assert.equal(
        await domState(
          lab.hosts.find((h) => h.name === host)!,
          n,
        ),
        'running',
        `${n} never paused`,
      );
      assertCountRises(readCounts(lab, n), `${n} across the NFS restart`);
      diskSeen.set(n, await checkDiskCount(lab, n, disks.get(n)!, diskSeen.get(n) ?? 0));
    }
    assert.ok(Date.now() - t0 < 60_000);
  },
);

test(
  "shared storage - the storage host's link cut mid-migration: the move fails or completes cleanly, the guest runs exactly once",
  { timeout: 180_000 },
  async () => {
    const name = 'nf3';
    const from = (await whereRunning(lab, name, virsh))[0]!;
    // node01 has room: the revacuations left it only the two guests rmigrate brought back.
    const to = 'node01';
    const started = await c.cliJson<{ id: string }>(['rmigrate', name, to, '--bandwidth', '1', '--no-watch', '-o', 'json']);
    await waitFor(
      `${name} migrating`,
      async () =>
        (await c.cliJson<{ steps: { state: string }[] }>(['ops', 'show', started.id, '-o', 'json'])).steps.some(
          (s) => s.state === 'migrating',
        ),
      30_000,
      100,
    );
    await cutStorageLink(lab);
    try {
      await new Promise((res) => setTimeout(res, 4000));
    } finally {
      await restoreStorageLink(lab);
    }
    const op = await waitFor(
      'the operation to end',
      async () => {
        const o = await c.cliJson<{ state: string; steps: { state: string; error: string }[] }>(['ops', 'show', started.id, '-o', 'json']);
        return o.state !== 'running' ? o : undefined;
      },
      150_000,
      500,
    );
    const end = await checkGuest(name, [from, to]);
    assert.equal(end, op.state === 'done' ? to : from, `${name} is where the operation says (${op.state}: ${op.steps[0]?.error ?? ''})`);
  },
);

test(
  'shared storage - a LUN the destination cannot see: the prepare-time check refuses, naming the host and the storage; the guest stays',
  { timeout: 120_000 },
  async () => {
    const name = 'is2';
    const from = (await whereRunning(lab, name, virsh))[0]!;
    const to = lab.hosts.find((h) => h.name !== from)!;
    await denyIscsi(lab, to.ip);
    try {
      const r = await c.cli(['rmigrate', name, to.name]);
      assert.equal(r.code, 1, `${r.stdout}\n${r.stderr}`);
      assert.match(
        `${r.stdout}\n${r.stderr}`,
        new RegExp(`${to.name} cannot reach ${iscsiTarget(storage).replace(/[.]/g, '\\.')} for ${name}'s disk 0`),
      );
    } finally {
      await allowIscsi(lab, to.ip);
    }
    assert.deepEqual(await whereRunning(lab, name, virsh), [from]);
    await checkGuest(name, [from]);
  },
);
