import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseStorageList, type DiskSpec } from './attrs.js';
import { StorageError } from './errors.js';
import { poolForDisk, poolName, type PoolDef } from './pool.js';
import { readXml } from '../domain/xml.js';
import { virtXmlValidate } from '../domain/virt-xml-validate.testkit.js';

const OPTS = { nfsMountBase: '/var/lib/drover/nfs', hostName: 'hv01' };
const disk = (text: string): DiskSpec => {
  const [d] = parseStorageList(text);
  assert.ok(d, text);
  return d;
};
const pool = (text: string): PoolDef => {
  const p = poolForDisk(disk(text), OPTS);
  assert.ok(p, text);
  return p;
};
const NAME_RE = /^[A-Za-z0-9_.-]{1,80}$/;

test('storage pool - dir:// and bare directories make a dir pool on that path', async () => {
  const p = pool('dir:///vms');
  assert.equal(p.kind, 'dir');
  assert.equal(p.targetPath, '/vms');
  assert.match(p.name, /^drover-dir-vms-[0-9a-f]{8}$/);
  assert.deepEqual(readXml(p.xml), { pool: { '@_type': 'dir', name: p.name, target: { path: '/vms' } } });
  assert.deepEqual(pool('/vms'), p);
  await virtXmlValidate(p.xml, 'storagepool');
});

test('storage pool - a bare image file lives in a dir pool on its directory', () => {
  const p = pool('/vms/images/web1.qcow2');
  assert.equal(p.kind, 'dir');
  assert.equal(p.targetPath, '/vms/images');
  assert.equal(p.name, pool('dir:///vms/images').name);
});

test('storage pool - nfs:// makes a netfs pool mounted under the configured base', async () => {
  const p = pool('nfs://filer1.lab/export/vms');
  assert.equal(p.kind, 'netfs');
  assert.equal(p.targetPath, '/var/lib/drover/nfs/filer1.lab/export/vms');
  assert.match(p.name, /^drover-nfs-filer1.lab-export-vms-[0-9a-f]{8}$/);
  assert.deepEqual(readXml(p.xml), {
    pool: {
      '@_type': 'netfs',
      name: p.name,
      source: { host: { '@_name': 'filer1.lab' }, dir: { '@_path': '/export/vms' }, format: { '@_type': 'nfs' } },
      target: { path: '/var/lib/drover/nfs/filer1.lab/export/vms' },
    },
  });
  await virtXmlValidate(p.xml, 'storagepool');
  assert.equal(poolForDisk(disk('nfs://filer1.lab/export/vms'), { nfsMountBase: '/mnt/' })?.targetPath, '/mnt/filer1.lab/export/vms');
  assert.throws(
    () => poolForDisk(disk('nfs://f/e'), { nfsMountBase: 'relative' }),
    (e: unknown) => e instanceof StorageError && e.field === 'nfsMountBase',
  );
  assert.throws(
    () => poolForDisk(disk('nfs://f/e'), { nfsMountBase: '/mnt/../etc' }),
    (e: unknown) => e instanceof StorageError && e.field === 'nfsMountBase',
  );
});

test('storage pool - lvm:// makes a logical pool on the volume group', async () => {
  const p = pool('lvm://vg0');
  assert.equal(p.kind, 'logical');
  assert.equal(p.name, 'drover-lvm-vg0');
  assert.equal(p.targetPath, '/dev/vg0');
  assert.deepEqual(readXml(p.xml), {
    pool: {
      '@_type': 'logical',
      name: 'drover-lvm-vg0',
      source: { name: 'vg0', format: { '@_type': 'lvm2' } },
      target: { path: '/dev/vg0' },
    },
  });
  await virtXmlValidate(p.xml, 'storagepool');
});

test('storage pool - phy: devices have no pool', () => {
  assert.equal(poolForDisk(disk('phy:/dev/sdb'), OPTS), null);
});

test('storage pool - names are deterministic, distinct and valid libvirt names', () => {
  const urls = [
    '/a-b',
    '/a/b',
    '/a_b',
    'nfs://f/a/b',
    'nfs://g/a/b',
    'lvm://a-b',
    `/${'very-long-directory-name/'.repeat(6)}x`,
    '/vms/a+b@c~d:e',
  ];
  const names = urls.map((u) => pool(u).name);
  assert.equal(new Set(names).size, names.length, names.join(' '));
  for (const n of names) assert.match(n, NAME_RE, n);
  assert.deepEqual(
    urls.map((u) => pool(u).name),
    names,
  );
  assert.equal(poolName('dir', '/vms'), pool('/vms').name);
});
