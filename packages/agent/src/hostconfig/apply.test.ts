import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  readlinkSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { applyEdits, type Edit } from './apply.js';
import { HostConfigError } from './errors.js';
import { editSxp } from './sxp.js';
import { getShellVar } from './grub.js';
import { changedLines, tempRoot } from './testdata/helpers.js';
import { DEFAULT_GRUB, GRUB_CFG, LIBVIRTD_CONF, MENU_LST, QEMU_CONF, XEND_CONFIG } from './testdata/samples.js';

const XEND = '/etc/xen/xend-config.sxp';

const SXP_SET = { 'xend-relocation-server': true, 'xend-relocation-port': 8002 };
const SXP_PLAN: Edit[] = [{ kind: 'sxp', path: XEND, set: SXP_SET }];

function walk(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((d) => (d.isDirectory() ? walk(join(dir, d.name)) : [join(dir, d.name)]));
}

test('apply - writes under the root, keeps a .drover-bak and diffs exactly the changed lines', (t) => {
  const r = tempRoot({ [XEND]: XEND_CONFIG });
  t.after(r.cleanup);
  const [res, ...rest] = applyEdits(r.root, SXP_PLAN);
  assert.equal(rest.length, 0);
  assert.ok(res);
  assert.equal(res.path, XEND);
  assert.equal(res.file, r.at(XEND));
  assert.equal(res.changed, true);
  assert.equal(res.backup, `${r.at(XEND)}.drover-bak`);
  assert.equal(readFileSync(`${r.at(XEND)}.drover-bak`, 'utf8'), XEND_CONFIG);
  assert.equal(readFileSync(r.at(XEND), 'utf8'), editSxp(XEND_CONFIG, XEND, SXP_SET));
  assert.deepEqual(changedLines(res.diff), {
    removed: ['(xend-relocation-server no)'],
    added: ['(xend-relocation-server yes)', '(xend-relocation-port 8002)'],
  });
  assert.match(res.diff, /^--- \/etc\/xen\/xend-config\.sxp/m);
  // Nothing but the file and its backup exists under the root.
  assert.deepEqual(
    walk(r.root)
      .map((f) => relative(r.root, f))
      .sort(),
    ['etc/xen/xend-config.sxp', 'etc/xen/xend-config.sxp.drover-bak'],
  );
});

test('apply - a second apply reports no change and leaves file and backup byte-identical', (t) => {
  const r = tempRoot({ [XEND]: XEND_CONFIG });
  t.after(r.cleanup);
  applyEdits(r.root, SXP_PLAN);
  const edited = readFileSync(r.at(XEND));
  const mtime = statSync(r.at(XEND)).mtimeMs;
  const [again] = applyEdits(r.root, SXP_PLAN);
  assert.deepEqual(again, { path: XEND, file: r.at(XEND), changed: false, diff: '' });
  assert.ok(readFileSync(r.at(XEND)).equals(edited));
  assert.equal(statSync(r.at(XEND)).mtimeMs, mtime);
  // The backup still holds the original, not the first edit's result.
  assert.equal(readFileSync(`${r.at(XEND)}.drover-bak`, 'utf8'), XEND_CONFIG);
});

test('apply - dry run returns the diff and writes nothing', (t) => {
  const r = tempRoot({ [XEND]: XEND_CONFIG });
  t.after(r.cleanup);
  const [res] = applyEdits(r.root, SXP_PLAN, { dryRun: true });
  assert.equal(res?.changed, true);
  assert.deepEqual(changedLines(res?.diff ?? '').added, ['(xend-relocation-server yes)', '(xend-relocation-port 8002)']);
  assert.equal(res?.backup, undefined);
  assert.equal(readFileSync(r.at(XEND), 'utf8'), XEND_CONFIG);
  assert.equal(existsSync(`${r.at(XEND)}.drover-bak`), false);
});

test('apply - a failing file stops the whole plan before anything is written', (t) => {
  const r = tempRoot({ '/etc/libvirt/qemu.conf': QEMU_CONF, '/etc/libvirt/libvirtd.conf': 'listen_tls = [ 1,\n' });
  t.after(r.cleanup);
  assert.throws(
    () =>
      applyEdits(r.root, [
        { kind: 'keyvalue', path: '/etc/libvirt/qemu.conf', set: { migration_port_min: 49152 } },
        { kind: 'keyvalue', path: '/etc/libvirt/libvirtd.conf', set: { listen_tls: 1 } },
      ]),
    (err: unknown) =>
      err instanceof HostConfigError && err.code === 'syntax' && err.file === '/etc/libvirt/libvirtd.conf' && err.line === 1,
  );
  assert.equal(readFileSync(r.at('/etc/libvirt/qemu.conf'), 'utf8'), QEMU_CONF);
  assert.equal(existsSync(r.at('/etc/libvirt/qemu.conf.drover-bak')), false);
});

test('apply - a missing file is an error unless the edit creates it', (t) => {
  const r = tempRoot();
  t.after(r.cleanup);
  const path = '/etc/libvirt/libxl.conf';
  assert.throws(
    () => applyEdits(r.root, [{ kind: 'keyvalue', path, set: { autoballoon: 0 } }]),
    (err: unknown) => err instanceof HostConfigError && err.code === 'missing-file' && err.file === path,
  );
  assert.equal(existsSync(r.at(path)), false);
  const [res] = applyEdits(r.root, [{ kind: 'keyvalue', path, set: { autoballoon: 0 }, createIfMissing: true }]);
  assert.equal(res?.changed, true);
  assert.equal(res?.backup, undefined);
  assert.equal(readFileSync(r.at(path), 'utf8'), 'autoballoon = 0\n');
  assert.equal(existsSync(`${r.at(path)}.drover-bak`), false);
});

