import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createLogger } from '@drover/contract';
import { SqliteStores } from '../db/sqlite/stores.js';
import { Tables } from '../tables/index.js';
import { NetbootService, type GuestControl, type NetbootConfig, type NodeOutcome } from './service.js';
import { tempDir } from './test-fixtures.js';

const log = createLogger('test', { level: 'silent' });

interface Call {
  op: string;
  host: string;
  guest: string;
  order?: string[];
  restart?: boolean;
}

/** A stand-in for the agents: records calls; guests on `down` hosts fail like an unreachable agent. */
function fakeGuests(state = 'POWER_STATE_ON'): GuestControl & { calls: Call[] } {
  const calls: Call[] = [];
  const fail = (host: string): void => {
    if (host === 'down')
      throw Object.assign(new Error(`host 'down' is not enrolled; enrol it with drover-server enroll down`), { code: 'HOST_UNKNOWN' });
  };
  return {
    calls,
    setBootOrder: async (host, guest, order, restart) => {
      fail(host);
      calls.push({ op: 'boot', host, guest, order, restart });
      return { state };
    },
    powerOn: async (host, guest) => {
      calls.push({ op: 'on', host, guest });
      return { state: 'POWER_STATE_ON' };
    },
  };
}

async function setup(t: { after(fn: () => Promise<void> | void): void }, cfg: Partial<NetbootConfig> = {}, state?: string) {
  const root = tempDir(t);
  const stores = SqliteStores.open(':memory:');
  t.after(() => stores.close());
  const tables = new Tables(stores);
  await tables.setRow('site', { key: 'master' }, { value: '10.10.0.1' });
  await tables.setRow('site', { key: 'domain' }, { value: 'lab.example' });
  await tables.setRow(
    'networks',
    { netname: 'lab' },
    { net: '10.10.0.0', mask: '255.255.255.0', gateway: '10.10.0.254', dynamicrange: '10.10.0.100-10.10.0.200' },
  );
  await tables.addNodes(['n1'], {
    mac: '52:54:00:00:00:01',
    ip: '10.10.0.11',
    vmhost: 'hv1',
    os: 'rhels9.4',
    arch: 'x86_64',
    profile: 'compute',
    serialport: '0',
    serialspeed: '115200',
  });
  await tables.addNodes(['n2'], {
    mac: '52:54:00:00:00:02',
    ip: '10.10.0.12',
    vmhost: 'hv1',
    os: 'debian12',
    arch: 'x86_64',
    profile: 'compute',
    netboot: 'pxe',
  });
  await tables.addNodes(['n3'], { ip: '10.10.0.13' });
  const guests = fakeGuests(state);
  const full: NetbootConfig = {
    root,
    dhcp: 'isc',
    dhcpdConf: '/etc/dhcp/dhcpd.conf',
    dnsmasqConf: '/etc/dnsmasq.d/drover.conf',
    hostsFile: '/etc/hosts',
    dhcpdBin: '/usr/sbin/dhcpd',
    dnsmasqBin: '/usr/sbin/dnsmasq',
    dhcpReload: [],
    hostsReload: [],
    reloadTimeoutMs: 10_000,
    tokenTtlS: 3600,
    ...cfg,
  };
  const clock = { t: 1_700_000_000_000 };
  const svc = new NetbootService({ tables, stores, cfg: full, guests, log, now: () => clock.t });
  return { root, tables, guests, svc, clock, file: (p: string) => join(root, p) };
}

const byNode = (rs: NodeOutcome[]): Record<string, string> =>
  Object.fromEntries(rs.map((r) => [r.node, `${r.ok ? 'ok' : 'FAIL'} ${r.message}`]));

test('netboot service - makedhcp with dnsmasq writes only the dnsmasq file; a node without a MAC names mac.mac', async (t) => {
  const s = await setup(t, { dhcp: 'dnsmasq' });
  const res = await s.svc.makeDhcp({ nodes: ['n1', 'n2', 'n3'], networks: true, remove: false });
  const r = byNode(res);
  assert.equal(r.lab, 'ok done');
  assert.equal(r.n1, 'ok done');
  assert.equal(r.n2, 'ok done');
  assert.match(
    r.n3!,
    /^FAIL mac\.mac is not set; .*set it with: chdef n3 mac\.mac=52:54:00:12:34:56, or power the guest on once \(rpower\)/,
  );
  assert.equal(existsSync(s.file('etc/dhcp/dhcpd.conf')), false);
  const conf = readFileSync(s.file('etc/dnsmasq.d/drover.conf'), 'utf8');
  assert.match(conf, /^dhcp-host=52:54:00:00:00:01,set:drover-n1,10\.10\.0\.11,n1$/m);
  assert.match(conf, /^dhcp-host=52:54:00:00:00:02,set:drover-n2,10\.10\.0\.12,n2$/m);
  assert.doesNotMatch(conf, /n3/);
});

