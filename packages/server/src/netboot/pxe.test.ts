import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { NetbootInputError } from './errors.js';
import { applyFiles } from './managed-block.js';
import {
  autoinstUrl,
  installFiles,
  ipxeScriptUrl,
  localBootFiles,
  osFamily,
  pxelinuxConfigPath,
  removeBootFiles,
  type InstallInput,
} from './pxe.js';
import { SITE, tempDir } from './test-fixtures.js';

const TOKEN = 'Zm9vYmFyYmF6cXV4MTIzNDU2';
const RHEL: InstallInput = {
  node: 'node01',
  mac: '52:54:00:AA:00:01',
  os: 'rhels9.4',
  arch: 'x86_64',
  profile: 'compute',
  token: TOKEN,
  console: 'ttyS0,115200',
};

function content(files: ReturnType<typeof installFiles>, suffix: string): string {
  const f = files.find((x) => x.path.endsWith(suffix));
  assert.ok(f, `no file ending ${suffix} in ${files.map((x) => x.path).join(', ')}`);
  assert.equal(typeof f.content, 'string');
  return f.content as string;
}

test('pxe - rhel install: iPXE script with kernel args, kickstart URL and token', () => {
  const files = installFiles(SITE, RHEL);
  assert.deepEqual(
    files.map((f) => f.path),
    ['/tftpboot/ipxe/node01.ipxe', '/tftpboot/pxelinux.cfg/01-52-54-00-aa-00-01'],
  );
  const media = 'http://10.10.10.1:8080/install/rhels9.4/x86_64';
  const ks = `http://10.10.10.1:8080/install/autoinst/node01.ks?token=${TOKEN}`;
  assert.equal(
    content(files, '.ipxe'),
    [
      '#!ipxe',
      '# drover: install node01 with rhels9.4 x86_64 profile compute (written by nodeset; replaced on the next nodeset)',
      `kernel ${media}/images/pxeboot/vmlinuz initrd=initrd.img inst.repo=${media} inst.ks=${ks} ip=dhcp console=tty0 console=ttyS0,115200 BOOTIF=01-\${netX/mac:hexhyp} || goto failed`,
      `initrd ${media}/images/pxeboot/initrd.img || goto failed`,
      'boot || goto failed',
      ':failed',
      'echo drover: network install of node01 could not start; leaving to the next boot device in 10 seconds',
      'sleep 10',
      'exit 1',
      '',
    ].join('\n'),
  );
  const cfg = content(files, '01-52-54-00-aa-00-01');
  assert.match(cfg, /^DEFAULT drover-install$/m);
  assert.match(cfg, new RegExp(`^  KERNEL ${media}/images/pxeboot/vmlinuz$`, 'm'));
  assert.ok(
    cfg.includes(
      `  APPEND initrd=${media}/images/pxeboot/initrd.img inst.repo=${media} inst.ks=${ks} ip=dhcp console=tty0 console=ttyS0,115200\n`,
    ),
  );
  assert.match(cfg, /^ {2}IPAPPEND 2$/m);
});

test('pxe - debian and ubuntu installs use preseed with auto url=', () => {
  for (const [os, distro] of [
    ['debian12', 'debian'],
    ['ubuntu22.04', 'ubuntu'],
  ] as const) {
    const script = content(installFiles(SITE, { node: 'node02', os, arch: 'aarch64', profile: 'compute', token: TOKEN }), '.ipxe');
    const base = `http://10.10.10.1:8080/install/${os}/aarch64/${distro}-installer/arm64`;
    assert.ok(
      script.includes(
        `kernel ${base}/linux initrd=initrd.gz auto=true priority=critical url=http://10.10.10.1:8080/install/autoinst/node02.preseed?token=${TOKEN} hostname=node02 interface=auto domain=cluster.example `,
      ),
      script,
    );
    assert.ok(script.includes(`initrd ${base}/initrd.gz || goto failed`));
  }
  assert.equal(autoinstUrl({ master: '10.0.0.1' }, 'n1', 'debian', TOKEN), `http://10.0.0.1/install/autoinst/n1.preseed?token=${TOKEN}`);
});

test('pxe - without a MAC only the iPXE script is written; netboot pxe needs the MAC', () => {
  const { mac: _mac, ...noMac } = RHEL;
  assert.deepEqual(
    installFiles(SITE, noMac).map((f) => f.path),
    ['/tftpboot/ipxe/node01.ipxe'],
  );
  assert.throws(
    () => installFiles(SITE, { ...noMac, netboot: 'pxe' }),
    (e: unknown) => e instanceof NetbootInputError && e.subject === 'node01' && e.field === 'mac.mac',
  );
  assert.throws(
    () => installFiles(SITE, { ...RHEL, netboot: 'yaboot' }),
    /node01: noderes\.netboot 'yaboot' is not valid; expected one of ipxe, pxe/,
  );
});

