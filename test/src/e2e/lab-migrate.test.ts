import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  assertCountRises,
  defineCounterGuest,
  domState,
  footprint,
  qemuPids,
  readBoots,
  readCounts,
  remains,
  sampleCounts,
  startLab,
  virsh,
  waitForCount,
  type LabFootprint,
  type TeardownReport,
} from '../lab';

test('lab - a counter guest keeps counting across a live p2p migration, and teardown leaves nothing', { timeout: 180_000 }, async () => {
  const lab = await startLab({ hosts: 2 });
  let fp: LabFootprint | undefined;
  let report: TeardownReport | undefined;
  try {
    const [a, b] = lab.hosts;
    assert.ok(a && b);
    assert.notEqual(a.ip, b.ip);
    await defineCounterGuest(a, 'mig1', { disk: 'shared', serial: 'file' });
    await waitForCount(a, 'mig1', 3);
    const before = await sampleCounts(a, 'mig1', 4, 300);
    assert.equal((await qemuPids(a)).length, 1, 'one QEMU on the source before migration');
    assert.equal((await qemuPids(b)).length, 0, 'no QEMU on the destination before migration');

    await virsh(a, ['migrate', '--live', '--p2p', '--unsafe', '--persistent', '--undefinesource', 'mig1', b.uri]);

    assert.equal(await domState(b, 'mig1'), 'running');
    assert.equal(await domState(a, 'mig1'), null, 'the source no longer knows the guest');
    assert.equal((await qemuPids(a)).length, 0, 'the source QEMU is gone');
    assert.equal((await qemuPids(b)).length, 1, 'the destination runs the guest');
    const after = await sampleCounts(b, 'mig1', 6, 300);
    assertCountRises([...before, ...after], 'mig1 across the migration');
    const lastBefore = before[before.length - 1] ?? 0;
    assert.ok((after[after.length - 1] ?? 0) > lastBefore, 'the count rose on the destination');
    assertCountRises(readCounts(b, 'mig1'), 'the whole serial history of mig1');
    assert.equal(readBoots(b, 'mig1'), 1, 'the guest booted once and never again');
    fp = await footprint(lab);
    assert.equal(fp.pids.length, 3, 'two libvirtd and one QEMU recorded');
  } finally {
    report = await lab.stop();
  }
  assert.deepEqual(report.leftovers, [], 'the lab reports nothing left');
  assert.ok(fp);
  assert.deepEqual(await remains(fp), [], 'nothing of the lab is left on the machine');
});
