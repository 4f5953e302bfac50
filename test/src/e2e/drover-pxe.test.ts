/**
 * Network install on a lab host: makedhcp writes a dnsmasq configuration from the tables, a
 * dnsmasq started with exactly that file inside the host listens on the host's guest bridge, and
 * after `rinstall` (network first, then a destroy/start so the new order takes effect) the guest's
 * PXE ROM asks that dnsmasq for an address — seen in dnsmasq's own log. `nodeset <node> boot` turns
 * the order back to disk. A node with noderes.netboot=pxe fetches its boot file from dnsmasq's
 * TFTP server; the file placed there is the counter boot sector, so the guest visibly runs it.
 *
 * The guests run under TCG (the lab cluster sets the agents' domain type to qemu). Under this
 * machine's KVM (the kvm-pvm module) the iPXE option ROM triple-faults at "starting execution"
 * and the guest resets every ~10 s without sending a packet; the first assertion says so.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ChildProcess } from 'node:child_process';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import {
  counterImage,
  readCount,
  readCounts,
  resetHosts,
  serialLogPath,
  spawnInHost,
  virsh,
  type Lab,
  type LabHost,
} from '../lab/index.js';
import type { TestCluster } from '../support/cluster.js';
import { tempDir, waitFor, cleanupDir } from '../support/procs.js';
import { droverOnSharedLab } from '../support/labguests.js';

const exec = promisify(execFile);
let lab: Lab;
let c: TestCluster;
let h1: LabHost;
let root: string;
let tftp: string;
let log: string;
let dnsmasq: ChildProcess | undefined;
let bridgeAddrAdded = false;
const GUEST_NET = '192.168.77';
const SERVER_IP = `${GUEST_NET}.1`;
/** pxe1 boots iPXE's own script (noderes.netboot=ipxe); pxe2 gets lpxelinux.0 over TFTP (noderes.netboot=pxe). */
const NODES = {
  pxe1: { mac: '02:00:5e:10:00:77', ip: `${GUEST_NET}.10`, netboot: 'ipxe' },
  pxe2: { mac: '02:00:5e:10:00:78', ip: `${GUEST_NET}.11`, netboot: 'pxe' },
} as const;

const dnsmasqLog = (): string => (existsSync(log) ? readFileSync(log, 'utf8') : '');
/** dnsmasq's log lines of one DHCP exchange step for a MAC, e.g. `DHCPOFFER(labbr0) 192.168.77.10 02:00:...`. */
const dhcpLines = (kind: string, mac: string): string[] =>
  dnsmasqLog()
    .split('\n')
    .filter((l) => new RegExp(`\\b${kind}\\(${h1.guestBridge}\\)`).test(l) && l.toLowerCase().includes(mac));

/** The <os> boot devices of a domain's XML, in order. */
const bootDevs = (xml: string): string[] =>
  [...(/<os>([\s\S]*?)<\/os>/.exec(xml)?.[1] ?? '').matchAll(/<boot dev='([a-z]+)'\/>/g)].map((m) => m[1]!);

async function diagnostics(node: string): Promise<string> {
  const parts = [`dnsmasq log (tail):\n${dnsmasqLog().slice(-2000)}`];
  parts.push(`domiflist:\n${await virsh(h1, ['domiflist', node]).catch((e: Error) => e.message)}`);
  parts.push(`links:\n${(await exec('ip', ['-n', h1.netns, '-s', 'link'])).stdout}`);
  return parts.join('\n');
}

async function waitLog(what: string, node: keyof typeof NODES, ok: () => boolean, timeoutMs = 90_000): Promise<void> {
  await waitFor(what, ok, timeoutMs, 250).catch(async (e: Error) => {
    throw new Error(`${e.message}\n${await diagnostics(node)}`);
  });
}

async function cliOk(args: string[]): Promise<string> {
  const r = await c.cli(args);
  assert.equal(r.code, 0, `drover ${args.join(' ')}: ${r.stdout}\n${r.stderr}`);
  return r.stdout;
}

