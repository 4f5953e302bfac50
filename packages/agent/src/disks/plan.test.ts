import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseStorageList } from './attrs.js';
import { guestSource, planDisk } from './plan.js';
import { checkPathAllowed } from './paths.js';
import { readXml } from '../domain/xml.js';
import { buildDomainXml } from '../domain/build.js';
import { virtXmlValidate } from '../domain/virt-xml-validate.testkit.js';
import { type GuestDisk } from '../domain/spec.js';
import { UUID } from '../domain/fixtures.testkit.js';

const OPTS = { nfsMountBase: '/var/lib/drover/nfs' };

test('storage plan - each kind gives pool, volume and guest source', () => {
  const disks = parseStorageList(
    'dir:///vms?size=20G,nfs://filer1/export?size=10G&format=raw,lvm://vg0?size=8G,phy:/dev/sdb,/srv/img/gold.qcow2',
  );
  const plans = disks.map((d, i) => planDisk('web1', i, d, OPTS));
  assert.deepEqual(
    plans.map((p) => [p.pool?.kind ?? null, p.volumeName, p.source, p.format]),
    [
      ['dir', 'web1.qcow2', { path: '/vms/web1.qcow2' }, 'qcow2'],
      ['netfs', 'web1_1.img', { path: '/var/lib/drover/nfs/filer1/export/web1_1.img' }, 'raw'],
      ['logical', 'web1_2', { device: '/dev/vg0/web1_2' }, 'raw'],
      [null, undefined, { device: '/dev/sdb' }, 'raw'],
      ['dir', 'gold.qcow2', { path: '/srv/img/gold.qcow2' }, 'qcow2'],
    ],
  );
  // sized disks get a volume to create; LVM volumes are fully allocated; unsized disks use what exists
  const alloc = (xml: string | undefined) =>
    (readXml(xml ?? '') as { volume: { allocation: { '#text': string } } }).volume.allocation['#text'];
  assert.equal(alloc(plans[0]?.volumeXml), '0');
  assert.equal(alloc(plans[2]?.volumeXml), String(8 * 1024 ** 3));
  assert.equal(plans[3]?.volumeXml, undefined);
  assert.equal(plans[4]?.volumeXml, undefined);
  // every planned source is inside its pool
  for (const p of plans) {
    if (!p.pool) continue;
    const where = 'path' in p.source ? p.source.path : 'device' in p.source ? p.source.device : '';
    assert.equal(checkPathAllowed(where, [p.pool.targetPath]), where);
  }
});

test('storage plan - planned disks make a domain libvirt accepts', async () => {
  const disks = parseStorageList('dir:///vms?size=20G,lvm://vg0?size=8G,phy:/dev/sdb');
  const guestDisks: GuestDisk[] = disks.map((d, i) => {
    const p = planDisk('web1', i, d, OPTS);
    return { ...guestSource(p.source), format: p.format, bus: 'virtio' } as GuestDisk;
  });
  const xml = buildDomainXml({
    name: 'web1',
    uuid: UUID,
    hypervisor: 'kvm',
    memoryMiB: 512,
    vcpus: 1,
    nics: [],
    disks: guestDisks,
    boot: ['disk'],
  });
  await virtXmlValidate(xml, 'domain');
  assert.match(xml, /<source dev="\/dev\/vg0\/web1_1"\/>/);
});
