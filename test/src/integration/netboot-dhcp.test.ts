/**
 * makedhcp and makehosts end to end: the `drover` CLI as a process, a real drover-server writing
 * under a temporary netboot.root, and the real daemons' checkers (dhcpd -t, dnsmasq --test) on
 * what it wrote. No agents: these verbs only touch the tables and files.
 */
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { TestCluster } from '../support/cluster.js';
import { cleanupDir, tempDir, type RunResult } from '../support/procs.js';

const DHCPD = '/usr/sbin/dhcpd';
const DNSMASQ = '/usr/sbin/dnsmasq';

let c: TestCluster;
let root: string;
let reloadLog: string;

before(async () => {
  for (const bin of [DHCPD, DNSMASQ]) {
    if (!existsSync(bin))
      throw new Error(
        `${bin} is not installed; the netboot tests check generated files with it (apt-get install isc-dhcp-server dnsmasq-base)`,
      );
  }
  root = tempDir('drover-netroot-');
  reloadLog = join(root, 'reloads.log');
  c = await TestCluster.start({
    agents: 0,
    serverConfig: {
      netboot: {
        root,
        dhcp: 'both',
        // records each reload, so the test sees that it ran (and that it got an argv, not a shell line)
        dhcpReload: [process.execPath, '-e', 'require("fs").appendFileSync(process.argv[1], "dhcp $(nope)\\n")', reloadLog],
        hostsReload: [process.execPath, '-e', 'require("fs").appendFileSync(process.argv[1], "hosts\\n")', reloadLog],
      },
    },
  });
  await ok(['chtab', 'key=master', 'site.value=10.20.0.1']);
  await ok(['chtab', 'key=domain', 'site.value=cluster.test']);
  await ok(['chtab', 'key=nameservers', 'site.value=10.20.0.1']);
  await ok([
    'chtab',
    'netname=mgmt',
    'networks.net=10.20.0.0',
    'networks.mask=255.255.255.0',
    'networks.gateway=10.20.0.254',
    'networks.dynamicrange=10.20.0.100-10.20.0.199',
  ]);
  await ok(['chtab', 'netname=stor', 'networks.net=172.30.0.0', 'networks.mask=255.255.0.0', 'networks.domain=stor.test']);
  await ok(['nodeadd', 'web[01-03]', 'groups=web,all']);
  await ok(['chdef', 'web01', 'mac=52:54:00:20:00:01', 'ip=10.20.0.11', 'hostnames=www']);
  await ok(['chdef', 'web02', 'mac=52:54:00:20:00:02', 'ip=10.20.0.12', 'netboot=pxe']);
  await ok(['chdef', 'web03', 'mac=52:54:00:20:00:03', 'ip=172.30.0.13']);
  await ok(['nodeadd', 'nomac', 'ip=10.20.0.40']);
  await ok(['nodeadd', 'noip', 'mac=52:54:00:20:00:41']);
});
after(async () => {
  await c?.stop();
  if (root) cleanupDir(root);
});

async function ok(args: string[]): Promise<RunResult> {
  const r = await c.cli(args);
  assert.equal(r.code, 0, `drover ${args.join(' ')} failed (${r.code}): ${r.stderr}`);
  return r;
}

/** Runs a daemon's config checker (execFile: the checkers exit without reading stdin). */
async function checker(argv: string[]): Promise<void> {
  const r = await new Promise<{ code: number; output: string }>((resolve) => {
    execFile(argv[0]!, argv.slice(1), { timeout: 20_000, encoding: 'utf8' }, (err, stdout, stderr) => {
      resolve({
        code: err ? (typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : -1) : 0,
        output: `${stdout}${stderr}`,
      });
    });
  });
  assert.equal(r.code, 0, `${argv.join(' ')} rejected the file:\n${r.output}`);
}

const dhcpdConf = (): string => join(root, 'etc/dhcp/dhcpd.conf');
const dnsmasqConf = (): string => join(root, 'etc/dnsmasq.d/drover.conf');

