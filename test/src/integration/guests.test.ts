/**
 * rpower and friends through every real part: the CLI binary -> drover-server -> five
 * drover-agents on the libvirt test driver -> NATS reports back into the server's inventory.
 */
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { TestCluster } from '../support/cluster.js';
import { tempDir, waitFor, cleanupDir } from '../support/procs.js';
import { writeTestHostFile } from '../support/testdriver.js';

let c: TestCluster;
let dir: string;
const HOSTS = ['node01', 'node02', 'node03', 'node04', 'node05'];

before(async () => {
  dir = tempDir('drover-guests-');
  const vms = join(dir, 'vms');
  mkdirSync(vms);
  process.env.DROVER_AGENT_STORAGE_ROOTS = vms;
  const uris = HOSTS.map(
    (h) => writeTestHostFile(join(dir, h), { memoryMiB: 65536, cpus: 32, networks: [{ name: 'default', bridge: 'br0' }] }).uri,
  );
  c = await TestCluster.start({ hostNames: HOSTS, heartbeatMs: 300, staleAfterMs: 1500, downAfterMs: 60_000, libvirtUri: (i) => uris[i]! });
  await waitFor(
    'all hosts up',
    async () => (await c.cliJson<{ state: string }[]>(['lshosts'])).filter((h) => h.state === 'up').length === 5,
  );
  for (const [i, h] of HOSTS.entries()) {
    const lo = i * 20 + 1;
    const r = await c.cli([
      'nodeadd',
      `vm[${String(lo).padStart(3, '0')}-${String(lo + 19).padStart(3, '0')}]`,
      `vm.host=${h}`,
      'vm.memory=64M',
      'groups=vms',
      'vm.nics=br0',
    ]);
    assert.equal(r.code, 0, r.stderr);
  }
});
after(async () => {
  await c?.stop();
  cleanupDir(dir);
});

interface Result {
  node: string;
  ok: boolean;
  message: string;
  data?: Record<string, string>;
}

test('rpower - on over 100 guests on 5 agents defines and starts every one', async () => {
  const r = await c.cli(['rpower', 'vms', 'on', '-o', 'json']);
  assert.equal(r.code, 0, r.stderr);
  const res = JSON.parse(r.stdout) as Result[];
  assert.equal(res.length, 100);
  assert.ok(
    res.every((x) => x.ok && x.message === 'on'),
    JSON.stringify(res.filter((x) => !x.ok || x.message !== 'on').slice(0, 3)),
  );
  // Each host runs exactly its 20 guests (asked live).
  for (const h of HOSTS) {
    const l = await c.cliJson<{ guests: { name: string; state: string }[] }>(['lsvm', h, '--live']);
    assert.equal(l.guests.filter((g) => g.state === 'on').length, 20, `${h}`);
  }
});

test('rpower - first power-ons allocate a unique, locally administered MAC per guest', async () => {
  const t = await c.cli(['tabdump', 'mac']);
  assert.equal(t.code, 0, t.stderr);
  const macs = t.stdout
    .split('\n')
    .slice(1)
    .filter(Boolean)
    .map((l) => l.split(',')[2]!.replace(/"/g, ''));
  assert.equal(macs.length, 100);
  assert.equal(new Set(macs).size, 100, 'no MAC handed out twice');
  for (const m of macs) assert.match(m, /^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/);
  for (const m of macs) assert.equal(parseInt(m.slice(0, 2), 16) & 0x03, 0x02, `${m} is locally administered unicast`);
});

test('rpower - stat answers from the reported inventory and agrees with --live after changes', async () => {
  const off = await c.cli(['rpower', 'vm[001-010]', 'off']);
  assert.equal(off.code, 0, off.stderr);
  assert.match(off.stdout, /^vm001: off$/m);
  const sus = await c.cli(['rpower', 'vm011', 'suspend']);
  assert.match(sus.stdout, /^vm011: paused$/m);
  const want = (n: number): string => (n <= 10 ? 'off' : n === 11 ? 'paused' : 'on');
  await waitFor(
    'inventory to catch up',
    async () => {
      const s = await c.cliJson<Result[]>(['rpower', 'vm[001-020]', 'stat']);
      return s.every((x, i) => x.data?.state === want(i + 1));
    },
    10_000,
    200,
  );
  const live = await c.cliJson<Result[]>(['rpower', 'vm[001-020]', 'stat', '--live']);
  assert.deepEqual(
    live.map((x) => x.data?.state),
    Array.from({ length: 20 }, (_, i) => want(i + 1)),
  );
  const text = await c.cli(['rpower', 'vm011,vm012', 'stat']);
  assert.equal(text.stdout, 'vm011: paused\nvm012: on\n');
});

test('rpower - a running guest is never started where vm.host points when it is active elsewhere', async () => {
  const ch = await c.cli(['chdef', 'vm021', 'vm.host=node01']);
  assert.equal(ch.code, 0, ch.stderr);
  const r = await c.cli(['rpower', 'vm021', 'on']);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /^vm021: is on on node02 but vm.host is node01; not started/m);
  const s = await c.cli(['rpower', 'vm021', 'stat']);
  assert.match(s.stdout, /^vm021: on \(on node02, not vm.host node01\)$/m);
  assert.equal((await c.cli(['chdef', 'vm021', 'vm.host=node02'])).code, 0);
});

test('rmvm - a running guest is refused without -f; -f removes it', async () => {
  const r = await c.cli(['rmvm', 'vm022']);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /^vm022: .*running/m);
  const f = await c.cli(['rmvm', 'vm022', '-f']);
  assert.equal(f.code, 0, f.stderr);
  assert.match(f.stdout, /^vm022: removed from node02/m);
  const s = await c.cliJson<Result[]>(['rpower', 'vm022', 'stat', '--live']);
  assert.equal(s[0]!.message, 'off (not defined)');
});

test('rpower - unknown nodes and a viewer turning guests off are refused with reasons', async () => {
  const u = await c.cli(['rpower', 'vm999', 'on']);
  assert.notEqual(u.code, 0);
  assert.match(u.stderr, /vm999/);
  const v = await c.cli(['rpower', 'vm030', 'off'], 'viewer');
  assert.equal(v.code, 1);
  assert.match(v.stderr, /needs role operator/);
  const st = await c.cli(['rpower', 'vm030', 'stat'], 'viewer');
  assert.equal(st.code, 0, st.stderr);
});

test('rpower - guests on a host that stops heartbeating show unknown, with the reason', async () => {
  const a = c.agents.find((x) => x.host === 'node05')!;
  a.proc!.kill('SIGKILL');
  await a.proc!.exited;
  const res = await waitFor(
    'node05 guests unknown',
    async () => {
      const s = await c.cliJson<Result[]>(['rpower', 'vm[080-082]', 'stat']);
      return s.slice(1).every((x) => x.data?.state === 'unknown') ? s : undefined;
    },
    10_000,
    200,
  );
  assert.equal(res[0]!.data?.state, 'on', 'vm080 is on node04');
  for (const x of res.slice(1)) assert.match(x.message, /^unknown \(host node05 is stale, last heartbeat \d+s ago\)$/);
  const on = await c.cli(['rpower', 'vm081', 'on']);
  assert.equal(on.code, 1);
  assert.match(on.stderr, /^vm081: host node05 is stale; a guest is never started on a host that is not up/m);
});
