import { test } from 'node:test';
import assert from 'node:assert/strict';
import { StorageError } from './errors.js';
import { volumeXml } from './volume.js';
import { readXml } from '../domain/xml.js';
import { virtXmlValidate } from '../domain/virt-xml-validate.testkit.js';

const G = 1024 ** 3;

test('storage volume - raw volumes are sparse', async () => {
  const xml = volumeXml({ name: 'web1.img', capacityBytes: 20 * G, format: 'raw' });
  assert.deepEqual(readXml(xml), {
    volume: {
      name: 'web1.img',
      capacity: { '@_unit': 'bytes', '#text': String(20 * G) },
      allocation: { '@_unit': 'bytes', '#text': '0' },
      target: { format: { '@_type': 'raw' } },
    },
  });
  await virtXmlValidate(xml, 'storagevol');
});

test('storage volume - qcow2 volumes carry format and compat', async () => {
  const xml = volumeXml({ name: 'web1.qcow2', capacityBytes: 4 * G, format: 'qcow2' });
  const v = (readXml(xml) as { volume: Record<string, unknown> }).volume;
  assert.deepEqual(v.target, { format: { '@_type': 'qcow2' }, compat: '1.1' });
  assert.deepEqual(v.allocation, { '@_unit': 'bytes', '#text': '0' });
  await virtXmlValidate(xml, 'storagevol');
});

test('storage volume - non-sparse volumes allocate their capacity (LVM)', async () => {
  const xml = volumeXml({ name: 'web1', capacityBytes: 10 * G, format: 'raw', sparse: false });
  const v = (readXml(xml) as { volume: Record<string, unknown> }).volume;
  assert.deepEqual(v.allocation, { '@_unit': 'bytes', '#text': String(10 * G) });
  await virtXmlValidate(xml, 'storagevol');
});

test('storage volume - bad names, sizes and formats are refused naming the field', () => {
  const field = (f: string) => (e: unknown) => e instanceof StorageError && e.field === f && e.message.startsWith(`${f}: `);
  for (const name of ['', '../x', 'a/b', '.hidden', '-x', 'a b', 'x'.repeat(256), 'a<b']) {
    assert.throws(() => volumeXml({ name, capacityBytes: G, format: 'raw' }), field('name'), name);
  }
  for (const capacityBytes of [0, -1, 1.5, Number.NaN, 2 ** 60]) {
    assert.throws(() => volumeXml({ name: 'a', capacityBytes, format: 'raw' }), field('capacityBytes'), String(capacityBytes));
  }
  assert.throws(() => volumeXml({ name: 'a', capacityBytes: G, format: 'vmdk' as never }), field('format'));
});
