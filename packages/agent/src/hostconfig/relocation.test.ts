import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { applyEdits } from './apply.js';
import { HostConfigError } from './errors.js';
import { getKeyValue, parseKeyValue, type KvParsed } from './keyvalue.js';
import { getSxpValue } from './sxp.js';
import { getShellVar } from './grub.js';
import { bootloaderEdits, planRelocationConfig, type RelocationOptions } from './relocation.js';
import { tempRoot } from './testdata/helpers.js';
import { DEFAULT_GRUB_PLAIN, GRUB_CFG, LIBVIRTD_CONF, MENU_LST, QEMU_CONF, XEND_CONFIG, XL_CONF } from './testdata/samples.js';

const PEERS = [
  { name: 'node02', addresses: ['10.0.0.2'] },
  { name: 'node03', addresses: ['10.0.0.3'] },
];

const BASE: RelocationOptions = { hypervisor: 'kvm', ip: '10.0.0.1', peers: PEERS, tls: true };

const str = (text: string): KvParsed => ({ kind: 'string', text });
const num = (n: number): KvParsed => ({ kind: 'number', text: String(n) });

function read(root: { at(p: string): string }, path: string): string {
  return readFileSync(root.at(path), 'utf8');
}

test('relocation - kvm: qemu.conf migration settings and a TLS-only libvirtd', (t) => {
  const r = tempRoot({ '/etc/libvirt/qemu.conf': QEMU_CONF, '/etc/libvirt/libvirtd.conf': LIBVIRTD_CONF });
  t.after(r.cleanup);
  const plan = planRelocationConfig({ ...BASE, portMin: 49200, portMax: 49250 });
  assert.deepEqual(
    plan.map((e) => e.path),
    ['/etc/libvirt/qemu.conf', '/etc/libvirt/libvirtd.conf'],
  );
  const results = applyEdits(r.root, plan);
  assert.ok(results.every((x) => x.changed));

  const qemu = read(r, '/etc/libvirt/qemu.conf');
  const q = (k: string): KvParsed | undefined => getKeyValue(qemu, 'qemu.conf', k);
  assert.deepEqual(q('migration_address'), str('10.0.0.1'));
  assert.deepEqual(q('migration_host'), str('10.0.0.1'));
  assert.deepEqual(q('migration_port_min'), num(49200));
  assert.deepEqual(q('migration_port_max'), num(49250));
  assert.deepEqual(q('migrate_tls_force'), num(1));
  assert.deepEqual(q('vnc_listen'), str('0.0.0.0')); // not asked for: untouched

  const conf = read(r, '/etc/libvirt/libvirtd.conf');
  const l = (k: string): KvParsed | undefined => getKeyValue(conf, 'libvirtd.conf', k);
  assert.deepEqual(l('listen_tls'), num(1));
  assert.deepEqual(
    parseKeyValue(conf, 'libvirtd.conf')
      .filter((s) => s.key === 'listen_tcp')
      .map((s) => s.value),
    [num(0)],
  );
  assert.deepEqual(l('listen_addr'), str('10.0.0.1'));
  assert.deepEqual(l('auth_tls'), str('none'));
  assert.deepEqual(l('auth_tcp'), str('sasl')); // the lab's "none" is gone
  assert.deepEqual(l('tls_no_verify_certificate'), num(0));
  assert.deepEqual(l('tls_allowed_dn_list'), {
    kind: 'list',
    items: ['CN=node02', '*,CN=node02', 'CN=node03', '*,CN=node03'].map(str),
  });

  const again = applyEdits(r.root, plan);
  assert.ok(again.every((x) => !x.changed && x.diff === ''));
});

test('relocation - kvm without migration TLS turns the force off; TCP only ever with SASL', () => {
  const [qemu, libvirtd] = planRelocationConfig({
    ...BASE,
    tls: false,
    libvirtdTcp: { auth: 'sasl' },
    tlsFiles: { keyFile: '/k.pem', certFile: '/c.pem', caFile: '/ca.pem' },
    vncListen: '127.0.0.1',
  });
  assert.equal(qemu?.kind, 'keyvalue');
  assert.equal(libvirtd?.kind, 'keyvalue');
  if (qemu?.kind !== 'keyvalue' || libvirtd?.kind !== 'keyvalue') return;
  assert.equal(qemu.set.migrate_tls_force, false);
  assert.equal(qemu.set.vnc_listen, '127.0.0.1');
  assert.equal(qemu.set.migration_port_min, 49152);
  assert.equal(qemu.set.migration_port_max, 49215);
  assert.equal(libvirtd.set.listen_tcp, 1);
  assert.equal(libvirtd.set.auth_tcp, 'sasl');
  assert.equal(libvirtd.set.listen_tls, 1);
  assert.deepEqual([libvirtd.set.key_file, libvirtd.set.cert_file, libvirtd.set.ca_file], ['/k.pem', '/c.pem', '/ca.pem']);
});

