// drover-agent's command service on libvirt's test driver: a real agent process, real
// nats-server and drover-server (TestCluster), called over mutual TLS as the headnode would.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as grpc from '@grpc/grpc-js';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { PowerAction } from '@drover/contract';
import { TestCluster } from '../support/cluster.js';
import { tempDir, waitFor, cleanupDir } from '../support/procs.js';
import { writeTestHostFile } from '../support/testdriver.js';
import { AgentClient } from '../support/agent-client.js';

const HOST = 'node01';
let dir: string;
let vms: string;
let c: TestCluster;
let agent: AgentClient;

const spec = (name: string, extra: Record<string, unknown> = {}) => ({
  name,
  memoryMib: 64,
  vcpus: 1,
  nics: [{ bridge: 'drbr0', model: 'virtio', mac: '02:00:00:00:00:01' }],
  disks: [],
  bootOrder: ['network', 'disk'],
  serialConsole: true,
  hvType: 'qemu',
  ...extra,
});

before(async () => {
  dir = tempDir('drover-agent-svc-');
  vms = join(dir, 'vms');
  mkdirSync(vms);
  const h = writeTestHostFile(dir, {
    guests: [{ name: 'alpha' }, { name: 'beta', state: 'shutoff' }, { name: 'gamma', state: 'paused' }],
    networks: [{ name: 'lan', bridge: 'drbr0' }],
  });
  // Agent config through its environment overrides (inherited by the agent process).
  process.env.DROVER_AGENT_STORAGE_ROOTS = vms;
  process.env.DROVER_AGENT_HYPERVISOR_RESTART_COMMAND = '/bin/true';
  c = await TestCluster.start({ hostNames: [HOST], heartbeatMs: 250, libvirtUri: () => h.uri });
  agent = new AgentClient(c.dir, HOST, `127.0.0.1:${c.agents[0]!.port}`);
  await waitFor('agent serving with libvirt up', async () => (await agent.call('GetFacts')).memoryTotalMib > 0, 20_000, 200);
});
after(async () => {
  agent?.close();
  await c?.stop();
  if (dir) cleanupDir(dir);
});

test('agent facts - memory, cpus, hypervisor, pools and the test network bridge', async () => {
  const f = await agent.call('GetFacts');
  assert.equal(f.memoryTotalMib, 8192);
  assert.equal(f.cpus, 8);
  assert.equal(f.hypervisor, 'Test');
  assert.equal(f.hvType, 'test');
  assert.equal(f.libvirtVersion.split('.')[0], '9');
  assert.deepEqual(f.bridges, ['drbr0']);
  assert.ok(f.vcpusAllocated >= 2, `vcpus allocated to running guests: ${f.vcpusAllocated}`);
  assert.ok(f.memoryFreeMib < f.memoryTotalMib);
});

test('agent guests - listing reports true states, ids and managed flags', async () => {
  const list = await agent.call('ListGuests');
  assert.equal(list.host, HOST);
  const by = new Map(list.guests.map((g) => [g.name, g]));
  assert.equal(by.get('alpha')?.state, 'POWER_STATE_ON');
  assert.ok((by.get('alpha')?.id ?? -1) > 0);
  assert.equal(by.get('beta')?.state, 'POWER_STATE_OFF');
  assert.equal(by.get('beta')?.id, -1);
  assert.equal(by.get('gamma')?.state, 'POWER_STATE_PAUSED', 'paused is not off');
  assert.equal(by.get('alpha')?.managed, false, 'domains drover did not define are unmanaged');
  assert.equal(by.get('alpha')?.memoryMib, 64);
  const one = await agent.call('GetGuest', { guest: 'gamma' });
  assert.equal(one.state, 'POWER_STATE_PAUSED');
});

