import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  dom0MemArgument,
  editGrubDefault,
  editMenuLst,
  findXenMenuEntry,
  getShellVar,
  isXenImage,
  listMenuLstEntries,
  replaceToken,
} from './grub.js';
import { HostConfigError } from './errors.js';
import { DEFAULT_GRUB, DEFAULT_GRUB_PLAIN, GRUB_CFG, MENU_LST } from './testdata/samples.js';

const DEFAULT = '/etc/default/grub';
const MENU = '/boot/grub/menu.lst';
const CFG = '/boot/grub/grub.cfg';

test('grub - dom0_mem replaces the existing token and keeps the others, quoting and spacing', () => {
  const after = editGrubDefault(DEFAULT_GRUB, DEFAULT, { dom0Mem: '4G' });
  assert.equal(
    after,
    DEFAULT_GRUB.replace(
      "GRUB_CMDLINE_XEN_DEFAULT='loglvl=all  dom0_mem=512M guest_loglvl=all'",
      "GRUB_CMDLINE_XEN_DEFAULT='loglvl=all  dom0_mem=4G,max:4G guest_loglvl=all'",
    ),
  );
  assert.notEqual(after, DEFAULT_GRUB);
  assert.equal(getShellVar(after, DEFAULT, 'GRUB_CMDLINE_XEN_DEFAULT'), 'loglvl=all  dom0_mem=4G,max:4G guest_loglvl=all');
});

test('grub - a commented-out variable gets its active line right after; GRUB_DEFAULT is quoted for the shell', () => {
  const want = 'gnulinux-advanced-7f3c>xen-hypervisor-4.17-amd64-7f3c>xen-gnulinux-6.1.0-18-amd64-advanced-7f3c';
  const after = editGrubDefault(DEFAULT_GRUB_PLAIN, DEFAULT, { dom0Mem: '2048M', grubDefault: want });
  assert.equal(
    after,
    [
      `GRUB_DEFAULT="${want}"`,
      'GRUB_TIMEOUT=5',
      'GRUB_CMDLINE_LINUX_DEFAULT="quiet"',
      'GRUB_CMDLINE_LINUX=""',
      '#GRUB_CMDLINE_XEN_DEFAULT=""',
      'GRUB_CMDLINE_XEN_DEFAULT="dom0_mem=2048M,max:2048M"',
      '',
    ].join('\n'),
  );
  assert.equal(getShellVar(after, DEFAULT, 'GRUB_DEFAULT'), want);
  const titled = editGrubDefault(DEFAULT_GRUB_PLAIN, DEFAULT, { grubDefault: 'Debian GNU/Linux, with Xen "4.17" $x' });
  assert.equal(getShellVar(titled, DEFAULT, 'GRUB_DEFAULT'), 'Debian GNU/Linux, with Xen "4.17" $x');
});

test('grub - /etc/default/grub edits are idempotent', () => {
  const opts = { dom0Mem: '4G', grubDefault: 'xen-gnulinux-simple-7f3c' };
  for (const text of [DEFAULT_GRUB, DEFAULT_GRUB_PLAIN, '']) {
    const once = editGrubDefault(text, DEFAULT, opts);
    assert.notEqual(once, text);
    assert.equal(editGrubDefault(once, DEFAULT, opts), once);
  }
});

test('grub - duplicates of a variable collapse to the last, and GRUB_CMDLINE_XEN keeps agreeing', () => {
  const text = [
    'GRUB_CMDLINE_XEN_DEFAULT="dom0_mem=1G"',
    'GRUB_CMDLINE_XEN="dom0_mem=1G,max:1G console=vga"',
    'GRUB_CMDLINE_XEN_DEFAULT=dom0_mem=2G',
    '',
  ].join('\n');
  const after = editGrubDefault(text, DEFAULT, { dom0Mem: '3G' });
  assert.equal(
    after,
    [
      '#GRUB_CMDLINE_XEN_DEFAULT="dom0_mem=1G"',
      'GRUB_CMDLINE_XEN="dom0_mem=3G,max:3G console=vga"',
      'GRUB_CMDLINE_XEN_DEFAULT=dom0_mem=3G,max:3G',
      '',
    ].join('\n'),
  );
  // GRUB_CMDLINE_XEN without dom0_mem is not given one.
  const plain = 'GRUB_CMDLINE_XEN="console=vga"\n';
  assert.equal(editGrubDefault(plain, DEFAULT, { dom0Mem: '3G' }), `${plain}GRUB_CMDLINE_XEN_DEFAULT="dom0_mem=3G,max:3G"\n`);
});

test('grub - a variable built from itself or with mixed quoting is refused, not guessed at', () => {
  const chain = 'GRUB_CMDLINE_XEN_DEFAULT="loglvl=all"\nGRUB_CMDLINE_XEN_DEFAULT="$GRUB_CMDLINE_XEN_DEFAULT dom0_mem=1G"\n';
  assert.throws(
    () => editGrubDefault(chain, DEFAULT, { dom0Mem: '2G' }),
    (err: unknown) => err instanceof HostConfigError && err.code === 'unsupported' && err.file === DEFAULT && err.line === 2,
  );
  const mixed = `GRUB_CMDLINE_XEN_DEFAULT="a"'b'\n`;
  assert.throws(
    () => editGrubDefault(mixed, DEFAULT, { dom0Mem: '2G' }),
    (err: unknown) => err instanceof HostConfigError && err.code === 'unsupported',
  );
  assert.throws(
    () => editGrubDefault('GRUB_DEFAULT=0\nGRUB_CMDLINE_XEN_DEFAULT="dom0_mem=1G\n', DEFAULT, { dom0Mem: '2G' }),
    (err: unknown) => err instanceof HostConfigError && err.code === 'syntax' && err.line === 2,
  );
  assert.throws(
    () => editGrubDefault('', DEFAULT, { dom0Mem: 'lots' }),
    (err: unknown) => err instanceof HostConfigError && err.code === 'invalid-option',
  );
});

