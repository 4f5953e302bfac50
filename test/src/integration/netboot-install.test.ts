/**
 * nodeset, rinstall and the boot file server end to end: the CLI as a process, a real
 * drover-server writing under a temporary netboot.root and serving plain HTTP on a loopback port.
 * No agent runs, so every boot-order change fails; the test checks that the failure names the
 * host while the boot files, the token and the callback still work. (PXE-booting a real guest is
 * the lab's job.)
 */
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, symlinkSync } from 'node:fs';
import { request } from 'node:http';
import Database from 'better-sqlite3';
import { join } from 'node:path';
import { TestCluster } from '../support/cluster.js';
import { cleanupDir, freePort, tempDir, type RunResult } from '../support/procs.js';

let c: TestCluster;
let root: string;
let port: number;

before(async () => {
  root = tempDir('drover-netroot-');
  port = await freePort();
  c = await TestCluster.start({ agents: 0, serverConfig: { netboot: { root, httpListen: `127.0.0.1:${port}` } } });
  await ok(['chtab', 'key=master', 'site.value=127.0.0.1']);
  await ok(['chtab', 'key=httpport', `site.value=${port}`]);
  await ok(['chtab', 'key=domain', 'site.value=cluster.test']);
  await ok([
    'nodeadd',
    'vm01',
    'vm.host=hv01',
    'mac=52:54:00:30:00:01',
    'ip=10.30.0.11',
    'os=rhels9.4',
    'arch=x86_64',
    'profile=compute',
    'serialport=0',
    'serialspeed=115200',
  ]);
  await ok(['nodeadd', 'vm02', 'vm.host=hv01', 'os=ubuntu22.04', 'arch=x86_64', 'profile=compute']);
  await ok(['nodeadd', 'bados', 'vm.host=hv01', 'os=solaris11', 'arch=x86_64', 'profile=compute']);
  await ok(['nodeadd', 'nohost', 'os=rhels9.4', 'arch=x86_64', 'profile=compute']);
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

/** A raw HTTP request: the path goes on the request line exactly as given (no URL normalising). */
function get(path: string, method = 'GET'): Promise<{ status: number; body: string; headers: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, method }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body, headers: res.headers }));
    });
    req.on('error', reject);
    req.end();
  });
}

const ipxe = (node: string): string => readFileSync(join(root, 'tftpboot/ipxe', `${node}.ipxe`), 'utf8');
const tokenIn = (text: string): string => {
  const m = /token=([A-Za-z0-9_-]{32})/.exec(text);
  assert.ok(m, `no token in:\n${text}`);
  return m[1]!;
};

test('netboot nodeset - install writes iPXE, pxelinux and answer files with a token URL; a host without an agent is named', async () => {
  const r = await c.cli(['nodeset', 'vm01,vm02', 'install']);
  assert.equal(r.code, 1, 'the boot order could not be set, so the command fails');
  assert.equal(r.stdout, '');
  const lines = r.stderr.trim().split('\n').sort();
  assert.equal(lines.length, 2, r.stderr);
  for (const [i, node] of ['vm01', 'vm02'].entries()) {
    assert.match(
      lines[i]!,
      new RegExp(
        `^${node}: boot files written, but the boot order was not changed: host 'hv01' is not enrolled; enrol it with drover-server enroll hv01$`,
      ),
    );
  }
  const script = ipxe('vm01');
  const token = tokenIn(script);
  const base = `http://127.0.0.1:${port}`;
  assert.ok(script.startsWith('#!ipxe\n'), script);
  assert.ok(
    script.includes(
      `kernel ${base}/install/rhels9.4/x86_64/images/pxeboot/vmlinuz initrd=initrd.img inst.repo=${base}/install/rhels9.4/x86_64 inst.ks=${base}/install/autoinst/vm01.ks?token=${token} ip=dhcp console=tty0 console=ttyS0,115200 `,
    ),
    script,
  );
  const pxe = readFileSync(join(root, 'tftpboot/pxelinux.cfg/01-52-54-00-30-00-01'), 'utf8');
  assert.ok(pxe.includes(`inst.ks=${base}/install/autoinst/vm01.ks?token=${token}`), pxe);
  assert.ok(readFileSync(join(root, 'install/autoinst/vm01.ks'), 'utf8').includes(`${base}/install/callback/vm01?token=${token}`));
  // vm02 has no MAC: the iPXE script only, with a preseed URL
  assert.ok(ipxe('vm02').includes(`url=${base}/install/autoinst/vm02.preseed?token=`));
  assert.notEqual(tokenIn(ipxe('vm02')), token, 'one token per node');

  const json = JSON.parse((await c.cli(['nodeset', 'vm01', 'install', '-o', 'json'])).stdout) as Array<{
    node: string;
    ok: boolean;
    code: string;
    data: Record<string, string>;
  }>;
  assert.deepEqual(
    json.map((x) => [x.node, x.ok, x.code, x.data.host]),
    [['vm01', false, 'HOST_UNKNOWN', 'hv01']],
  );
  assert.notEqual(tokenIn(ipxe('vm01')), token, 'a new nodeset gives a new token');
});