before(async () => {
  root = tempDir('drover-pxe-');
  ({ lab, c } = await droverOnSharedLab({ serverConfig: { netboot: { root, dhcp: 'dnsmasq', dnsmasqBin: '/usr/sbin/dnsmasq' } } }));
  h1 = lab.hosts[0]!;
  // dnsmasq's TFTP root (site.tftpdir) as the hosts see it; drover writes its own files under `root`.
  tftp = join(lab.sharedDir, 'tftpboot');
  rmSync(tftp, { recursive: true, force: true });
  mkdirSync(tftp, { recursive: true });
  // The host's guest bridge gets an address inside its own namespace only (replace: a retried
  // file finds it already there if a killed run could not remove it).
  await exec('ip', ['-n', h1.netns, 'addr', 'replace', `${SERVER_IP}/24`, 'dev', h1.guestBridge]);
  bridgeAddrAdded = true;
  await cliOk(['chtab', 'key=master', `site.value=${SERVER_IP}`]);
  await cliOk(['chtab', 'key=tftpdir', `site.value=${tftp}`]);
  await cliOk(['chtab', 'key=domain', 'site.value=lab.example']);
  await cliOk([
    'chtab',
    'netname=guests',
    `networks.net=${GUEST_NET}.0`,
    'networks.mask=255.255.255.0',
    `networks.dynamicrange=${GUEST_NET}.100-${GUEST_NET}.200`,
  ]);
  for (const [node, n] of Object.entries(NODES)) {
    rmSync(serialLogPath(lab.sharedDir, node), { force: true });
    await cliOk([
      'nodeadd',
      node,
      `vm.host=${h1.name}`,
      'vm.memory=64M',
      `vm.nics=${h1.guestBridge}`,
      `mac.mac=${n.mac}`,
      `hosts.ip=${n.ip}`,
      'nodetype.os=debian12',
      'nodetype.arch=x86_64',
      'nodetype.profile=compute',
      `noderes.netboot=${n.netboot}`,
      'vm.bootorder=disk',
    ]);
  }
  await cliOk(['makedhcp', '-n']);
  await cliOk(['makedhcp', Object.keys(NODES).join(',')]);
  const conf = join(root, 'etc/dnsmasq.d/drover.conf');
  // dnsmasq inside the host, on the guest bridge only, no DNS, logging every DHCP exchange; the
  // DHCP and TFTP settings are drover's file alone.
  log = join(root, 'dnsmasq.log');
  dnsmasq = spawnInHost(
    h1,
    [
      '/usr/sbin/dnsmasq',
      '--keep-in-foreground',
      `--conf-file=${conf}`,
      `--interface=${h1.guestBridge}`,
      '--bind-interfaces',
      '--except-interface=lo',
      '--port=0',
      '--log-dhcp',
      `--log-facility=${log}`,
      `--pid-file=${join(root, 'dnsmasq.pid')}`,
      `--dhcp-leasefile=${join(root, 'leases')}`,
    ],
    { stdio: 'ignore' },
  );
  await waitFor(
    'dnsmasq started',
    () => {
      if (dnsmasq!.exitCode !== null) throw new Error(`dnsmasq exited ${dnsmasq!.exitCode}:\n${dnsmasqLog()}`);
      return /TFTP root is /.test(dnsmasqLog());
    },
    10_000,
    100,
  );
});