test('netboot service - a file the checker rejects leaves the live file as it was', async (t) => {
  const s = await setup(t, { dhcpdBin: '/bin/false' });
  mkdirSync(s.file('etc/dhcp'), { recursive: true });
  writeFileSync(s.file('etc/dhcp/dhcpd.conf'), '# hand-written\n');
  const res = await s.svc.makeDhcp({ nodes: ['n1'], networks: true, remove: false });
  assert.ok(
    res.every((r) => !r.ok),
    JSON.stringify(res),
  );
  assert.match(byNode(res).n1!, /\/bin\/false rejected the new \/etc\/dhcp\/dhcpd\.conf .*the live file was left as it was/);
  assert.equal(readFileSync(s.file('etc/dhcp/dhcpd.conf'), 'utf8'), '# hand-written\n');
});

test('netboot service - a MAC still held by another entry fails only the node that claims it', async (t) => {
  const s = await setup(t);
  assert.ok((await s.svc.makeDhcp({ nodes: ['n1'], networks: true, remove: false })).every((r) => r.ok));
  // n1 goes away without makedhcp -d; a new node gets its MAC
  await s.tables.removeNodes(['n1']);
  await s.tables.addNodes(['n9'], { mac: '52:54:00:00:00:01', ip: '10.10.0.19' });
  const r = byNode(await s.svc.makeDhcp({ nodes: ['n9', 'n2'], networks: false, remove: false }));
  assert.match(r.n9!, /^FAIL mac\.mac 52:54:00:00:00:01 is also claimed by n1 in /);
  assert.equal(r.n2, 'ok done');
  const conf = readFileSync(s.file('etc/dhcp/dhcpd.conf'), 'utf8');
  assert.match(conf, /^host n2 \{$/m);
  assert.doesNotMatch(conf, /^host n9 /m);
  // removing the stale entry by name (the node no longer exists) lets n9 in
  assert.equal(byNode(await s.svc.makeDhcp({ nodes: ['n1'], networks: false, remove: true })).n1, 'ok done');
  assert.equal(byNode(await s.svc.makeDhcp({ nodes: ['n9'], networks: false, remove: false })).n9, 'ok done');
});

test('netboot service - a failed reload is reported on every node that was written', async (t) => {
  const s = await setup(t, { dhcpReload: ['/bin/false'] });
  const res = await s.svc.makeDhcp({ nodes: ['n1', 'n3'], networks: false, remove: false });
  const r = byNode(res);
  assert.match(r.n1!, /^FAIL \/etc\/dhcp\/dhcpd\.conf written, but reload command \/bin\/false exited with code 1/);
  assert.match(r.n3!, /^FAIL mac\.mac is not set/);
  assert.match(readFileSync(s.file('etc/dhcp/dhcpd.conf'), 'utf8'), /^host n1 \{$/m);
});

test('netboot service - makehosts needs hosts.ip and keeps the rest of the file', async (t) => {
  const s = await setup(t, { hostsReload: [process.execPath, '-e', ''] });
  await s.tables.addNodes(['n4'], {});
  mkdirSync(s.file('etc'), { recursive: true });
  writeFileSync(s.file('etc/hosts'), '127.0.0.1 localhost\n');
  const r = byNode(await s.svc.makeHosts({ nodes: ['n1', 'n4'], remove: false, longNameFirst: true }));
  assert.equal(r.n1, 'ok done');
  assert.match(r.n4!, /^FAIL hosts\.ip is not set; .*chdef n4 hosts\.ip=/);
  const text = readFileSync(s.file('etc/hosts'), 'utf8');
  assert.ok(text.startsWith('127.0.0.1 localhost\n# BEGIN drover managed hosts'), text);
  assert.match(text, /^10\.10\.0\.11 n1\.lab\.example n1$/m);
});

test('netboot service - nodeset install writes boot files, answer file and token; rinstall powers an off guest on', async (t) => {
  const s = await setup(t, {}, 'POWER_STATE_OFF');
  const out: NodeOutcome[] = [];
  await s.svc.nodeSet(['n1', 'n2'], 'install', { restart: true }, (r) => out.push(r));
  const r = byNode(out);
  assert.equal(r.n1, 'ok install rhels9.4-x86_64-compute (powered on)');
  assert.equal(r.n2, 'ok install debian12-x86_64-compute (powered on)');
  assert.deepEqual(
    s.guests.calls.filter((c) => c.guest === 'n1'),
    [
      { op: 'boot', host: 'hv1', guest: 'n1', order: ['network', 'disk'], restart: true },
      { op: 'on', host: 'hv1', guest: 'n1' },
    ],
  );
  const script = readFileSync(s.file('tftpboot/ipxe/n1.ipxe'), 'utf8');
  const token = /inst\.ks=http:\/\/10\.10\.0\.1\/install\/autoinst\/n1\.ks\?token=([A-Za-z0-9_-]+) /.exec(script)?.[1];
  assert.ok(token, script);
  assert.match(script, / console=ttyS0,115200 /);
  assert.ok(existsSync(s.file('tftpboot/pxelinux.cfg/01-52-54-00-00-00-01')));
  const ks = readFileSync(s.file('install/autoinst/n1.ks'), 'utf8');
  assert.ok(ks.includes(`curl -fsS --retry 5 --max-time 30 -o /dev/null 'http://10.10.0.1/install/callback/n1?token=${token}'`), ks);
  assert.equal(statSync(s.file('install/autoinst/n1.ks')).mode & 0o777, 0o600);
  assert.match(
    readFileSync(s.file('install/autoinst/n2.preseed'), 'utf8'),
    /^d-i preseed\/late_command string wget .*\/install\/callback\/n2\?token=/m,
  );

  // the installer calls back: local boot, boot order back to disk, once
  const done = await s.svc.installDone('n1', token!, 'test');
  assert.equal(done.accepted, true);
  assert.equal(done.outcome?.ok, true);
  assert.deepEqual(s.guests.calls.at(-1), { op: 'boot', host: 'hv1', guest: 'n1', order: ['disk'], restart: false });
  assert.match(readFileSync(s.file('tftpboot/ipxe/n1.ipxe'), 'utf8'), /sanboot/);
  assert.equal(existsSync(s.file('install/autoinst/n1.ks')), false);
  assert.equal((await s.svc.installDone('n1', token!, 'test')).accepted, false);
});

test('netboot service - an install token expires', async (t) => {
  const s = await setup(t);
  await s.svc.nodeSet(['n1'], 'install', { restart: false }, () => undefined);
  const token = /token=([A-Za-z0-9_-]+)/.exec(readFileSync(s.file('tftpboot/ipxe/n1.ipxe'), 'utf8'))![1]!;
  assert.equal(await s.svc.tokenValid('n1', token), true);
  s.clock.t += 3600 * 1000;
  assert.equal(await s.svc.tokenValid('n1', token), false);
  assert.equal((await s.svc.installDone('n1', token, 'test')).accepted, false);
});

test('netboot service - nodeset refuses bad input per node, naming the field; an unreachable host is named', async (t) => {
  const s = await setup(t);
  await s.tables.changeNodes(['n1'], { os: 'windows11' });
  await s.tables.changeNodes(['n2'], { vmhost: 'down' });
  const out: NodeOutcome[] = [];
  await s.svc.nodeSet(['n1', 'n2', 'n3'], 'install', { restart: false }, (r) => out.push(r));
  const r = byNode(out);
  assert.match(r.n1!, /^FAIL nodetype\.os 'windows11' is not valid; expected one of rhels/);
  assert.match(r.n2!, /^FAIL boot files written, but the boot order was not changed: host 'down' is not enrolled/);
  assert.match(
    r.n3!,
    /^FAIL nodetype\.os is not set; nodeset install needs the OS to install; set it with: chdef n3 nodetype\.os=rhels9\.4$/,
  );
  assert.equal(existsSync(s.file('tftpboot/ipxe/n1.ipxe')), false, 'nothing written for a refused node');
});

test('netboot service - an admin template replaces the built-in answer file and must call back', async (t) => {
  const s = await setup(t);
  mkdirSync(s.file('install/custom/rhel'), { recursive: true });
  writeFileSync(
    s.file('install/custom/rhel/compute.tmpl'),
    'url --url=#MEDIA_URL#\n# #NODE#.#DOMAIN# #UNKNOWN#\n%post\ncurl #CALLBACK_URL#\n%end\n',
  );
  await s.svc.nodeSet(['n1'], 'install', { restart: false }, () => undefined);
  const ks = readFileSync(s.file('install/autoinst/n1.ks'), 'utf8');
  assert.match(
    ks,
    /^url --url=http:\/\/10\.10\.0\.1\/install\/rhels9\.4\/x86_64\n# n1\.lab\.example #UNKNOWN#\n%post\ncurl http:\/\/10\.10\.0\.1\/install\/callback\/n1\?token=[A-Za-z0-9_-]{32}\n%end\n$/,
  );
  writeFileSync(s.file('install/custom/rhel/compute.tmpl'), 'text\n');
  const out: NodeOutcome[] = [];
  await s.svc.nodeSet(['n1'], 'install', { restart: false }, (r) => out.push(r));
  assert.match(
    out[0]!.message,
    /^install template '\/install\/custom\/rhel\/compute\.tmpl' is not valid; expected a template that calls back #CALLBACK_URL#/,
  );
});
