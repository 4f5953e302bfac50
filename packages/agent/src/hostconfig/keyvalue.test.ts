import { test } from 'node:test';
import assert from 'node:assert/strict';
import { editKeyValue, getKeyValue, parseKeyValue, renderKvValue } from './keyvalue.js';
import { HostConfigError } from './errors.js';
import { LIBVIRTD_CONF, QEMU_CONF, XL_CONF } from './testdata/samples.js';

const QEMU = '/etc/libvirt/qemu.conf';
const LIBVIRTD = '/etc/libvirt/libvirtd.conf';
const XL = '/etc/xen/xl.conf';

const MIGRATION = {
  migration_address: '10.0.0.1',
  migration_host: '10.0.0.1',
  migration_port_min: 49152,
  migration_port_max: 49215,
  migrate_tls_force: true,
};

const LISTENERS = {
  listen_tls: 1,
  listen_tcp: 0,
  listen_addr: '10.0.0.1',
  auth_tls: 'none',
  tls_allowed_dn_list: ['CN=node02', '*,CN=node02'],
  key_file: '/etc/pki/libvirt/private/serverkey.pem',
};

test('keyvalue - parses strings, numbers, multi-line lists and trailing comments', () => {
  const st = parseKeyValue(QEMU_CONF, QEMU);
  assert.deepEqual(
    st.map((s) => s.key),
    ['vnc_listen', 'security_driver', 'user', 'group'],
  );
  assert.deepEqual(getKeyValue(QEMU_CONF, QEMU, 'vnc_listen'), { kind: 'string', text: '0.0.0.0' });
  assert.deepEqual(getKeyValue(QEMU_CONF, QEMU, 'security_driver'), {
    kind: 'list',
    items: [
      { kind: 'string', text: 'apparmor' },
      { kind: 'string', text: 'dac' },
    ],
  });
  assert.deepEqual(getKeyValue(LIBVIRTD_CONF, LIBVIRTD, 'listen_tcp'), { kind: 'number', text: '1' });
  assert.deepEqual(getKeyValue('a = """x\ny"""\n', QEMU, 'a'), { kind: 'string', text: 'x\ny' });
  assert.deepEqual(getKeyValue("a = 'x' ; b = -3\n", QEMU, 'b'), { kind: 'number', text: '-3' });
});

test('keyvalue - qemu.conf migration settings land after their commented defaults', () => {
  const after = editKeyValue(QEMU_CONF, QEMU, MIGRATION);
  const lines = after.split('\n');
  const follows = (commented: string, active: string): void => {
    const i = lines.indexOf(commented);
    assert.ok(i >= 0, `missing ${commented}`);
    assert.equal(lines[i + 1], active);
  };
  follows('#migration_address = "0.0.0.0"', 'migration_address = "10.0.0.1"');
  follows('#migration_host = "host.example.com"', 'migration_host = "10.0.0.1"');
  follows('#migration_port_min = 49152', 'migration_port_min = 49152');
  follows('#migration_port_max = 49215', 'migration_port_max = 49215');
  follows('#migrate_tls_force = 0', 'migrate_tls_force = 1');
  // Nothing else moved: removing the five new lines gives back the original.
  const added = new Set([
    'migration_address = "10.0.0.1"',
    'migration_host = "10.0.0.1"',
    'migration_port_min = 49152',
    'migration_port_max = 49215',
    'migrate_tls_force = 1',
  ]);
  assert.equal(lines.filter((l) => !added.has(l)).join('\n'), QEMU_CONF);
});

