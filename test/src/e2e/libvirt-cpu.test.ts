// The migration CPU pre-check against real libvirtd + QEMU lab hosts. The lab's hosts are identical
// (and run TCG), so the incompatible answers come from crafted CPU descriptions; the compatible one
// is the live CPU of a guest running on the other host.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { Connection } from '@drover/libvirt';
import { compareGuestCpu, describeGuestCpu } from '@drover/agent';
import { defineCounterGuest, getSharedLab, waitForCount, resetHosts, type Lab, type LabHost } from '../lab';

let lab: Lab;
let src: LabHost;
let dst: LabHost;
let dconn: Connection;

before(async () => {
  lab = await getSharedLab();
  src = lab.hosts[0] as LabHost;
  dst = lab.hosts[1] as LabHost;
  await resetHosts(lab);
  dconn = await Connection.open(dst.socketUri);
});

after(async () => {
  await dconn?.close();
  if (lab) await resetHosts(lab);
});

test('cpu check - the live CPU of a guest running on one host is compatible with its identical peer', async () => {
  await defineCounterGuest(src, 'cpu1', { disk: 'shared' });
  await waitForCount(src, 'cpu1', 1);
  const sconn = await Connection.open(src.socketUri);
  try {
    const dom = await sconn.lookupDomainByName('cpu1');
    const cpu = describeGuestCpu(await dom.getXMLDesc(), undefined);
    // libvirt writes the CPU QEMU was started with into the live definition: TCG's default model.
    assert.equal(cpu.hvType, 'qemu');
    assert.equal(cpu.mode, 'custom');
    assert.match(cpu.model, /^qemu64$/);
    const r = await compareGuestCpu(dconn, cpu);
    assert.equal(r.verdict, 'compatible', r.detail);
    assert.match(r.detail, /^(identical|the host provides more)$/);
  } finally {
    await sconn.close();
  }
});

test("cpu check - a crafted CPU needing a feature the destination's hypervisor lacks is incompatible, and libvirt names the feature", async () => {
  const r = await compareGuestCpu(dconn, { hvType: 'qemu', model: 'qemu64', features: ['avx512f'] });
  assert.equal(r.verdict, 'incompatible');
  assert.match(r.detail, /does not provide required features: avx512f$/);
});

test('cpu check - a crafted newer model is incompatible, with every missing feature listed', async () => {
  const r = await compareGuestCpu(dconn, { hvType: 'qemu', model: 'Skylake-Server', features: [] });
  assert.equal(r.verdict, 'incompatible');
  assert.match(r.detail, /required features: .*avx512f/);
});

test('cpu check - an unknown model is an error naming it, not a verdict', async () => {
  await assert.rejects(compareGuestCpu(dconn, { hvType: 'qemu', model: 'NoSuchCPU', features: [] }), /NoSuchCPU/);
});
