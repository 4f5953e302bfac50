import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import {
  assertCountRises,
  cutLink,
  defineCounterGuest,
  domState,
  getSharedLab,
  killLibvirtd,
  limitLink,
  qemuPids,
  resetHosts,
  restoreLink,
  sampleCounts,
  spawnInHost,
  startLibvirtd,
  unlimitLink,
  virsh,
  waitForCount,
  type Lab,
  type LabHost,
} from '../lab';
import { run } from '../lab/exec';

let lab: Lab;
before(async () => {
  lab = await getSharedLab();
  await resetHosts(lab);
});
after(async () => {
  if (lab) await resetHosts(lab);
});

function tcpReachable(ip: string, port: number, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect({ host: ip, port });
    const done = (ok: boolean): void => {
      s.destroy();
      resolve(ok);
    };
    s.setTimeout(timeoutMs, () => done(false));
    s.on('connect', () => done(true));
    s.on('error', () => done(false));
  });
}

function runInHost(host: LabHost, argv: string[]): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve) => {
    const child = spawnInHost(host, argv, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr?.on('data', (d: Buffer) => (out += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, out });
    });
  });
}

test('lab - a killed libvirtd leaves its guest running and re-attaches when started again', { timeout: 120_000 }, async () => {
  const h = lab.hosts[2];
  assert.ok(h);
  await defineCounterGuest(h, 'survivor');
  await waitForCount(h, 'survivor', 2);
  const qemu = await qemuPids(h);
  const oldPid = h.pid;
  await killLibvirtd(h);
  assert.equal(h.pid, 0);
  await assert.rejects(virsh(h, ['list'], { timeoutMs: 10_000 }), 'no daemon answers while it is dead');
  assert.deepEqual(await qemuPids(h), qemu, 'QEMU keeps running without libvirtd');
  await startLibvirtd(h);
  assert.ok(h.pid > 0 && h.pid !== oldPid, 'a new daemon runs');
  assert.equal(await domState(h, 'survivor'), 'running', 'the new daemon re-attached to the guest');
  assertCountRises(await sampleCounts(h, 'survivor', 4, 300), 'survivor');
  await assert.rejects(startLibvirtd(h), /already running/);
});

test('lab - cutLink makes a host unreachable over the network until restoreLink', { timeout: 60_000 }, async () => {
  const h = lab.hosts[1];
  assert.ok(h);
  assert.equal(await tcpReachable(h.ip, 16509, 3000), true, 'reachable before the cut');
  await cutLink(h);
  try {
    assert.equal(await tcpReachable(h.ip, 16509, 1500), false, 'unreachable while cut');
    assert.match(await virsh(h, ['hostname']), /\S/, 'the daemon itself is alive (local socket)');
  } finally {
    await restoreLink(h);
  }
  assert.equal(await tcpReachable(h.ip, 16509, 3000), true, 'reachable again after restore');
});

test('lab - limitLink shapes both ends of a host link with tbf, unlimitLink removes it', { timeout: 60_000 }, async () => {
  const h = lab.hosts[0];
  assert.ok(h);
  await limitLink(h, '8mbit');
  try {
    const rootSide = (await run(['tc', 'qdisc', 'show', 'dev', h.vethRoot])).stdout;
    assert.match(rootSide, /tbf .*rate 8Mbit/);
    const hostSide = (await run(['ip', 'netns', 'exec', h.netns, 'tc', 'qdisc', 'show', 'dev', h.vethHost])).stdout;
    assert.match(hostSide, /tbf .*rate 8Mbit/);
    assert.equal(await tcpReachable(h.ip, 16509, 3000), true, 'a limited link still carries traffic');
    await assert.rejects(limitLink(h, 'fast; rm -rf /'), /rate/);
  } finally {
    await unlimitLink(h);
  }
  assert.doesNotMatch((await run(['tc', 'qdisc', 'show', 'dev', h.vethRoot])).stdout, /tbf/);
});

test('lab - spawnInHost runs a program with the host network and the private dirs libvirtd sees', { timeout: 60_000 }, async () => {
  const [a, b] = lab.hosts;
  assert.ok(a && b);
  await defineCounterGuest(a, 'seen-by-a', { noStart: true });
  const addr = await runInHost(a, ['ip', '-4', '-o', 'addr', 'show', 'dev', 'eth0']);
  assert.equal(addr.code, 0, addr.out);
  assert.match(addr.out, new RegExp(`inet ${a.ip.replace(/\./g, '\\.')}/24`));
  // qemu:///system inside the host means this host's daemon, through the bind-mounted /run/libvirt
  const listA = await runInHost(a, ['virsh', '-c', 'qemu:///system', 'list', '--all', '--name']);
  assert.equal(listA.code, 0, listA.out);
  assert.match(listA.out, /seen-by-a/);
  const listB = await runInHost(b, ['virsh', '-c', 'qemu:///system', 'list', '--all', '--name']);
  assert.equal(listB.code, 0, listB.out);
  assert.doesNotMatch(listB.out, /seen-by-a/);
  const mounts = await runInHost(a, ['cat', '/proc/self/mountinfo']);
  for (const target of ['/etc/libvirt', '/run/libvirt', '/var/lib/libvirt', '/var/log/libvirt', '/var/cache/libvirt', a.localDir]) {
    assert.match(mounts.out, new RegExp(` ${target.replace(/[/.]/g, '\\$&')} `), `${target} is bind-mounted`);
  }
  assert.doesNotMatch(
    await run(['cat', '/proc/self/mountinfo']).then((r) => r.stdout),
    new RegExp(a.hostDir.replace(/[/.]/g, '\\$&')),
    'the root namespace sees none of it',
  );
});