test('apply - several edits of one file apply in order and give one result', (t) => {
  const r = tempRoot({ '/etc/libvirt/libvirtd.conf': LIBVIRTD_CONF });
  t.after(r.cleanup);
  const path = '/etc/libvirt/libvirtd.conf';
  const results = applyEdits(r.root, [
    { kind: 'keyvalue', path, set: { listen_addr: '10.0.0.9' } },
    { kind: 'keyvalue', path, set: { listen_addr: '10.0.0.1', listen_tls: 1 } },
  ]);
  assert.equal(results.length, 1);
  const text = readFileSync(r.at(path), 'utf8');
  assert.match(text, /^listen_addr = "10\.0\.0\.1"$/m);
  assert.doesNotMatch(text, /10\.0\.0\.9/);
});

test('apply - a symbolic link to the file is kept and its target edited inside the root', (t) => {
  const r = tempRoot({ '/boot/grub/grub.conf': MENU_LST });
  t.after(r.cleanup);
  symlinkSync('./grub.conf', r.at('/boot/grub/menu.lst'));
  mkdirSync(r.at('/etc'), { recursive: true });
  symlinkSync('/boot/grub/grub.conf', r.at('/etc/grub.conf')); // absolute: means the root's /boot
  const [res] = applyEdits(r.root, [{ kind: 'menu-lst', path: '/boot/grub/menu.lst', dom0Mem: '1G' }]);
  assert.equal(res?.file, r.at('/boot/grub/grub.conf'));
  assert.ok(lstatSync(r.at('/boot/grub/menu.lst')).isSymbolicLink());
  assert.equal(readlinkSync(r.at('/boot/grub/menu.lst')), './grub.conf');
  assert.match(readFileSync(r.at('/boot/grub/grub.conf'), 'utf8'), /^default=1$/m);
  const [viaAbsolute] = applyEdits(r.root, [{ kind: 'menu-lst', path: '/etc/grub.conf', dom0Mem: '1G' }]);
  assert.equal(viaAbsolute?.file, r.at('/boot/grub/grub.conf'));
  assert.equal(viaAbsolute?.changed, false);
});

test('apply - paths that would leave the root are refused', (t) => {
  const r = tempRoot();
  const outside = mkdtempSync(join(tmpdir(), 'drover-outside-'));
  t.after(() => {
    r.cleanup();
    rmSync(outside, { recursive: true, force: true });
  });
  writeFileSync(join(outside, 'xend-config.sxp'), XEND_CONFIG);
  mkdirSync(r.at('/etc'), { recursive: true });
  symlinkSync(outside, r.at('/etc/xen'));
  assert.throws(
    () => applyEdits(r.root, SXP_PLAN),
    (err: unknown) => err instanceof HostConfigError && err.code === 'outside-root',
  );
  assert.equal(readFileSync(join(outside, 'xend-config.sxp'), 'utf8'), XEND_CONFIG);
  assert.throws(
    () => applyEdits(r.root, [{ kind: 'sxp', path: 'etc/xen/xend-config.sxp', set: {} }]),
    (err: unknown) => err instanceof HostConfigError && err.code === 'invalid-option',
  );
  // '..' cannot climb out either: it stops at the root.
  const [res] = applyEdits(r.root, [{ kind: 'sxp', path: '/../../x.sxp', set: { a: 1 }, createIfMissing: true }]);
  assert.equal(res?.file, r.at('/x.sxp'));
});

test('apply - GRUB_DEFAULT can come from the grub.cfg under the root', (t) => {
  const r = tempRoot({ '/etc/default/grub': DEFAULT_GRUB, '/boot/grub/grub.cfg': GRUB_CFG });
  t.after(r.cleanup);
  const [res] = applyEdits(r.root, [
    { kind: 'grub-default', path: '/etc/default/grub', dom0Mem: '4G', xenEntryFrom: '/boot/grub/grub.cfg' },
  ]);
  assert.deepEqual(changedLines(res?.diff ?? ''), {
    removed: ['GRUB_DEFAULT=0', "GRUB_CMDLINE_XEN_DEFAULT='loglvl=all  dom0_mem=512M guest_loglvl=all'"],
    added: [
      'GRUB_DEFAULT="gnulinux-advanced-7f3c>xen-hypervisor-4.17-amd64-7f3c>xen-gnulinux-6.1.0-18-amd64-advanced-7f3c"',
      "GRUB_CMDLINE_XEN_DEFAULT='loglvl=all  dom0_mem=4G,max:4G guest_loglvl=all'",
    ],
  });
  assert.equal(
    getShellVar(readFileSync(r.at('/etc/default/grub'), 'utf8'), '/etc/default/grub', 'GRUB_DEFAULT'),
    'gnulinux-advanced-7f3c>xen-hypervisor-4.17-amd64-7f3c>xen-gnulinux-6.1.0-18-amd64-advanced-7f3c',
  );
});