test('agent define - a spec becomes a managed domain with its disk created, started', async () => {
  const res = await agent.call('DefineGuest', {
    spec: spec('web1', { disks: [{ url: `dir://${vms}?size=1G`, format: 'qcow2' }] }),
    createDisks: true,
    start: true,
  });
  assert.equal(res.status?.state, 'POWER_STATE_ON');
  assert.equal(res.status?.managed, true);
  assert.match(res.xml, /<drover:guest xmlns:drover="https:\/\/drover.dev\/xmlns\/guest\/1"/);
  assert.equal(res.created.length, 1);
  assert.equal(res.created[0]?.path, join(vms, 'web1.qcow2'));
  assert.ok(existsSync(join(vms, 'web1.qcow2')));
  const list = await agent.call('ListGuests');
  assert.equal(list.guests.find((g) => g.name === 'web1')?.managed, true);
  // Defining again with create_disks uses the disk that exists: nothing is created or overwritten.
  const before = readFileSync(join(vms, 'web1.qcow2'));
  const again = await agent.call('DefineGuest', {
    spec: spec('web1', { uuid: res.status?.uuid, disks: [{ url: `dir://${vms}?size=1G` }] }),
    createDisks: true,
  });
  assert.equal(again.created.length, 0);
  assert.ok(readFileSync(join(vms, 'web1.qcow2')).equals(before), 'the existing disk is untouched');
});

test('agent power - transitions report the true state', async () => {
  const p = (action: PowerAction, extra: { timeoutMs?: number } = {}) => agent.call('Power', { guest: 'alpha', action, ...extra });
  assert.equal((await p('POWER_ACTION_SUSPEND')).state, 'POWER_STATE_PAUSED');
  assert.equal((await p('POWER_ACTION_STAT')).state, 'POWER_STATE_PAUSED');
  assert.equal((await p('POWER_ACTION_ON')).state, 'POWER_STATE_PAUSED', 'on does not resume a paused guest');
  assert.equal((await p('POWER_ACTION_RESUME')).state, 'POWER_STATE_ON');
  assert.equal((await p('POWER_ACTION_RESET')).state, 'POWER_STATE_ON');
  assert.equal((await p('POWER_ACTION_REBOOT')).state, 'POWER_STATE_ON');
  const soft = await p('POWER_ACTION_SOFTOFF', { timeoutMs: 5000 });
  assert.equal(soft.state, 'POWER_STATE_OFF');
  assert.equal(soft.reason, 'shutdown');
  assert.equal((await p('POWER_ACTION_BOOT')).state, 'POWER_STATE_ON', 'boot powers on a guest that is off');
  const on = await p('POWER_ACTION_BOOT');
  assert.equal(on.state, 'POWER_STATE_ON', 'boot resets a guest that is on');
  const off = await p('POWER_ACTION_OFF');
  assert.equal(off.state, 'POWER_STATE_OFF');
  assert.equal(off.reason, 'destroyed');
  const refused = await agent.fail('Power', { guest: 'alpha', action: 'POWER_ACTION_SUSPEND' });
  assert.equal(refused.code, grpc.status.FAILED_PRECONDITION);
  assert.match(refused.details, /alpha.*off/);
  assert.equal((await p('POWER_ACTION_ON')).state, 'POWER_STATE_ON');
});

