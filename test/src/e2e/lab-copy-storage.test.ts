import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import {
  assertCountRises,
  defineCounterGuest,
  domState,
  getSharedLab,
  qemuPids,
  readBoots,
  readCounts,
  resetHosts,
  sampleCounts,
  virsh,
  waitForCount,
  type Lab,
} from '../lab';

let lab: Lab;
before(async () => {
  lab = await getSharedLab();
  await resetHosts(lab);
});
after(async () => {
  if (lab) await resetHosts(lab);
});

test('lab - a counter guest on local storage moves with --copy-storage-all and keeps counting', { timeout: 180_000 }, async () => {
  const [a, b] = lab.hosts;
  assert.ok(a && b);
  const g = await defineCounterGuest(a, 'local1', { disk: 'local', serial: 'file' });
  assert.equal(g.diskPath, join(a.localDir, 'local1.qcow2'));
  assert.ok(existsSync(join(a.localBacking, 'local1.qcow2')), 'the disk sits in the source host local storage');
  assert.ok(!existsSync(join(b.localBacking, 'local1.qcow2')), 'the destination has no copy yet');
  await waitForCount(a, 'local1', 3);
  const before = await sampleCounts(a, 'local1', 3, 300);

  await virsh(a, ['migrate', '--live', '--p2p', '--copy-storage-all', '--persistent', '--undefinesource', 'local1', b.uri]);

  assert.equal(await domState(b, 'local1'), 'running');
  assert.equal(await domState(a, 'local1'), null);
  assert.equal((await qemuPids(b)).length, 1);
  assert.ok(existsSync(join(b.localBacking, 'local1.qcow2')), 'the disk was copied into the destination local storage');
  const dumped = await virsh(b, ['domblklist', 'local1']);
  assert.match(dumped, new RegExp(`${b.localDir}/local1\\.qcow2`), 'the destination guest uses its own local copy');
  const after = await sampleCounts(b, 'local1', 6, 300);
  assertCountRises([...before, ...after], 'local1 across the copy-storage migration');
  assertCountRises(readCounts(b, 'local1'), 'the whole serial history of local1');
  assert.equal(readBoots(b, 'local1'), 1);
});

test('lab - a local-disk migration without --copy-storage-all is refused', { timeout: 120_000 }, async () => {
  const [, b, c] = lab.hosts;
  assert.ok(b && c);
  await defineCounterGuest(b, 'local2', { disk: 'local' });
  await waitForCount(b, 'local2', 1);
  await assert.rejects(
    virsh(b, ['migrate', '--live', '--p2p', '--persistent', '--undefinesource', 'local2', c.uri]),
    /[Uu]nsafe migration|shared storage/,
  );
  assert.equal(await domState(b, 'local2'), 'running', 'the guest stays where it was');
});
