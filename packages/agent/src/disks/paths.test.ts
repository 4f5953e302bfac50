import { test } from 'node:test';
import assert from 'node:assert/strict';
import { StorageError } from './errors.js';
import { checkPathAllowed } from './paths.js';

const ROOTS = ['/vms', '/var/lib/drover/nfs/filer1/export/', '/dev/vg0'];

test('storage paths - paths inside an allowed root are returned normalised', () => {
  assert.equal(checkPathAllowed('/vms/web1.qcow2', ROOTS), '/vms/web1.qcow2');
  assert.equal(checkPathAllowed('/vms//a/./b.img', ROOTS), '/vms/a/b.img');
  assert.equal(checkPathAllowed('/vms/x/../web1.img', ROOTS), '/vms/web1.img');
  assert.equal(
    checkPathAllowed('/var/lib/drover/nfs/filer1/export/vms/web1.qcow2', ROOTS),
    '/var/lib/drover/nfs/filer1/export/vms/web1.qcow2',
  );
  assert.equal(checkPathAllowed('/dev/vg0/web1', ROOTS), '/dev/vg0/web1');
  assert.equal(checkPathAllowed('/vms/', ROOTS), '/vms');
});

test('storage paths - escapes and look-alike prefixes are refused', () => {
  const refused = (p: string, roots = ROOTS) =>
    assert.throws(
      () => checkPathAllowed(p, roots),
      (e: unknown) => e instanceof StorageError && e.code === 'PATH_NOT_ALLOWED' && e.field === 'path',
      p,
    );
  refused('/vms/../etc/shadow');
  refused('/vms/a/../../etc/passwd');
  refused('/vms2/web1.img');
  refused('/vmsx');
  refused('/dev/sda');
  refused('/dev/vg0/../sda');
  refused('/var/lib/drover/nfs/filer1/exportx/a');
  refused('vms/web1.img');
  refused('../vms/web1.img');
  refused('');
  refused('/vms/a\0b');
  refused('/vms/a.img', []);
  refused('/vms/a.img', ['vms']);
});