test('agent disks - sparse raw with nothing allocated, qcow2, no overwrite without force', async () => {
  const raw = join(vms, 'data.img');
  const qcow = join(vms, 'data2.qcow2');
  const res = await agent.call('CreateDisks', {
    guest: 'beta',
    disks: [
      { path: raw, format: 'raw', sizeBytes: 512 * 1024 * 1024 },
      { path: qcow, format: 'qcow2', sizeBytes: 256 * 1024 * 1024 },
    ],
  });
  assert.equal(res.disks.length, 2);
  assert.equal(statSync(raw).size, 512 * 1024 * 1024);
  assert.equal(statSync(raw).blocks, 0, 'raw disk is sparse');
  assert.equal(res.disks[0]?.allocationBytes, 0);
  assert.equal(res.disks[0]?.capacityBytes, 512 * 1024 * 1024);
  assert.equal(res.disks[1]?.capacityBytes, 256 * 1024 * 1024);
  assert.ok(statSync(qcow).size < 1024 * 1024, 'qcow2 grows on demand');

  writeFileSync(raw, 'precious');
  const refused = await agent.fail('CreateDisks', { guest: 'beta', disks: [{ path: raw, format: 'raw', sizeBytes: 1024 * 1024 }] });
  assert.equal(refused.code, grpc.status.ALREADY_EXISTS);
  assert.equal(statSync(raw).size, 'precious'.length, 'the existing disk is untouched');
  const forced = await agent.call('CreateDisks', {
    guest: 'beta',
    disks: [{ path: raw, format: 'raw', sizeBytes: 1024 * 1024 }],
    force: true,
  });
  assert.equal(forced.disks[0]?.capacityBytes, 1024 * 1024);

  const outside = await agent.fail('CreateDisks', {
    guest: 'beta',
    disks: [{ path: join(dir, 'elsewhere.img'), format: 'raw', sizeBytes: 1024 }],
  });
  assert.equal(outside.code, grpc.status.INVALID_ARGUMENT);
  assert.match(outside.details, /disks\[0\]\.path/);
  assert.ok(!existsSync(join(dir, 'elsewhere.img')));

  const del = await agent.call('DeleteDisks', { guest: 'beta', disks: [{ path: raw }, { path: qcow }] });
  assert.deepEqual(
    del.disks.map((d) => d.exists),
    [true, true],
  );
  assert.ok(!existsSync(raw) && !existsSync(qcow));
});

test("agent disks - a guest's disks are listed with capacity and real allocation", async () => {
  await agent.call('DefineGuest', {
    spec: spec('db1', { disks: [{ path: join(vms, 'db1.img'), format: 'raw', sizeBytes: 64 * 1024 * 1024 }] }),
    createDisks: true,
  });
  const list = await agent.call('ListDisks', { guest: 'db1' });
  assert.equal(list.disks.length, 1);
  assert.equal(list.disks[0]?.disk?.path, join(vms, 'db1.img'));
  assert.equal(list.disks[0]?.exists, true);
  assert.equal(list.disks[0]?.capacityBytes, 64 * 1024 * 1024);
  assert.equal(list.disks[0]?.allocationBytes, 0);
});

test('agent define - bad input is refused naming the field, and nothing on the host changes', async () => {
  const before = await agent.call('ListGuests');
  const filesBefore = readdirSync(vms).sort();
  const cases: [string, Record<string, unknown>, RegExp][] = [
    ['memory 0', spec('bad1', { memoryMib: 0 }), /spec\.memory_mib/],
    ['unknown storage scheme', spec('bad2', { disks: [{ url: 'foo://x/y?size=1G' }] }), /spec\.disks\[0\]\.url/],
    ['malformed MAC', spec('bad3', { nics: [{ bridge: 'drbr0', model: 'virtio', mac: '02:00:zz:00:00:01' }] }), /spec\.nics\[0\]\.mac/],
    ['disk outside the pools', spec('bad4', { disks: [{ path: '/etc/bad4.img', sizeBytes: 1024 }] }), /spec\.disks\[0\]\.path/],
    ['shell metacharacters in the name', spec('x;rm -rf /'), /spec\.name/],
    ['XML metacharacters in the name', spec('x<y>'), /spec\.name/],
  ];
  for (const [what, s, field] of cases) {
    const r = await agent.fail('DefineGuest', { spec: s, createDisks: true, start: true });
    assert.equal(r.code, grpc.status.INVALID_ARGUMENT, `${what}: ${r.details}`);
    assert.match(r.details, field, what);
  }
  const after = await agent.call('ListGuests');
  assert.deepEqual(
    after.guests.map((g) => [g.name, g.state]),
    before.guests.map((g) => [g.name, g.state]),
  );
  assert.deepEqual(readdirSync(vms).sort(), filesBefore);
});