test('netboot nodeset - bad input fails per node naming the field; nothing is written for it', async () => {
  const r = await c.cli(['rinstall', 'bados,nohost']);
  assert.equal(r.code, 1);
  const lines = r.stderr.trim().split('\n').sort();
  assert.match(
    lines[0]!,
    /^bados: nodetype\.os 'solaris11' is not valid; expected one of rhels, rhel, centos, rocky, alma \(kickstart\) or debian, ubuntu \(preseed\)/,
  );
  assert.match(lines[1]!, /^nohost: vm\.host is not set; .*set it with: chdef nohost vm\.host=hv01$/);
  assert.equal(existsSync(join(root, 'tftpboot/ipxe/bados.ipxe')), false);
  assert.equal(existsSync(join(root, 'tftpboot/ipxe/nohost.ipxe')), false);

  const ri = await c.cli(['rinstall', 'vm02']);
  assert.equal(ri.code, 1);
  assert.match(
    ri.stderr,
    /^vm02: boot files written, but the boot order was not changed and the guest was not restarted: host 'hv01' is not enrolled/,
  );

  const bad = await c.cli(['nodeset', 'vm01', 'shell']);
  assert.notEqual(bad.code, 0);
  assert.match(bad.stderr, /nodeset target 'shell': expected install or boot/);
});

test('netboot http - serves the iPXE script, refuses traversal, listings and symlinks', async () => {
  await c.cli(['nodeset', 'vm01', 'install']);
  const got = await get('/tftpboot/ipxe/vm01.ipxe');
  assert.equal(got.status, 200);
  assert.equal(got.body, ipxe('vm01'));
  assert.equal(got.headers['cache-control'], 'no-store');
  assert.equal((await get('/tftpboot/ipxe/vm01.ipxe', 'HEAD')).status, 200);
  assert.equal((await get('/tftpboot/ipxe/nosuch.ipxe')).status, 404);

  symlinkSync('/etc/passwd', join(root, 'tftpboot/ipxe/evil.ipxe'));
  for (const path of [
    '/tftpboot/ipxe/../../../../../../etc/passwd',
    '/tftpboot/../etc/passwd',
    '/../etc/passwd',
    '/tftpboot/ipxe/%2e%2e/%2e%2e/%2e%2e/etc/passwd',
    '/tftpboot/ipxe/..%2f..%2fetc%2fpasswd',
    '/tftpboot/ipxe/evil.ipxe',
    '/tftpboot/ipxe/',
    '/tftpboot/',
    '/',
    '/install/autoinst/',
    '/tftpboot/pxelinux.cfg/01-52-54-00-30-00-01',
  ]) {
    const r = await get(path);
    assert.ok([400, 403, 404].includes(r.status), `${path}: status ${r.status}`);
    assert.doesNotMatch(r.body, /root:/, `${path} leaked a file`);
    assert.doesNotMatch(r.body, /vm01/, `${path} listed a directory`);
  }
  assert.equal((await get('/tftpboot/ipxe/vm01.ipxe', 'POST')).status, 405);
});

test('netboot http - answer file and callback need the right token; the callback works once and sends the node to disk', async () => {
  await c.cli(['nodeset', 'vm01', 'install']);
  const token = tokenIn(ipxe('vm01'));
  const wrong = 'A'.repeat(32);

  assert.equal((await get('/install/autoinst/vm01.ks')).status, 403);
  assert.equal((await get(`/install/autoinst/vm01.ks?token=${wrong}`)).status, 403);
  assert.equal((await get(`/install/autoinst/vm02.ks?token=${token}`)).status, 403, "another node's token");
  const ks = await get(`/install/autoinst/vm01.ks?token=${token}`);
  assert.equal(ks.status, 200);
  assert.ok(ks.body.includes(`/install/callback/vm01?token=${token}`));

  assert.equal((await get(`/install/callback/vm01?token=${wrong}`)).status, 403);
  assert.equal((await get('/install/callback/vm01')).status, 403);
  assert.equal((await get(`/install/callback/vm01?token=${token}`, 'HEAD')).status, 405, 'HEAD does not spend the token');
  assert.match(ipxe('vm01'), /inst\.ks=/, 'refused callbacks change nothing');

  const done = await get(`/install/callback/vm01?token=${token}`);
  assert.equal(done.status, 200, done.body);
  // the boot files say "local disk" even though the boot order could not be changed (no agent)
  assert.match(done.body, /^vm01: boot files written, but the boot order was not changed: host 'hv01' is not enrolled/);
  assert.match(ipxe('vm01'), /sanboot --no-describe --drive 0x80/);
  assert.match(readFileSync(join(root, 'tftpboot/pxelinux.cfg/01-52-54-00-30-00-01'), 'utf8'), /LOCALBOOT 0/);
  assert.equal(existsSync(join(root, 'install/autoinst/vm01.ks')), false, 'the answer file (with its token) is gone');

  const db = new Database(join(c.dir, 'state', 'drover.db'), { readonly: true, fileMustExist: true });
  try {
    const rows = db.prepare("SELECT who, target, outcome FROM audit WHERE action = 'InstallCallback'").all() as Array<{
      who: string;
      target: string;
      outcome: string;
    }>;
    assert.equal(rows.length, 1, 'one audit row for the accepted callback, none for refusals');
    assert.match(rows[0]!.who, /^\(unauthenticated 127\.0\.0\.1:\d+\)$/);
    assert.equal(rows[0]!.target, 'vm01');
  } finally {
    db.close();
  }

  assert.equal((await get(`/install/callback/vm01?token=${token}`)).status, 403, 'single use');
  assert.equal((await get(`/install/autoinst/vm01.ks?token=${token}`)).status, 403);
});

test('netboot nodeset - boot writes local-boot files and forgets the token', async () => {
  await c.cli(['nodeset', 'vm02', 'install']);
  const token = tokenIn(ipxe('vm02'));
  const r = await c.cli(['nodeset', 'vm02', 'boot']);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /^vm02: boot files written, but the boot order was not changed: host 'hv01' is not enrolled/);
  assert.match(ipxe('vm02'), /sanboot/);
  assert.equal((await get(`/install/callback/vm02?token=${token}`)).status, 403);
});