after(async () => {
  if (dnsmasq && dnsmasq.exitCode === null && dnsmasq.signalCode === null) {
    const exited = new Promise((r) => dnsmasq!.once('exit', r));
    dnsmasq.kill('SIGTERM');
    const t = setTimeout(() => dnsmasq!.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(t);
  }
  if (bridgeAddrAdded) await exec('ip', ['-n', h1.netns, 'addr', 'del', `${SERVER_IP}/24`, 'dev', h1.guestBridge]).catch(() => undefined);
  await c?.stop();
  if (lab) await resetHosts(lab);
  if (tftp) rmSync(tftp, { recursive: true, force: true });
  if (root) cleanupDir(root);
});

test(
  "rinstall - network first in the live domain, the guest's PXE DHCPDISCOVER reaches the drover-configured dnsmasq, which offers hosts.ip and the iPXE script URL",
  { timeout: 180_000 },
  async () => {
    const n = NODES.pxe1;
    const text = readFileSync(join(root, 'etc/dnsmasq.d/drover.conf'), 'utf8');
    assert.match(text, new RegExp(`^dhcp-host=${n.mac},set:drover-pxe1,${n.ip.replace(/\./g, '\\.')},pxe1$`, 'm'));
    assert.match(
      text,
      new RegExp(`^enable-tftp$[\\s\\S]*^tftp-root=${tftp}$`, 'm'),
      "drover's config turns on dnsmasq's TFTP server at site.tftpdir",
    );

    await cliOk(['rpower', 'pxe1', 'on']);
    const out = await cliOk(['rinstall', 'pxe1']);
    assert.match(out, /restarted/, 'a running guest is restarted (destroy and start) so the new order takes effect');
    const xml = await virsh(h1, ['dumpxml', 'pxe1']);
    assert.match(xml, /<domain type='qemu'/, "TCG: under this machine's KVM (kvm-pvm) the iPXE ROM triple-faults before it sends anything");
    assert.deepEqual(bootDevs(xml), ['network', 'hd'], "network first in the running guest's definition");
    const script = readFileSync(join(root, tftp, 'ipxe/pxe1.ipxe'), 'utf8');
    assert.match(script, /^#!ipxe/);
    assert.match(
      script,
      new RegExp(`http://${SERVER_IP}/[^\\s]*autoinst/pxe1\\.preseed\\?token=`),
      'the script hands the installer its preseed URL',
    );

    await waitLog(`DHCPDISCOVER from ${n.mac} in dnsmasq's log`, 'pxe1', () => dhcpLines('DHCPDISCOVER', n.mac).length > 0);
    await waitLog(`DHCPOFFER of ${n.ip} to ${n.mac}`, 'pxe1', () => dhcpLines('DHCPOFFER', n.mac).some((l) => l.includes(n.ip)), 30_000);
    await waitLog(
      `DHCPACK of ${n.ip} to ${n.mac}`,
      'pxe1',
      () => dhcpLines('DHCPACK', n.mac).some((l) => l.includes(`${n.ip} ${n.mac} pxe1`)),
      30_000,
    );
    const all = dnsmasqLog();
    assert.match(all, /vendor class: PXEClient:Arch:00000/, 'the request came from a BIOS PXE ROM');
    assert.match(all, /user class: iPXE/, "an iPXE ROM, so drover's config answers with the script URL");
    assert.match(all, new RegExp(`tags: [^\\n]*drover-pxe1[^\\n]*ipxe`), "the node's own tag and the iPXE tag matched");
    assert.ok(
      all.includes(`bootfile-name  http://${SERVER_IP}${tftp}/ipxe/pxe1.ipxe`),
      `the boot file is the node's iPXE script URL:\n${all.slice(-2000)}`,
    );
  },
);

test(
  'nodeset boot - the boot order is disk again: in the definition at once, in the running guest after a power cycle',
  { timeout: 120_000 },
  async () => {
    await cliOk(['nodeset', 'pxe1', 'boot']);
    assert.deepEqual(
      bootDevs(await virsh(h1, ['dumpxml', '--inactive', 'pxe1'])),
      ['hd'],
      'vm.bootorder=disk in the persistent definition',
    );
    const script = readFileSync(join(root, tftp, 'ipxe/pxe1.ipxe'), 'utf8');
    assert.match(script, /sanboot --no-describe --drive 0x80/, 'the iPXE script now boots the local disk');
    await cliOk(['rpower', 'pxe1', 'off']);
    await cliOk(['rpower', 'pxe1', 'on']);
    const xml = await virsh(h1, ['dumpxml', 'pxe1']);
    assert.match(await virsh(h1, ['domstate', 'pxe1']), /running/);
    assert.deepEqual(bootDevs(xml), ['hd'], 'the running guest boots from disk');
    await cliOk(['rpower', 'pxe1', 'off']);
  },
);

test(
  'rinstall - noderes.netboot=pxe: the guest fetches lpxelinux.0 from the drover-configured dnsmasq over TFTP and runs it',
  { timeout: 180_000 },
  async () => {
    const n = NODES.pxe2;
    // The boot file is the counter boot sector: a PXE boot program is loaded at 0:7c00 like one,
    // so the guest counting on its serial port proves it ran what TFTP delivered.
    const raw = join(root, 'counter.raw');
    await exec('qemu-img', ['convert', '-f', 'qcow2', '-O', 'raw', await counterImage(), raw]);
    writeFileSync(join(tftp, 'lpxelinux.0'), readFileSync(raw).subarray(0, 512));

    // pxe2 was never powered on: rinstall defines it from the tables, sets network first, powers it on.
    assert.doesNotMatch(await virsh(h1, ['list', '--all', '--name']), /\bpxe2\b/);
    const out = await cliOk(['rinstall', 'pxe2']);
    assert.match(out, /powered on/, 'a guest that was not running is powered on');
    assert.deepEqual(bootDevs(await virsh(h1, ['dumpxml', 'pxe2'])), ['network', 'hd']);
    const cfg = readFileSync(join(root, tftp, `pxelinux.cfg/01-${n.mac.replace(/:/g, '-')}`), 'utf8');
    assert.match(
      cfg,
      new RegExp(`http://${SERVER_IP}/[^\\s]*autoinst/pxe2\\.preseed\\?token=`),
      'the pxelinux config points the installer at its preseed',
    );

    await waitLog(`DHCPOFFER of ${n.ip} to ${n.mac}`, 'pxe2', () => dhcpLines('DHCPOFFER', n.mac).some((l) => l.includes(n.ip)));
    assert.match(dnsmasqLog(), /bootfile-name {2}lpxelinux\.0\b/);
    await waitLog(
      `TFTP transfer of lpxelinux.0 to ${n.ip}`,
      'pxe2',
      () => new RegExp(`dnsmasq-tftp\\[\\d+\\]: sent ${tftp}/lpxelinux\\.0 to ${n.ip.replace(/\./g, '\\.')}`).test(dnsmasqLog()),
      60_000,
    );
    await waitLog('the TFTP-loaded boot program counting on the serial port', 'pxe2', () => (readCount(lab, 'pxe2') ?? 0) >= 3, 60_000);
    const counts = readCounts(lab, 'pxe2');
    assert.ok(counts.length >= 3 && counts.every((x, i) => i === 0 || x > counts[i - 1]!), `counts rise: ${counts.join(',')}`);
    await cliOk(['rpower', 'pxe2', 'off']);
  },
);