test("agent errors - unknown guest, other host, and libvirt failures carry libvirt's code", async () => {
  const nf = await agent.fail('GetGuest', { guest: 'nosuch' });
  assert.equal(nf.code, grpc.status.NOT_FOUND);
  assert.match(nf.details, /nosuch/);
  const other = await agent.fail('ListGuests', { host: 'node99' });
  assert.equal(other.code, grpc.status.INVALID_ARGUMENT);
  assert.match(other.details, /host: this agent serves 'node01', not 'node99'/);
  // The test driver cannot update a live device: libvirt's NO_SUPPORT (3) comes back in metadata.
  await agent.call('DefineGuest', { spec: spec('vnc1', { vnc: { enabled: true, listen: '127.0.0.1' } }), start: true });
  const vnc = await agent.fail('GetVnc', { guest: 'vnc1', passwordTtlS: 30 });
  assert.equal(vnc.code, grpc.status.UNIMPLEMENTED);
  assert.equal(vnc.metadata.get('libvirt-code')[0], '3');
  assert.equal(vnc.error.libvirtCode, 3);
});

test('agent boot order - redefined, and applied by a restart', async () => {
  const st = await agent.call('SetBootOrder', { guest: 'web1', bootOrder: ['disk', 'network'], restart: true });
  assert.equal(st.state, 'POWER_STATE_ON');
  const { xml } = await agent.call('GetDomainXml', { guest: 'web1' });
  const boots = [...xml.matchAll(/<boot dev='(\w+)'\/>/g)].map((m) => m[1]);
  assert.deepEqual(boots, ['hd', 'network']);
  const bad = await agent.fail('SetBootOrder', { guest: 'web1', bootOrder: ['floppy'] });
  assert.equal(bad.code, grpc.status.INVALID_ARGUMENT);
  assert.match(bad.details, /boot_order\[0\]/);
});

test('agent undefine - a running guest is refused without force; force removes it and its disks', async () => {
  const refused = await agent.fail('UndefineGuest', { guest: 'web1' });
  assert.equal(refused.code, grpc.status.FAILED_PRECONDITION);
  assert.ok(existsSync(join(vms, 'web1.qcow2')));
  const res = await agent.call('UndefineGuest', { guest: 'web1', force: true, deleteDisks: true });
  assert.deepEqual(
    res.deleted.map((d) => d.path),
    [join(vms, 'web1.qcow2')],
  );
  assert.ok(!existsSync(join(vms, 'web1.qcow2')));
  assert.equal((await agent.fail('GetGuest', { guest: 'web1' })).code, grpc.status.NOT_FOUND);
});

test("agent console - the test driver has no console: the stream ends with libvirt's NO_SUPPORT", async () => {
  const con = agent.console({ guest: 'alpha', write: true });
  const st = await con.done;
  assert.ok(!(st instanceof Error) || 'code' in st);
  const code = (st as { code: number }).code;
  assert.equal(code, grpc.status.UNIMPLEMENTED);
  con.stream.end();
});

test('agent restart - RestartHypervisor suspends the running guests, runs the command, resumes exactly those', async () => {
  const before = await agent.call('ListGuests');
  const running = before.guests
    .filter((g) => g.state === 'POWER_STATE_ON')
    .map((g) => g.name)
    .sort();
  assert.ok(running.includes('alpha'));
  const res = await agent.call('RestartHypervisor');
  assert.equal(res.error, '');
  assert.equal(res.restarted, true);
  assert.deepEqual([...res.suspended].sort(), running);
  assert.deepEqual([...res.resumed].sort(), running);
  assert.deepEqual(res.leftPaused, ['gamma']);
  const after = await agent.call('ListGuests');
  assert.deepEqual(
    after.guests.map((g) => [g.name, g.state]),
    before.guests.map((g) => [g.name, g.state]),
  );
});
