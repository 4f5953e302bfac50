import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AttrError } from './errors.js';
import { diskVolumeName, formatStorageList, parseIscsiUrl, parseStorageList, STORAGE_SYNTAX, type DiskSpec } from './storage.js';

const G = 1024 ** 3;

test('storage - each scheme parses with its default format', () => {
  assert.deepEqual(parseStorageList('dir:///vms'), [{ kind: 'dir', dir: '/vms', format: 'qcow2' }]);
  assert.deepEqual(parseStorageList('nfs://filer1.lab/export/vms'), [
    { kind: 'nfs', server: 'filer1.lab', exportPath: '/export/vms', format: 'qcow2' },
  ]);
  assert.deepEqual(parseStorageList('nfs://10.0.0.5/export'), [
    { kind: 'nfs', server: '10.0.0.5', exportPath: '/export', format: 'qcow2' },
  ]);
  assert.deepEqual(parseStorageList('lvm://vg0?size=100G'), [{ kind: 'lvm', vg: 'vg0', format: 'raw', sizeBytes: 100 * G }]);
  assert.deepEqual(parseStorageList('phy:/dev/sdb'), [{ kind: 'phy', device: '/dev/sdb', format: 'raw' }]);
});

test('storage - bare paths from the xCAT howto: a directory, or a file by its extension', () => {
  assert.deepEqual(parseStorageList('/vms/vm_disk'), [{ kind: 'dir', dir: '/vms/vm_disk', format: 'qcow2' }]);
  assert.deepEqual(parseStorageList('/vms/'), [{ kind: 'dir', dir: '/vms', format: 'qcow2' }]);
  assert.deepEqual(parseStorageList('/vms/web1.qcow2'), [{ kind: 'file', path: '/vms/web1.qcow2', format: 'qcow2' }]);
  assert.deepEqual(parseStorageList('/vms/web1.raw'), [{ kind: 'file', path: '/vms/web1.raw', format: 'raw' }]);
  assert.deepEqual(parseStorageList('/vms/web1.img'), [{ kind: 'file', path: '/vms/web1.img', format: 'raw' }]);
  assert.deepEqual(parseStorageList('/vms/web1.img?format=qcow2'), [{ kind: 'file', path: '/vms/web1.img', format: 'qcow2' }]);
});

test('storage - several disks with options, blank means none', () => {
  const disks = parseStorageList(
    ' dir:///vms?size=20G&format=raw , lvm://vg0?size=1T,phy:/dev/disk/by-path/ip-10.0.0.1:3260-iscsi-iqn.2004-01.com.example:t1-lun-0',
  );
  assert.equal(disks.length, 3);
  assert.deepEqual(disks[0], { kind: 'dir', dir: '/vms', format: 'raw', sizeBytes: 20 * G });
  assert.deepEqual(disks[1], { kind: 'lvm', vg: 'vg0', format: 'raw', sizeBytes: 1024 * G });
  // the howto's kernel-initiator name of a LUN is that LUN
  assert.deepEqual(disks[2], { kind: 'iscsi', portal: '10.0.0.1:3260', iqn: 'iqn.2004-01.com.example:t1', lun: 0, format: 'raw' });
  assert.deepEqual(parseStorageList(''), []);
  assert.deepEqual(parseStorageList('  '), []);
});

test('storage - canonical form round-trips', () => {
  const text =
    'dir:///vms?size=20G,nfs://filer/export/a?format=raw,lvm://vg0?size=512M,phy:/dev/sdb?format=qcow2,/vms/x.img?format=qcow2,/vms/y.qcow2';
  assert.equal(formatStorageList(parseStorageList(text)), text);
  assert.equal(formatStorageList(parseStorageList('/vms/?size=4096M&format=qcow2')), 'dir:///vms?size=4G');
});

function refused(value: string, part: string, code = 'ATTR_SYNTAX') {
  assert.throws(
    () => parseStorageList(value),
    (e: unknown) => {
      assert.ok(e instanceof AttrError, `not an AttrError for ${value}`);
      assert.equal(e.attribute, 'vm.storage');
      assert.equal(e.value, value);
      assert.equal(e.part, part, value);
      assert.equal(e.code, code, value);
      assert.equal(e.accepted, STORAGE_SYNTAX);
      assert.match(e.message, /^vm\.storage: /);
      assert.ok(e.message.includes(part));
      assert.ok(e.message.includes('dir:///DIR'));
      return true;
    },
    value,
  );
}

test('storage - unknown schemes and malformed URLs are refused with the part named', () => {
  refused('ftp://x/y', 'ftp://x/y');
  refused('iscsi://portal/iqn', 'iscsi://portal/iqn');
  refused('vms', 'vms');
  refused('dir://vms', 'dir://vms');
  refused('nfs://filer', 'nfs://filer');
  refused('nfs:///export', 'nfs:///export');
  refused('nfs://bad_host/export', 'bad_host');
  refused('lvm://', 'lvm://');
  refused('lvm://vg0/lv', 'lvm://vg0/lv');
  refused('lvm://-vg', 'lvm://-vg');
  refused('phy:sdb', 'sdb');
  refused('phy:/etc/passwd', '/etc/passwd');
  refused('dir:///vms,ftp://x', 'ftp://x');
  refused('dir:///vms,,/vms2', 'dir:///vms,,/vms2');
  refused('dir:///vms,', 'dir:///vms,');
});

