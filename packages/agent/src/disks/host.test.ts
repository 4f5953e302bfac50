import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseStorageList, type DiskSpec } from './attrs.js';
import { StorageError } from './errors.js';
import { hostCommandsFor, iscsiDevicePath, nfsFstabLine, parseIqn, parsePortal } from './host.js';

const OPTS = { nfsMountBase: '/var/lib/drover/nfs', hostName: 'hv01' };
const disk = (text: string): DiskSpec => {
  const [d] = parseStorageList(text);
  assert.ok(d, text);
  return d;
};
const IQN = 'iqn.2004-01.com.example:storage.web1';

test('host commands - nfs: mount point, fstab line, mount', () => {
  assert.deepEqual(hostCommandsFor(disk('nfs://filer1/export/vms'), OPTS), [
    { op: 'mkdir', path: '/var/lib/drover/nfs/filer1/export/vms', mode: 0o755 },
    {
      op: 'fstab',
      mountPoint: '/var/lib/drover/nfs/filer1/export/vms',
      line: 'filer1:/export/vms /var/lib/drover/nfs/filer1/export/vms nfs defaults,_netdev 0 0',
    },
    { op: 'exec', argv: ['mount', '/var/lib/drover/nfs/filer1/export/vms'], purpose: 'mount filer1:/export/vms' },
  ]);
});

test('host commands - dir and file: the directory is created', () => {
  assert.deepEqual(hostCommandsFor(disk('dir:///vms'), OPTS), [{ op: 'mkdir', path: '/vms', mode: 0o755 }]);
  assert.deepEqual(hostCommandsFor(disk('/srv/img/web1.qcow2'), OPTS), [{ op: 'mkdir', path: '/srv/img', mode: 0o755 }]);
});

test('host commands - lvm checks the volume group, phy checks the device', () => {
  assert.deepEqual(hostCommandsFor(disk('lvm://vg0'), OPTS), [
    {
      op: 'exec',
      argv: ['vgs', '--noheadings', '--units', 'b', '--nosuffix', '-o', 'vg_name,vg_size,vg_free', '--', 'vg0'],
      purpose: 'check volume group vg0 exists and has room',
    },
  ]);
  assert.deepEqual(hostCommandsFor(disk('phy:/dev/sdb'), OPTS), [
    { op: 'exec', argv: ['blockdev', '--getsize64', '/dev/sdb'], purpose: 'check device /dev/sdb exists' },
  ]);
});

test('host commands - iscsi: discovery, login, automatic login at boot', () => {
  const steps = hostCommandsFor({ kind: 'iscsi', portal: '10.0.0.5', iqn: IQN }, OPTS);
  assert.deepEqual(
    steps.map((s) => (s.op === 'exec' ? s.argv : s.op)),
    [
      ['iscsiadm', '-m', 'discovery', '-t', 'sendtargets', '-p', '10.0.0.5:3260'],
      ['iscsiadm', '-m', 'node', '-T', IQN, '-p', '10.0.0.5:3260', '--login'],
      ['iscsiadm', '-m', 'node', '-T', IQN, '-p', '10.0.0.5:3260', '--op', 'update', '-n', 'node.startup', '-v', 'automatic'],
    ],
  );
  for (const s of steps) assert.equal(s.op, 'exec');
});