test('keyvalue - editing an existing value keeps its spacing and trailing comment', () => {
  const after = editKeyValue(QEMU_CONF, QEMU, { vnc_listen: '127.0.0.1' });
  assert.match(after, /^vnc_listen {3}= {4}"127\.0\.0\.1" {4}# opened up for the lab, see ticket 12$/m);
  assert.equal(after.replace('"127.0.0.1"', '"0.0.0.0"'), QEMU_CONF);
});

test('keyvalue - a multi-line list value is replaced whole, a multi-line commented list is stepped over', () => {
  const after = editKeyValue(QEMU_CONF, QEMU, { security_driver: ['none'], cgroup_device_acl: ['/dev/null', '/dev/kvm'] });
  assert.match(after, /^security_driver = \["none"\] {3}# both, in this order$/m);
  assert.doesNotMatch(after, /"dac" \]/);
  assert.match(after, /^#\]\ncgroup_device_acl = \["\/dev\/null", "\/dev\/kvm"\]$/m);
  // The same list written differently counts as equal: no change.
  assert.equal(editKeyValue(QEMU_CONF, QEMU, { security_driver: ['apparmor', 'dac'] }), QEMU_CONF);
});

test('keyvalue - libvirtd.conf: duplicates of listen_tcp collapse to one, the last', () => {
  const after = editKeyValue(LIBVIRTD_CONF, LIBVIRTD, LISTENERS);
  assert.deepEqual(
    parseKeyValue(after, LIBVIRTD)
      .filter((s) => s.key === 'listen_tcp')
      .map((s) => after.slice(s.start, s.end)),
    ['listen_tcp=0'],
  );
  // The earlier active copy is now commented out, the commented default above it untouched.
  assert.match(after, /^#listen_tcp = 1\n#listen_tcp = 1\n/m);
  assert.match(after, /^#listen_tls = 0\nlisten_tls = 1$/m);
  assert.match(after, /^#listen_addr = "192\.168\.0\.1"\nlisten_addr = "10\.0\.0\.1"$/m);
  assert.match(after, /^#tls_allowed_dn_list = \["DN1", "DN2"\]\ntls_allowed_dn_list = \["CN=node02", "\*,CN=node02"\]$/m);
  assert.match(
    after,
    /^#key_file = "\/etc\/pki\/libvirt\/private\/serverkey\.pem"\nkey_file = "\/etc\/pki\/libvirt\/private\/serverkey\.pem"$/m,
  );
  // An unrelated insecure line the edit did not ask about stays; relocation.ts sets it.
  assert.match(after, /^auth_tcp = "none" {3}# FIXME lab only$/m);
});

test('keyvalue - applying twice changes nothing the second time', () => {
  for (const [text, file, set] of [
    [QEMU_CONF, QEMU, MIGRATION],
    [LIBVIRTD_CONF, LIBVIRTD, LISTENERS],
    [XL_CONF, XL, { autoballoon: 'off' }],
  ] as const) {
    const once = editKeyValue(text, file, set);
    assert.notEqual(once, text);
    assert.equal(editKeyValue(once, file, set), once);
  }
});

test('keyvalue - xl.conf keeps its key="value" spacing', () => {
  const after = editKeyValue(XL_CONF, XL, { autoballoon: 'off', 'vif.default.bridge': 'br0' });
  assert.match(after, /^#autoballoon="auto"\nautoballoon="off"$/m);
  assert.match(after, /^#vif.default.bridge="xenbr0"\nvif.default.bridge="br0"$/m);
});

test('keyvalue - missing keys are appended; null comments a key out', () => {
  assert.equal(editKeyValue('a = 1', QEMU, { b: 'x' }), 'a = 1\nb = "x"\n');
  assert.equal(editKeyValue('', QEMU, { b: 2 }), 'b = 2\n');
  assert.equal(editKeyValue('a = 1\nb = 2 # why\n', QEMU, { b: null }), 'a = 1\n#b = 2 # why\n');
  assert.equal(editKeyValue('a = 1; b = 2\n', QEMU, { a: null }), ' b = 2\n');
  const list = 'x = [ "a",\n      "b" ]\ny = 1\n';
  assert.equal(editKeyValue(list, QEMU, { x: null }), '#x = [ "a",\n#      "b" ]\ny = 1\n');
});

test('keyvalue - malformed files are errors naming the file and the line', () => {
  const cases: [string, number, RegExp][] = [
    ['a = 1\nb = [ "x",\n  "y"\n', 2, /not closed/],
    ['a = 1\n\nb = "open\n', 3, /unterminated string/],
    ['a = 1\nlisten_tls 1\n', 2, /expected '='/],
    ['a = yes\n', 1, /expected a value/],
    ['a = 1 2\n', 1, /unexpected text/],
  ];
  for (const [text, line, re] of cases) {
    assert.throws(
      () => editKeyValue(text, LIBVIRTD, { listen_tls: 1 }),
      (err: unknown) =>
        err instanceof HostConfigError && err.code === 'syntax' && err.file === LIBVIRTD && err.line === line && re.test(err.message),
      JSON.stringify(text),
    );
  }
});

test('keyvalue - values are rendered in libvirt syntax and impossible ones refused', () => {
  assert.equal(renderKvValue(true), '1');
  assert.equal(renderKvValue(false), '0');
  assert.equal(renderKvValue('C=GB,O="x"'), `'C=GB,O="x"'`);
  assert.equal(renderKvValue(['a', 'b']), '["a", "b"]');
  assert.throws(() => renderKvValue(`both ' and "`), HostConfigError);
  assert.throws(() => renderKvValue(1.5), HostConfigError);
  assert.throws(() => editKeyValue('', QEMU, { 'bad key': 1 }), HostConfigError);
});