test('storage - path escapes and shell or XML metacharacters are refused', () => {
  refused('/vms/../etc', '/vms/../etc');
  refused('dir:///vms/./x', '/vms/./x');
  refused('//vms', '//vms');
  refused('/', '/');
  refused('/vms/a b', '/vms/a b');
  refused('/vms/$(reboot)', '/vms/$(reboot)');
  refused('/vms/a;b', '/vms/a;b');
  refused("/vms/'x'", "/vms/'x'");
  refused('/vms/<x>', '/vms/<x>');
  refused('phy:/dev/../etc/shadow', '/dev/../etc/shadow');
});

test('storage - bad options are refused', () => {
  refused('/vms?size=0', 'size=0', 'ATTR_RANGE');
  refused('/vms?size=lots', 'size=lots');
  refused('/vms?size=1.5G', 'size=1.5G');
  refused('/vms?format=vmdk', 'format=vmdk');
  refused('/vms?color=red', 'color=');
  refused('/vms?size=1G&size=2G', 'size=2G');
  refused('/vms?', '/vms?');
  refused('/vms?size', 'size');
  refused('?size=1G', '?size=1G');
  refused('lvm://vg0?format=qcow2', 'format=qcow2', 'ATTR_CONFLICT');
  refused('phy:/dev/sdb?size=10G', 'size=10G', 'ATTR_CONFLICT');
  refused('/vms/a.qcow2?format=raw', '/vms/a.qcow2?format=raw', 'ATTR_CONFLICT');
  refused('/vms/a.raw?format=qcow2', '/vms/a.raw?format=qcow2', 'ATTR_CONFLICT');
});

test('storage - volume names follow the node and the list position', () => {
  const [dir, raw, lvm, file] = parseStorageList('/vms,/vms?format=raw,lvm://vg0,/vms/x.qcow2') as [DiskSpec, DiskSpec, DiskSpec, DiskSpec];
  assert.equal(diskVolumeName('web', 0, dir), 'web.qcow2');
  assert.equal(diskVolumeName('web', 1, dir), 'web_1.qcow2');
  assert.equal(diskVolumeName('web', 1, raw), 'web_1.img');
  assert.equal(diskVolumeName('web', 0, lvm), 'web');
  assert.equal(diskVolumeName('web', 2, lvm), 'web_2');
  // node "web-1" disk 0 and node "web" disk 1 must not share a file
  assert.notEqual(diskVolumeName('web-1', 0, dir), diskVolumeName('web', 1, dir));
  assert.throws(() => diskVolumeName('web', 0, file), RangeError);
  assert.throws(() => diskVolumeName('web', -1, dir), RangeError);
});

test("storage - iSCSI LUNs: iscsi://PORTAL/IQN/LUN and the howto's /dev/disk/by-path name read alike", () => {
  const lun = { kind: 'iscsi', portal: 'san1:3260', iqn: 'iqn.2004-01.com.example:vms', lun: 3, format: 'raw' };
  assert.deepEqual(parseStorageList('iscsi://SAN1/iqn.2004-01.com.example:VMS/3'), [lun]);
  assert.deepEqual(parseStorageList('iscsi://san1:3260/iqn.2004-01.com.example:vms/3'), [lun]);
  assert.deepEqual(parseStorageList('/dev/disk/by-path/ip-san1:3260-iscsi-iqn.2004-01.com.example:vms-lun-3'), [lun]);
  assert.deepEqual(parseStorageList('phy:/dev/disk/by-path/ip-san1:3260-iscsi-iqn.2004-01.com.example:vms-lun-3'), [lun]);
  assert.equal(
    formatStorageList(parseStorageList('iscsi://SAN1/iqn.2004-01.com.example:VMS/3')),
    'iscsi://san1:3260/iqn.2004-01.com.example:vms/3',
  );
  assert.deepEqual(parseIscsiUrl('iscsi://10.0.0.5/iqn.2004-01.com.example:vms', true), {
    portal: '10.0.0.5:3260',
    iqn: 'iqn.2004-01.com.example:vms',
  });
  for (const [bad, part] of [
    ['iscsi://10.0.0.5/iqn.2004-01.com.example:vms', 'iscsi://10.0.0.5/iqn.2004-01.com.example:vms'],
    ['iscsi://10.0.0.5/not-an-iqn/0', 'iscsi://10.0.0.5/not-an-iqn/0'],
    ['iscsi://10.0.0.5:99999/iqn.2004-01.com.example:vms/0', 'iscsi://10.0.0.5:99999/iqn.2004-01.com.example:vms/0'],
    ['iscsi://10.0.0.5/iqn.2004-01.com.example:vms/x', 'iscsi://10.0.0.5/iqn.2004-01.com.example:vms/x'],
  ] as const) {
    assert.throws(
      () => parseStorageList(bad),
      (e: unknown) => e instanceof AttrError && e.code === 'ATTR_SYNTAX' && e.part === part,
      bad,
    );
  }
  // a LUN has its own size and holds a raw disk
  assert.throws(() => parseStorageList('iscsi://s/iqn.2004-01.com.example:vms/1?size=10G'), /size/);
  assert.throws(() => parseStorageList('iscsi://s/iqn.2004-01.com.example:vms/1?format=qcow2'), /raw/);
});