test('grub - tokens: replace the last match, drop the others, or append', () => {
  assert.equal(replaceToken('a dom0_mem=1G b', 'dom0_mem=', 'dom0_mem=2G'), 'a dom0_mem=2G b');
  assert.equal(replaceToken('dom0_mem=1G a  dom0_mem=5G', 'dom0_mem=', 'X'), 'a  X');
  assert.equal(replaceToken('a dom0_mem=1G', 'dom0_mem=', 'X'), 'a X');
  assert.equal(replaceToken('', 'dom0_mem=', 'X'), 'X');
  assert.equal(replaceToken('a ', 'dom0_mem=', 'X'), 'a X');
  assert.equal(dom0MemArgument('4G'), 'dom0_mem=4G,max:4G');
});

test('grub - the Xen entry of grub.cfg is found through its submenus', () => {
  const e = findXenMenuEntry(GRUB_CFG, CFG);
  assert.equal(e.title, 'Debian GNU/Linux, with Xen 4.17-amd64 and Linux 6.1.0-18-amd64');
  assert.equal(e.id, 'xen-gnulinux-6.1.0-18-amd64-advanced-7f3c');
  assert.equal(e.grubDefault, 'gnulinux-advanced-7f3c>xen-hypervisor-4.17-amd64-7f3c>xen-gnulinux-6.1.0-18-amd64-advanced-7f3c');
  assert.equal(e.line, 14);
  const noXen = GRUB_CFG.slice(0, GRUB_CFG.indexOf('### BEGIN /etc/grub.d/20_linux_xen'));
  assert.throws(
    () => findXenMenuEntry(noXen, CFG),
    (err: unknown) =>
      err instanceof HostConfigError && err.code === 'missing-entry' && err.file === CFG && /Xen hypervisor/.test(err.message),
  );
});

test('grub - Xen images are told from Linux kernels', () => {
  for (const p of ['/xen.gz', '/boot/xen-4.17-amd64.gz', '(hd0,0)/xen.gz-2.6.18-92.el5', '/boot/xen']) assert.ok(isXenImage(p), p);
  for (const p of ['/vmlinuz-2.6.18-92.el5xen', '/boot/xenial.img', '/boot/vmlinuz']) assert.ok(!isXenImage(p), p);
});

test('grub - menu.lst: default points at the first Xen title and its kernel line gets dom0_mem', () => {
  const entries = listMenuLstEntries(MENU_LST);
  assert.deepEqual(
    entries.map((e) => [e.index, e.xen]),
    [
      [0, false],
      [1, true],
    ],
  );
  const after = editMenuLst(MENU_LST, MENU, { dom0Mem: '1024M' });
  assert.equal(
    after,
    MENU_LST.replace('default=0', 'default=1').replace(
      '\tkernel /xen.gz-2.6.18-92.el5\n',
      '\tkernel /xen.gz-2.6.18-92.el5 dom0_mem=1024M,max:1024M\n',
    ),
  );
  assert.equal(editMenuLst(after, MENU, { dom0Mem: '1024M' }), after);
  const changed = editMenuLst(after, MENU, { dom0Mem: '2G' });
  assert.match(changed, /\tkernel \/xen\.gz-2\.6\.18-92\.el5 dom0_mem=2G,max:2G\n/);
});

test('grub - menu.lst without a default line gets one before the first global command', () => {
  const text = '# my menu\n\ntimeout 5\ntitle Xen\n  kernel /boot/xen.gz noreboot\n  module /boot/vmlinuz\n';
  const after = editMenuLst(text, MENU, { dom0Mem: '512M' });
  assert.equal(
    after,
    '# my menu\n\ndefault 0\ntimeout 5\ntitle Xen\n  kernel /boot/xen.gz noreboot dom0_mem=512M,max:512M\n  module /boot/vmlinuz\n',
  );
  const saved = 'default saved\ndefault 0\ntitle Linux\nkernel /vmlinuz\ntitle Xen\nkernel /xen.gz\n';
  assert.equal(
    editMenuLst(saved, MENU, { setDefault: true }),
    '#default saved\ndefault 1\ntitle Linux\nkernel /vmlinuz\ntitle Xen\nkernel /xen.gz\n',
  );
});

test('grub - menu.lst: the update-grub xenhopt line gets dom0_mem too', () => {
  const text =
    '## ## Start Default Options ##\n# xenhopt= dom0_mem=256M\n## ## End Default Options ##\ndefault 0\ntitle Xen\nkernel /boot/xen-3.2-1-amd64.gz dom0_mem=256M\n';
  const after = editMenuLst(text, MENU, { dom0Mem: '1G' });
  assert.match(after, /^# xenhopt= dom0_mem=1G,max:1G$/m);
  assert.match(after, /^kernel \/boot\/xen-3\.2-1-amd64\.gz dom0_mem=1G,max:1G$/m);
});

test('grub - menu.lst without a Xen entry is an error naming the file', () => {
  const noXen = MENU_LST.slice(0, MENU_LST.indexOf('title CentOS (2.6.18-92.el5xen)'));
  assert.throws(
    () => editMenuLst(noXen, MENU, { dom0Mem: '1G' }),
    (err: unknown) =>
      err instanceof HostConfigError &&
      err.code === 'missing-entry' &&
      err.message.startsWith(`${MENU}: `) &&
      /Xen hypervisor kernel/.test(err.message),
  );
  assert.throws(
    () => editMenuLst('timeout 5\n', MENU, {}),
    (err: unknown) => err instanceof HostConfigError && /no boot entries/.test(err.message),
  );
});