test('relocation - xen-libxl: dom0 autoballoon off in xl.conf and libxl.conf, libvirtd as for kvm', (t) => {
  const r = tempRoot({ '/etc/xen/xl.conf': XL_CONF, '/etc/libvirt/libvirtd.conf': LIBVIRTD_CONF });
  t.after(r.cleanup);
  const plan = planRelocationConfig({ ...BASE, hypervisor: 'xen-libxl', tlsAllowedDn: ['O=drover,CN=*'] });
  assert.deepEqual(
    plan.map((e) => e.path),
    ['/etc/xen/xl.conf', '/etc/libvirt/libxl.conf', '/etc/libvirt/libvirtd.conf'],
  );
  applyEdits(r.root, plan);
  assert.match(read(r, '/etc/xen/xl.conf'), /^#autoballoon="auto"\nautoballoon="off"$/m);
  assert.equal(read(r, '/etc/libvirt/libxl.conf'), 'autoballoon = 0\n');
  assert.deepEqual(getKeyValue(read(r, '/etc/libvirt/libvirtd.conf'), 'libvirtd.conf', 'tls_allowed_dn_list'), {
    kind: 'list',
    items: [str('O=drover,CN=*')],
  });
  assert.ok(applyEdits(r.root, plan).every((x) => !x.changed));
});

test('relocation - xen-xend: relocation server restricted to the peers', (t) => {
  const r = tempRoot({ '/etc/xen/xend-config.sxp': XEND_CONFIG });
  t.after(r.cleanup);
  const plan = planRelocationConfig({ ...BASE, hypervisor: 'xen-xend', tls: false });
  applyEdits(r.root, plan);
  const text = read(r, '/etc/xen/xend-config.sxp');
  const v = (k: string): string | undefined => getSxpValue(text, 'xend-config.sxp', k);
  assert.equal(v('xend-relocation-server'), 'yes');
  assert.equal(v('xend-relocation-port'), '8002');
  assert.equal(v('xend-relocation-address'), '10.0.0.1');
  assert.equal(v('xend-relocation-hosts-allow'), '^node02$ ^10\\.0\\.0\\.2$ ^node03$ ^10\\.0\\.0\\.3$');
  assert.equal(v('vnc-listen'), '127.0.0.1');
  assert.equal(v('xend-relocation-ssl-server'), 'no');
  assert.ok(applyEdits(r.root, plan).every((x) => !x.changed));
});

test('relocation - xen-xend with tls uses the SSL relocation server only', () => {
  assert.throws(
    () => planRelocationConfig({ ...BASE, hypervisor: 'xen-xend' }),
    (err: unknown) => err instanceof HostConfigError && err.code === 'invalid-option' && /xendSsl/.test(err.message),
  );
  const [edit] = planRelocationConfig({ ...BASE, hypervisor: 'xen-xend', xendSsl: { keyFile: 'xmlrpc.key', certFile: 'xmlrpc.crt' } });
  assert.equal(edit?.kind, 'sxp');
  if (edit?.kind !== 'sxp') return;
  assert.equal(edit.set['xend-relocation-server'], false);
  assert.equal(edit.set['xend-relocation-ssl-server'], true);
  assert.equal(edit.set['xend-relocation-ssl-port'], 8003);
  assert.equal(edit.set['xend-relocation-server-ssl-key-file'], 'xmlrpc.key');
  assert.equal(edit.set['xend-relocation-server-ssl-cert-file'], 'xmlrpc.crt');
});

test('relocation - options that cannot be written safely are refused', () => {
  const bad: [Partial<RelocationOptions>, RegExp][] = [
    [{ ip: 'node01' }, /not an IP address/],
    [{ peers: [] }, /no relocation peers/],
    [{ peers: [{ name: 'node 2', addresses: [] }] }, /not a host name/],
    [{ peers: [{ name: 'node02', addresses: ['10.0.0.256'] }] }, /not an IP address/],
    [{ portMin: 50000, portMax: 49999 }, /above portMax/],
    [{ portMin: 0 }, /port number/],
    [{ tlsAllowedDn: [] }, /empty/],
    [{ vncListen: '*' }, /vncListen/],
  ];
  for (const [patch, re] of bad) {
    assert.throws(
      () => planRelocationConfig({ ...BASE, ...patch }),
      (err: unknown) => err instanceof HostConfigError && err.code === 'invalid-option' && re.test(err.message),
      JSON.stringify(patch),
    );
  }
  assert.throws(() => planRelocationConfig({ ...BASE, hypervisor: 'xen-xend', tls: false, peers: [] }), /no relocation peers/);
});

test('relocation - bootloader edits for grub2 and legacy GRUB', (t) => {
  const r = tempRoot({ '/etc/default/grub': DEFAULT_GRUB_PLAIN, '/boot/grub/grub.cfg': GRUB_CFG, '/boot/grub/menu.lst': MENU_LST });
  t.after(r.cleanup);
  const grub2 = bootloaderEdits({ style: 'grub2', dom0Mem: '4G' });
  assert.deepEqual(grub2, [{ kind: 'grub-default', path: '/etc/default/grub', dom0Mem: '4G', xenEntryFrom: '/boot/grub/grub.cfg' }]);
  const legacy = bootloaderEdits({ style: 'legacy', dom0Mem: '4G' });
  applyEdits(r.root, [...grub2, ...legacy]);
  const def = read(r, '/etc/default/grub');
  assert.equal(getShellVar(def, 'grub', 'GRUB_CMDLINE_XEN_DEFAULT'), 'dom0_mem=4G,max:4G');
  assert.match(getShellVar(def, 'grub', 'GRUB_DEFAULT') ?? '', /^gnulinux-advanced-7f3c>.*>xen-gnulinux-6\.1\.0-18-amd64-advanced-7f3c$/);
  const menu = read(r, '/boot/grub/menu.lst');
  assert.match(menu, /^default=1$/m);
  assert.match(menu, /^\tkernel \/xen\.gz-2\.6\.18-92\.el5 dom0_mem=4G,max:4G$/m);
  assert.ok(applyEdits(r.root, [...grub2, ...legacy]).every((x) => !x.changed));

  assert.deepEqual(bootloaderEdits({ style: 'grub2', dom0Mem: '1G', grubDefault: '2' })[0], {
    kind: 'grub-default',
    path: '/etc/default/grub',
    dom0Mem: '1G',
    grubDefault: '2',
  });
  assert.throws(() => bootloaderEdits({ style: 'legacy', dom0Mem: '1 G' }), HostConfigError);
});
