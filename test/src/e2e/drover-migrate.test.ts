/**
 * rmigrate and revacuate on real lab hosts (libvirtd + QEMU in network namespaces) with counter
 * guests: every result is checked against the hosts' own libvirtd and the guests' serial output,
 * not only against drover's tables.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { getSharedLab, resetHosts, virsh, readCounts, assertCountRises, readBoots, sampleCounts, limitLink, unlimitLink, type Lab } from '../lab/index.js';
import { startLabCluster } from '../support/labcluster.js';
import type { TestCluster } from '../support/cluster.js';
import { waitFor } from '../support/procs.js';
import { addCounterGuests, declareSharedStorage, whereRunning } from '../support/labguests.js';

let lab: Lab;
let c: TestCluster;

before(async () => {
  lab = await getSharedLab();
  await resetHosts(lab);
  c = await startLabCluster(lab);
  await waitFor('three hosts up with libvirt', async () => {
    const hs = await c.cliJson<{ state: string; libvirt: string }[]>(['lshosts']);
    return hs.length === 3 && hs.every((h) => h.state === 'up' && h.libvirt === 'ok');
  }, 60_000, 300);
  await declareSharedStorage(c, lab);
});
after(async () => {
  await c?.stop();
  if (lab) await resetHosts(lab);
});

async function vmHost(node: string): Promise<string> {
  const r = await c.cli(['nodels', node, 'vm.host']);
  return r.stdout.trim().split(': ').pop() ?? '';
}

test('rmigrate - over shared storage: the guest keeps counting on the destination and vm.host follows', { timeout: 180_000 }, async () => {
  await addCounterGuests(c, lab, ['sh1'], 'node01');
  const before = await sampleCounts(lab, 'sh1', 3, 300);
  const r = await c.cli(['rmigrate', 'sh1', 'node02']);
  assert.equal(r.code, 0, `${r.stdout}\n${r.stderr}`);
  assert.match(r.stdout, /sh1: done node01 -> node02/);
  assert.deepEqual(await whereRunning(lab, 'sh1', virsh), ['node02']);
  assert.equal(await vmHost('sh1'), 'node02');
  const after = await sampleCounts(lab, 'sh1', 4, 300);
  assertCountRises([...before, ...after], 'sh1 across rmigrate');
  assertCountRises(readCounts(lab, 'sh1'), 'sh1 whole history');
  assert.equal(readBoots(lab, 'sh1'), 1, 'booted once');
});

test('rmigrate - with copy-storage: a disk local to the source is copied and the guest runs on', { timeout: 180_000 }, async () => {
  await addCounterGuests(c, lab, ['lo1'], 'node01', 'local');
  const r = await c.cli(['rmigrate', 'lo1', 'node03', '--copy-storage', 'auto']);
  assert.equal(r.code, 0, `${r.stdout}\n${r.stderr}`);
  assert.deepEqual(await whereRunning(lab, 'lo1', virsh), ['node03']);
  const n3 = lab.hosts.find((h) => h.name === 'node03')!;
  assert.ok(existsSync(join(n3.localBacking, 'disks', 'lo1.qcow2')), 'the disk now exists on node03');
  assertCountRises(readCounts(lab, 'lo1'), 'lo1 whole history');
  assert.equal(await vmHost('lo1'), 'node03');
});

test('rmigrate - bad input is refused with a clear reason and nothing moves', { timeout: 120_000 }, async () => {
  const unknown = await c.cli(['rmigrate', 'nosuch', 'node02']);
  assert.notEqual(unknown.code, 0);
  assert.match(unknown.stderr, /nosuch/);
  const same = await c.cli(['rmigrate', 'sh1', 'node02']);
  assert.equal(same.code, 1);
  assert.match(same.stderr, /sh1: already on node02; the destination must differ/);
  const badHost = await c.cli(['rmigrate', 'sh1', 'node09']);
  assert.notEqual(badHost.code, 0);
  assert.match(badHost.stderr, /node09/);
  assert.deepEqual(await whereRunning(lab, 'sh1', virsh), ['node02']);
});