test('pxe - an unknown os names nodetype.os and the accepted values', () => {
  for (const os of ['sles15', 'windows', 'RHELS9', '', 'rhels9.4-x']) {
    assert.throws(
      () => installFiles(SITE, { ...RHEL, os }),
      (e: unknown) => {
        assert.ok(e instanceof NetbootInputError);
        assert.equal(e.field, 'nodetype.os');
        assert.match(
          e.message,
          /^node01: nodetype\.os '.*' is not valid; expected one of rhels, rhel, centos, rocky, alma \(kickstart\) or debian, ubuntu \(preseed\)/,
        );
        return true;
      },
    );
  }
  assert.equal(osFamily('centos7'), 'rhel');
  assert.equal(osFamily('rocky8.9'), 'rhel');
  assert.equal(osFamily('ubuntu'), 'debian');
});

test('pxe - other install inputs are checked before anything is generated', () => {
  assert.throws(
    () => installFiles(SITE, { ...RHEL, arch: 'i386' }),
    /node01: nodetype\.arch 'i386' is not valid; expected one of x86_64, aarch64, ppc64le/,
  );
  assert.throws(() => installFiles(SITE, { ...RHEL, profile: 'a b' }), /nodetype\.profile/);
  assert.throws(() => installFiles(SITE, { ...RHEL, token: 'short' }), /node01: install token '<hidden>' is not valid/);
  assert.throws(() => installFiles(SITE, { ...RHEL, token: `${TOKEN}&x=1` }), /install token/);
  assert.throws(() => installFiles(SITE, { ...RHEL, console: 'ttyS0 115200' }), /nodehm\.serialport/);
  assert.throws(() => installFiles(SITE, { ...RHEL, kernelArgs: ['rd.debug', 'x=${evil}'] }), /bootparams\.addkcmdline 'x=\$\{evil\}'/);
  assert.throws(() => installFiles(SITE, { ...RHEL, node: '../etc' }), /nodelist\.node '\.\.\/etc' is not valid/);
  assert.throws(() => installFiles(SITE, { ...RHEL, mac: 'ff:ff:ff:ff:ff:ff' }), /node01: mac\.mac/);
  const extra = content(installFiles(SITE, { ...RHEL, kernelArgs: 'rd.debug  inst.sshd' }), '.ipxe');
  assert.match(extra, / rd\.debug inst\.sshd BOOTIF=/);
});

test('pxe - nodeset boot sends the node to its local disk', () => {
  const files = localBootFiles(SITE, { node: 'node01', mac: '52:54:00:aa:00:01' });
  assert.equal(
    content(files, '.ipxe'),
    [
      '#!ipxe',
      '# drover: node01 boots from its local disk (written by nodeset; replaced on the next nodeset)',
      'iseq ${platform} efi && exit 0 ||',
      'sanboot --no-describe --drive 0x80 || exit 1',
      '',
    ].join('\n'),
  );
  const cfg = content(files, '01-52-54-00-aa-00-01');
  assert.match(cfg, /^DEFAULT drover-local\nPROMPT 0\nTIMEOUT 0\nLABEL drover-local\n {2}LOCALBOOT 0\n$/m);
  assert.doesNotMatch(cfg, /KERNEL|APPEND/);
});

test('pxe - paths and URLs follow site.tftpdir, site.httpport and site.master', () => {
  const site = { master: '192.168.1.1', tftpDir: '/srv/tftp', httpPort: 80 };
  assert.equal(ipxeScriptUrl(site, 'n1'), 'http://192.168.1.1/srv/tftp/ipxe/n1.ipxe');
  assert.equal(pxelinuxConfigPath(site, '52-54-00-AA-BB-CC'), '/srv/tftp/pxelinux.cfg/01-52-54-00-aa-bb-cc');
});

test('pxe - install, boot and removal files are written and removed under a temp root', (t) => {
  const root = tempDir(t);
  const ipxe = join(root, 'tftpboot/ipxe/node01.ipxe');
  const cfg = join(root, 'tftpboot/pxelinux.cfg/01-52-54-00-aa-00-01');
  assert.ok(applyFiles(root, installFiles(SITE, RHEL)).every((r) => r.changed));
  assert.match(readFileSync(ipxe, 'utf8'), /inst\.ks=/);
  assert.ok(applyFiles(root, installFiles(SITE, RHEL)).every((r) => !r.changed));
  applyFiles(root, localBootFiles(SITE, RHEL));
  assert.match(readFileSync(ipxe, 'utf8'), /sanboot/);
  assert.match(readFileSync(cfg, 'utf8'), /LOCALBOOT 0/);
  assert.deepEqual(
    applyFiles(root, removeBootFiles(SITE, RHEL)).map((r) => r.changed),
    [true, true],
  );
  assert.equal(existsSync(ipxe) || existsSync(cfg), false);
});