test('host commands - every argv element is a plain string, never a shell line', () => {
  const all = [
    ...hostCommandsFor(disk('nfs://filer1/export/vms'), OPTS),
    ...hostCommandsFor(disk('lvm://vg0'), OPTS),
    ...hostCommandsFor(disk('phy:/dev/sdb'), OPTS),
    ...hostCommandsFor({ kind: 'iscsi', portal: 'san1.lab:3261', iqn: IQN }, OPTS),
  ];
  for (const s of all) {
    if (s.op !== 'exec') continue;
    for (const arg of s.argv) assert.doesNotMatch(arg, /[\s;&|$`'"<>]/, arg);
  }
});

test('host commands - iSCSI names are checked and lowercased', () => {
  assert.equal(parseIqn('IQN.2004-01.COM.Example:Disk1'), 'iqn.2004-01.com.example:disk1');
  assert.equal(parseIqn('eui.02004567A425678D'), 'eui.02004567a425678d');
  assert.equal(parseIqn('naa.52004567BA64678D'), 'naa.52004567ba64678d');
  for (const bad of [
    '',
    'iqn',
    'iqn.2004.com.example',
    'iqn.2004-13.com.example',
    'iqn.2004-01.',
    'iqn.2004-01.com.example:a b',
    'iqn.2004-01.com.example:x;reboot',
    'eui.123',
    'naa.xyz',
    `iqn.2004-01.com.example:${'a'.repeat(220)}`,
    'iqn.2004-01.-com.example',
  ]) {
    assert.throws(
      () => parseIqn(bad),
      (e: unknown) => e instanceof StorageError && e.field === 'iqn',
      bad,
    );
    assert.throws(
      () => hostCommandsFor({ kind: 'iscsi', portal: '10.0.0.5', iqn: bad }, OPTS),
      (e: unknown) => e instanceof StorageError && e.field === 'iqn',
      bad,
    );
  }
});

test('host commands - portals are host:port with 3260 by default', () => {
  assert.equal(parsePortal('10.0.0.5'), '10.0.0.5:3260');
  assert.equal(parsePortal('10.0.0.5:3261'), '10.0.0.5:3261');
  assert.equal(parsePortal('SAN1.lab'), 'san1.lab:3260');
  assert.equal(parsePortal('[fd00::5]:3260'), '[fd00::5]:3260');
  for (const bad of [
    '',
    ':3260',
    '10.0.0.5:0',
    '10.0.0.5:70000',
    '10.0.0.5:port',
    'fd00::5',
    '[not-v6]:3260',
    'san 1',
    'san1;reboot',
    '-p',
    'a:1:2',
  ]) {
    assert.throws(
      () => parsePortal(bad),
      (e: unknown) => e instanceof StorageError && e.field === 'portal',
      bad,
    );
    assert.throws(
      () => hostCommandsFor({ kind: 'iscsi', portal: bad, iqn: IQN }, OPTS),
      (e: unknown) => e instanceof StorageError && e.field === 'portal',
      bad,
    );
  }
});

test('host commands - iSCSI LUN device paths (bare or phy:) read as that LUN', () => {
  const dev = iscsiDevicePath({ portal: '10.0.0.5', iqn: IQN }, 0);
  assert.equal(dev, `/dev/disk/by-path/ip-10.0.0.5:3260-iscsi-${IQN}-lun-0`);
  const lun = { kind: 'iscsi', portal: '10.0.0.5:3260', iqn: IQN, lun: 0, format: 'raw' };
  assert.deepEqual(parseStorageList(`phy:${dev}`), [lun]);
  assert.deepEqual(parseStorageList(dev), [lun]);
  assert.throws(
    () => iscsiDevicePath({ portal: '10.0.0.5', iqn: IQN }, -1),
    (e: unknown) => e instanceof StorageError && e.field === 'lun',
  );
});

test('host commands - fstab lines refuse fields that would split', () => {
  assert.equal(nfsFstabLine('f', '/e', '/m'), 'f:/e /m nfs defaults,_netdev 0 0');
  assert.throws(
    () => nfsFstabLine('f', '/e x', '/m'),
    (e: unknown) => e instanceof StorageError && e.field === 'exportPath',
  );
  assert.throws(
    () => nfsFstabLine('f', '/e', '/m#x'),
    (e: unknown) => e instanceof StorageError && e.field === 'mountPoint',
  );
  assert.throws(
    () => nfsFstabLine('', '/e', '/m'),
    (e: unknown) => e instanceof StorageError && e.field === 'server',
  );
});
