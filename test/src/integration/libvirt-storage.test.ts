// Storage pools and volumes of @drover/libvirt on libvirt's test driver (pools live in memory).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Connection, ErrorNumber, LibvirtError, StoragePoolState, StorageVolType, writeTestHost } from '@drover/libvirt';

async function withHost(fn: (c: Connection, dir: string) => Promise<void>): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'drover-lvstore-'));
  const h = writeTestHost({ pools: [{ name: 'images', path: join(dir, 'images'), volumes: { 'base.img': 1 << 20 } }] }, dir);
  const c = await Connection.open(h.uri);
  try {
    await fn(c, dir);
  } finally {
    await c.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

const GiB = 1024 ** 3;

test('libvirt storage - pools from the host file are listed and described', async () => {
  await withHost(async (c, dir) => {
    const pools = await c.listAllStoragePools();
    assert.deepEqual(
      pools.map((p) => p.name),
      ['images'],
    );
    const p = await c.lookupStoragePoolByName('images');
    assert.equal(p.uuid, pools[0]?.uuid);
    assert.equal((await c.lookupStoragePoolByUUID(p.uuid)).name, 'images');
    const info = await p.info();
    assert.equal(info.state, StoragePoolState.RUNNING);
    assert.ok(info.capacity > 0);
    assert.match(await p.getXMLDesc(), new RegExp(`<path>${join(dir, 'images')}</path>`));
    assert.equal(await p.isActive(), true);
    await assert.rejects(
      c.lookupStoragePoolByName('nope'),
      (e: unknown) => e instanceof LibvirtError && e.code === ErrorNumber.NO_STORAGE_POOL,
    );
  });
});

test('libvirt storage - define, build, start, refresh, autostart, destroy, undefine a pool', async () => {
  await withHost(async (c, dir) => {
    const xml = `<pool type='dir'><name>extra</name><target><path>${join(dir, 'extra')}</path></target></pool>`;
    const p = await c.defineStoragePool(xml);
    assert.equal(p.name, 'extra');
    assert.equal(await p.isPersistent(), true);
    assert.equal(await p.isActive(), false);
    assert.equal((await p.info()).state, StoragePoolState.INACTIVE);
    await p.build();
    await p.start();
    assert.equal(await p.isActive(), true);
    await p.refresh();
    assert.equal(await p.getAutostart(), false);
    await p.setAutostart(true);
    assert.equal(await p.getAutostart(), true);
    await p.destroy();
    assert.equal(await p.isActive(), false);
    await p.undefine();
    await assert.rejects(
      c.lookupStoragePoolByName('extra'),
      (e: unknown) => e instanceof LibvirtError && e.code === ErrorNumber.NO_STORAGE_POOL,
    );

    const t = await c.createStoragePool(xml.replace('extra', 'transient'));
    assert.equal(await t.isActive(), true);
    assert.equal(await t.isPersistent(), false);
    await t.destroy();
  });
});

test('libvirt storage - sparse raw and qcow2 volumes: create, info, path, lookup, delete', async () => {
  await withHost(async (c, dir) => {
    const p = await c.lookupStoragePoolByName('images');
    assert.deepEqual(
      (await p.listVolumes()).map((v) => v.name),
      ['base.img'],
    );
    const raw = await p.createVolume(
      `<volume><name>disk.img</name><capacity unit='G'>8</capacity><allocation>0</allocation><target><format type='raw'/></target></volume>`,
    );
    const path = join(dir, 'images', 'disk.img');
    assert.equal(raw.name, 'disk.img');
    assert.equal(raw.key, path);
    assert.equal(await raw.path(), path);
    const ri = await raw.info();
    assert.equal(ri.type, StorageVolType.FILE);
    assert.equal(ri.capacity, 8 * GiB);
    assert.equal(ri.allocation, 0);
    const q = await p.createVolume(
      `<volume><name>disk.qcow2</name><capacity unit='G'>2</capacity><target><format type='qcow2'/></target></volume>`,
    );
    assert.equal((await q.info()).capacity, 2 * GiB);
    assert.match(await q.getXMLDesc(), /<name>disk.qcow2<\/name>/);
    assert.deepEqual((await p.listVolumes()).map((v) => v.name).sort(), ['base.img', 'disk.img', 'disk.qcow2']);
    assert.equal((await c.lookupStorageVolumeByPath(path)).name, 'disk.img');
    assert.equal((await p.lookupVolumeByName('disk.qcow2')).key, join(dir, 'images', 'disk.qcow2'));
    await assert.rejects(
      p.createVolume(`<volume><name>disk.img</name><capacity>1</capacity></volume>`),
      (e: unknown) => e instanceof LibvirtError && e.code !== ErrorNumber.OK,
    );
    await raw.delete();
    await assert.rejects(
      c.lookupStorageVolumeByPath(path),
      (e: unknown) => e instanceof LibvirtError && e.code === ErrorNumber.NO_STORAGE_VOL,
    );
    await assert.rejects(raw.info(), (e: unknown) => e instanceof LibvirtError && e.code === ErrorNumber.NO_STORAGE_VOL);
    // the test driver has no resize: a clear NO_SUPPORT
    await assert.rejects(q.resize(4 * GiB), (e: unknown) => e instanceof LibvirtError && e.code === ErrorNumber.NO_SUPPORT);
  });
});