test("netboot makedhcp - -n then a noderange writes files the daemons accept, with each node's MAC and IP; -d removes them", async () => {
  const n = await ok(['makedhcp', '-n']);
  assert.equal(n.stdout, 'mgmt: done\nstor: done\n');
  await checker([DHCPD, '-t', '-cf', dhcpdConf()]);
  await checker([DNSMASQ, '--test', `--conf-file=${dnsmasqConf()}`]);
  const nets = readFileSync(dhcpdConf(), 'utf8');
  assert.match(nets, /^subnet 10\.20\.0\.0 netmask 255\.255\.255\.0 \{$/m);
  assert.match(nets, /^ {2}range 10\.20\.0\.100 10\.20\.0\.199;$/m);
  assert.match(readFileSync(dnsmasqConf(), 'utf8'), /^dhcp-range=set:mgmt,10\.20\.0\.100,10\.20\.0\.199,255\.255\.255\.0,43200$/m);

  const hosts = await ok(['makedhcp', 'web']);
  assert.equal(hosts.stdout, 'web01: done\nweb02: done\nweb03: done\n');
  assert.equal(hosts.stderr, '');
  await checker([DHCPD, '-t', '-cf', dhcpdConf()]);
  await checker([DNSMASQ, '--test', `--conf-file=${dnsmasqConf()}`]);
  const isc = readFileSync(dhcpdConf(), 'utf8');
  const dm = readFileSync(dnsmasqConf(), 'utf8');
  for (const [node, mac, ip] of [
    ['web01', '52:54:00:20:00:01', '10.20.0.11'],
    ['web02', '52:54:00:20:00:02', '10.20.0.12'],
    ['web03', '52:54:00:20:00:03', '172.30.0.13'],
  ] as const) {
    assert.match(isc, new RegExp(`^host ${node} \\{\\n  hardware ethernet ${mac};\\n  fixed-address ${ip.replace(/\./g, '\\.')};$`, 'm'));
    assert.ok(dm.includes(`dhcp-host=${mac},set:drover-${node},${ip},${node}\n`), dm);
  }
  assert.match(isc, /^host web02 \{[^}]*filename "lpxelinux\.0";/m);
  const reloads = readFileSync(reloadLog, 'utf8')
    .split('\n')
    .filter((l) => l.startsWith('dhcp'));
  assert.equal(reloads.length, 2, 'one reload per changing makedhcp');
  assert.equal(reloads[0], 'dhcp $(nope)', 'the reload argv reaches the program untouched by a shell');

  // nothing changed: no reload
  await ok(['makedhcp', 'web01']);
  assert.equal(
    readFileSync(reloadLog, 'utf8')
      .split('\n')
      .filter((l) => l.startsWith('dhcp')).length,
    2,
  );

  const del = await ok(['makedhcp', '-d', 'web01,web03']);
  assert.equal(del.stdout, 'web01: done\nweb03: done\n');
  await checker([DHCPD, '-t', '-cf', dhcpdConf()]);
  await checker([DNSMASQ, '--test', `--conf-file=${dnsmasqConf()}`]);
  const afterIsc = readFileSync(dhcpdConf(), 'utf8');
  const afterDm = readFileSync(dnsmasqConf(), 'utf8');
  assert.doesNotMatch(afterIsc, /52:54:00:20:00:01|52:54:00:20:00:03|host web01|host web03/);
  assert.doesNotMatch(afterDm, /52:54:00:20:00:01|52:54:00:20:00:03|drover-web01|drover-web03/);
  assert.match(afterIsc, /^host web02 \{$/m);
  assert.match(afterDm, /^dhcp-host=52:54:00:20:00:02,/m);
});

test('netboot makedhcp - nodes without a MAC or IP fail naming the column; the others are written; exit 1', async () => {
  const r = await c.cli(['makedhcp', 'web01,nomac,noip']);
  assert.equal(r.code, 1, r.stderr);
  assert.equal(r.stdout, 'web01: done\n');
  const lines = r.stderr.trim().split('\n');
  assert.equal(lines.length, 2, r.stderr);
  const line = (node: string): string => lines.find((l) => l.startsWith(`${node}: `)) ?? `(no line for ${node})`;
  assert.match(
    line('nomac'),
    /^nomac: mac\.mac is not set; a DHCP host entry needs the MAC of the install NIC; set it with: chdef nomac mac\.mac=52:54:00:12:34:56, or power the guest on once \(rpower\) so drover records the MAC libvirt gives it$/,
  );
  assert.match(line('noip'), /^noip: hosts\.ip is not set; .*chdef noip hosts\.ip=/);
  assert.doesNotMatch(readFileSync(dhcpdConf(), 'utf8'), /nomac|noip/);

  const json = JSON.parse((await c.cli(['makedhcp', 'nomac', '-o', 'json'])).stdout) as Array<{
    node: string;
    ok: boolean;
    message: string;
    code: string;
  }>;
  assert.deepEqual(
    json.map((x) => [x.node, x.ok, x.code]),
    [['nomac', false, 'NETBOOT_UNSET']],
  );

  // a node outside every network names hosts.ip and the networks
  await ok(['chdef', 'nomac', 'mac=52:54:00:20:00:40', 'ip=192.168.9.9']);
  const outside = await c.cli(['makedhcp', 'nomac']);
  assert.equal(outside.code, 1);
  assert.match(
    outside.stderr,
    /^nomac: hosts\.ip '192\.168\.9\.9' is not valid; expected an address inside one of the networks table's networks \(mgmt 10\.20\.0\.0\/24, stor 172\.30\.0\.0\/16\)/,
  );
  await ok(['chdef', 'nomac', 'ip=10.20.0.40']);

  const usage = await c.cli(['makedhcp']);
  assert.notEqual(usage.code, 0);
  assert.match(usage.stderr, /give a noderange, -a \(every node\) or -n/);
  const unknown = await c.cli(['makedhcp', 'ghost']);
  assert.notEqual(unknown.code, 0);
  assert.match(unknown.stderr, /ghost: no such node or group/);
});

test('netboot makehosts - writes the block from the hosts table and keeps every other line byte for byte', async () => {
  mkdirSync(join(root, 'etc'), { recursive: true });
  const head = Buffer.from('127.0.0.1\tlocalhost\r\n::1 ip6-localhost\n# caf\xe9 (latin1 byte)\n', 'latin1');
  const tail = Buffer.from('\n10.99.0.1 printer # keep me\n', 'latin1');
  writeFileSync(join(root, 'etc/hosts'), Buffer.concat([head, tail]));
  const r = await c.cli(['makehosts', 'web,noip']);
  assert.equal(r.code, 1);
  assert.equal(r.stdout, 'web01: done\nweb02: done\nweb03: done\n');
  assert.match(r.stderr, /^noip: hosts\.ip is not set; /);
  const text = readFileSync(join(root, 'etc/hosts'));
  assert.ok(text.subarray(0, head.length + tail.length).equals(Buffer.concat([head, tail])), "the admin's lines are unchanged");
  const block = text.subarray(head.length + tail.length).toString('latin1');
  assert.equal(
    block,
    [
      '# BEGIN drover managed hosts (generated by drover; edits inside this block are replaced)',
      '10.20.0.11 web01 web01.cluster.test www',
      '10.20.0.12 web02 web02.cluster.test',
      '172.30.0.13 web03 web03.stor.test',
      '# END drover managed hosts',
      '',
    ].join('\n'),
  );
  assert.ok(readFileSync(reloadLog, 'utf8').includes('hosts\n'), 'hostsReload ran');

  await ok(['makehosts', '-d', 'web02']);
  const after = readFileSync(join(root, 'etc/hosts'));
  assert.ok(after.subarray(0, head.length + tail.length).equals(Buffer.concat([head, tail])));
  assert.doesNotMatch(after.toString('latin1'), /web02/);
  assert.match(after.toString('latin1'), /^10\.20\.0\.11 web01 /m);
});
