/**
 * (Named to run after the other end-to-end files: it kills and replaces lab hosts' libvirtd.)
 * drover-agent on real lab hosts (libvirtd + QEMU in network namespaces), through real drover
 * processes: lifecycle events reaching NATS JetStream, reconnecting after the host's libvirtd is
 * killed and started again, a guest with a NIC on the host's guest bridge and a disk (its domain
 * XML validated by libvirt's own schemas), and the safe hypervisor restart (rhypervisor), which
 * restarts the host's libvirtd through the agent's configured restart command.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, readFileSync, writeFileSync, chmodSync } from 'node:fs';
import { join } from 'node:path';
import type { NatsConnection, Subscription } from 'nats';
import { codec, connectNats, subjects, EVENTS_STREAM, type GuestEvent__Output, background } from '@drover/contract';
import {
  getSharedLab,
  resetHosts,
  virsh,
  killLibvirtd,
  startLibvirtd,
  counterImage,
  readCounts,
  readCount,
  readBoots,
  assertCountRises,
  sampleCounts,
  domState,
  type Lab,
  type LabHost,
} from '../lab/index.js';
import { startLabCluster } from '../support/labcluster.js';
import type { TestCluster } from '../support/cluster.js';
import { run, tempDir, cleanupDir, waitFor } from '../support/procs.js';
import { addCounterGuests, declareSharedStorage, sharedDisks } from '../support/labguests.js';
import { serverPki } from '../support/agent-client.js';

let lab: Lab;
let c: TestCluster;
let nc: NatsConnection;
let scratch: string;
const subs: Subscription[] = [];
let stopConsumer: (() => void) | undefined;
/** Events as core NATS subscribers see them, and as the JetStream stream stored them. */
const live: GuestEvent__Output[] = [];
const stored: (GuestEvent__Output & { msgId: string })[] = [];
const evCodec = codec<GuestEvent__Output>('GuestEvent');
const RESTART_HOST = 'node03';

const hostNamed = (name: string): LabHost => lab.hosts.find((h) => h.name === name)!;

/**
 * The restart command the agent of a lab host runs (argv: /bin/sh <this file>). The agent runs in
 * the host's namespaces with the host's private /run/libvirt, so the pid file is that host's
 * daemon: stop it (SIGTERM; its guests keep running) and start it again as the lab does (pinned to
 * CPU 0 so the QEMU capability cache stays valid), daemonized (-d returns once the daemon is up).
 */
const RESTART_SCRIPT = `#!/bin/sh
set -eu
pidfile=/run/libvirt/libvirtd.pid
pid=$(cat "$pidfile")
kill -TERM "$pid"
i=0
while kill -0 "$pid" 2>/dev/null; do
  i=$((i + 1))
  if [ "$i" -gt 100 ]; then kill -KILL "$pid"; fi
  sleep 0.1
done
if command -v taskset >/dev/null 2>&1; then
  exec taskset -c 0 libvirtd -d --listen --pid-file "$pidfile"
fi
exec libvirtd -d --listen --pid-file "$pidfile"
`;

before(
  async () => {
    lab = await getSharedLab();
    await resetHosts(lab);
    scratch = tempDir('drover-agent-e2e-');
    const script = join(scratch, 'restart-libvirtd.sh');
    writeFileSync(script, RESTART_SCRIPT);
    chmodSync(script, 0o755);
    c = await startLabCluster(lab, {
      agentEnv: () => ({
        DROVER_AGENT_HYPERVISOR_RESTART_COMMAND: `/bin/sh,${script}`,
        DROVER_AGENT_HYPERVISOR_RECONNECT_TIMEOUT_MS: '60000',
      }),
    });
    await c.waitHostsUp(3);
    await declareSharedStorage(c, lab);
    nc = await connectNats({
      url: `nats://${lab.bridgeIp}:${c.natsPort}`,
      seed: readFileSync(serverPki(c.dir).natsSeed, 'utf8').trim(),
      name: 'test-as-server',
    });
    // every host's events, as core NATS subscribers see them
    const sub = nc.subscribe(subjects.event('*'));
    subs.push(sub);
    background(
      'subscription reader',
      (async () => {
        for await (const m of sub) live.push(evCodec.decode(m.data));
      })(),
    );
    // and as stored in the JetStream stream (an ordered consumer from the start of the stream)
    const oc = await nc.jetstream().consumers.get(EVENTS_STREAM, { filterSubjects: subjects.event('*') });
    const msgs = await oc.consume();
    stopConsumer = () => msgs.stop();
    background(
      'subscription reader',
      (async () => {
        for await (const m of msgs) stored.push({ ...evCodec.decode(m.data), msgId: m.headers?.get('Nats-Msg-Id') ?? '' });
      })(),
    );
  },
  { timeout: 120_000 },
);
after(async () => {
  stopConsumer?.();
  for (const s of subs) s.unsubscribe();
  await nc?.drain().catch(() => undefined);
  await c?.stop();
  if (lab) await resetHosts(lab);
  if (scratch) cleanupDir(scratch);
});

type StoredEvent = GuestEvent__Output & { msgId: string };
function eventsOf(guest: string, from = 0): StoredEvent[] {
  return stored.slice(from).filter((e) => e.guest === guest);
}

async function stat(node: string, live = false): Promise<{ node: string; ok: boolean; message: string; data?: Record<string, string> }> {
  const r = await c.cli(['rpower', node, 'stat', ...(live ? ['--live'] : []), '-o', 'json']);
  const out = (JSON.parse(r.stdout) as { node: string; ok: boolean; message: string; data?: Record<string, string> }[])[0]!;
  assert.equal(r.code, out.ok ? 0 : 1, `exit code follows the result: ${r.stdout}${r.stderr}`);
  return out;
}

test('agent events - rpower off/on of a lab guest reaches NATS JetStream as stopped and started events', { timeout: 90_000 }, async () => {
  await addCounterGuests(c, lab, ['ev1'], 'node01');
  await waitFor('the start event of ev1 in the stream', () => eventsOf('ev1').some((e) => e.kind === 'started'), 15_000, 100);
  const mark = stored.length;
  const off = await c.cli(['rpower', 'ev1', 'off']);
  assert.equal(off.code, 0, off.stderr);
  const stopped = await waitFor('stopped event', () => eventsOf('ev1', mark).find((e) => e.kind === 'stopped'), 15_000, 100);
  assert.equal(stopped.host, 'node01');
  assert.equal(stopped.state, 'POWER_STATE_OFF');
  assert.equal(stopped.detail, 'destroyed');
  const on = await c.cli(['rpower', 'ev1', 'on']);
  assert.equal(on.code, 0, on.stderr);
  const started = await waitFor('started event', () => eventsOf('ev1', mark).find((e) => e.kind === 'started'), 15_000, 100);
  assert.equal(started.state, 'POWER_STATE_ON');
  assert.equal(started.detail, 'booted');
  const mine = eventsOf('ev1', mark);
  assert.ok(mine.indexOf(stopped) < mine.indexOf(started), 'in order');
  // each event is stored once, under its own message id (boot id + sequence), as live subscribers saw it
  for (const e of [stopped, started]) {
    assert.equal(e.msgId, e.eventId);
    assert.equal(stored.filter((x) => x.eventId === e.eventId).length, 1);
    await waitFor(`live copy of ${e.eventId}`, () => live.some((l) => l.eventId === e.eventId), 5_000, 50);
  }
  const [boot, seqA] = [stopped.eventId.replace(/-\d+$/, ''), Number(stopped.eventId.split('-').pop())];
  assert.ok(started.eventId.startsWith(boot) && Number(started.eventId.split('-').pop()) > seqA, 'the sequence rises');
  // and the power state the server shows follows the events
  await waitFor('rpower stat on', async () => (await stat('ev1')).data?.state === 'on', 10_000, 200);
});

test(
  'agent reconnect - libvirtd killed and started again: lshosts shows libvirt unreachable then ok; rpower stat --live works again',
  { timeout: 120_000 },
  async () => {
    const h = hostNamed('node02');
    await addCounterGuests(c, lab, ['rc1'], 'node02');
    assert.equal((await stat('rc1', true)).message, 'on');
    await killLibvirtd(h);
    try {
      const down = await waitFor(
        'lshosts to show node02 libvirt unreachable',
        async () => {
          const hs = await c.cliJson<{ host: string; state: string; libvirt: string }[]>(['lshosts']);
          const x = hs.find((y) => y.host === 'node02')!;
          return x.libvirt !== 'ok' ? x : undefined;
        },
        30_000,
        250,
      );
      assert.equal(down.state, 'up', 'the host (its agent) is still up; only libvirt is not');
      assert.ok(down.libvirt.length > 0, down.libvirt);
      // the agent answers; it is libvirt that is away, and drover says so (not "agent did not answer")
      const during = await stat('rc1', true);
      assert.equal(during.ok, true, `live stat without libvirt: ${JSON.stringify(during)}`);
      assert.equal(during.data?.state, 'unknown');
      assert.match(during.message, /^unknown \(node02: libvirt at qemu:\/\/\/system is not reachable/);
      assert.doesNotMatch(during.message, /did not answer/);
      const act = await c.cli(['rpower', 'rc1', 'suspend']);
      assert.equal(act.code, 1);
      assert.match(act.stderr, /rc1: node02: libvirt at qemu:\/\/\/system is not reachable/);
      assert.doesNotMatch(act.stderr, /did not answer/);
    } finally {
      await startLibvirtd(h);
    }
    await waitFor(
      'lshosts to show node02 libvirt ok again',
      async () => {
        const hs = await c.cliJson<{ host: string; libvirt: string }[]>(['lshosts']);
        return hs.find((y) => y.host === 'node02')?.libvirt === 'ok';
      },
      60_000,
      250,
    );
    const again = await stat('rc1', true);
    assert.equal(again.ok, true, JSON.stringify(again));
    assert.equal(again.message, 'on');
    // the guest kept running through it (libvirtd re-attached to its QEMU), and commands work again
    assertCountRises(readCounts(lab, 'rc1'), 'rc1 across the libvirtd restart');
    assert.equal(readBoots(lab, 'rc1'), 1);
    const mark = stored.length;
    assert.equal((await c.cli(['rpower', 'rc1', 'suspend'])).code, 0);
    await waitFor(
      'suspended event through the new connection',
      () => eventsOf('rc1', mark).some((e) => e.kind === 'suspended'),
      15_000,
      100,
    );
    assert.equal((await c.cli(['rpower', 'rc1', 'resume'])).code, 0);
    await waitFor('resumed event', () => eventsOf('rc1', mark).some((e) => e.kind === 'resumed'), 15_000, 100);
  },
);

test(
  "agent define - a guest with a NIC on the host's guest bridge and a disk runs; its domain XML is valid",
  { timeout: 90_000 },
  async () => {
    const h = hostNamed('node02');
    mkdirSync(sharedDisks(lab), { recursive: true });
    copyFileSync(await counterImage(), join(sharedDisks(lab), 'nic1.qcow2'));
    const add = await c.cli([
      'nodeadd',
      'nic1',
      'vm.host=node02',
      'vm.memory=64M',
      `vm.storage=dir://${sharedDisks(lab)}`,
      `vm.nics=${h.guestBridge}`,
    ]);
    assert.equal(add.code, 0, add.stderr);
    const on = await c.cli(['rpower', 'nic1', 'on']);
    assert.equal(on.code, 0, `${on.stdout}${on.stderr}`);
    await waitFor('nic1 running on node02 (virsh)', async () => (await domState(h, 'nic1')) === 'running', 20_000, 200);
    await waitFor('nic1 counting', () => (readCount(lab, 'nic1') ?? 0) >= 2, 30_000, 200);
    const xml = await virsh(h, ['dumpxml', '--inactive', 'nic1']);
    const file = join(scratch, 'nic1.xml');
    writeFileSync(file, xml);
    const v = await run('virt-xml-validate', [file, 'domain']);
    assert.equal(v.code, 0, `virt-xml-validate: ${v.stdout}${v.stderr}`);
    const liveXml = await virsh(h, ['dumpxml', 'nic1']);
    writeFileSync(join(scratch, 'nic1-live.xml'), liveXml);
    const vl = await run('virt-xml-validate', [join(scratch, 'nic1-live.xml'), 'domain']);
    assert.equal(vl.code, 0, `virt-xml-validate (live): ${vl.stdout}${vl.stderr}`);
    // the NIC: a bridge interface on labbr0 with the MAC drover recorded, and a tap device in the bridge
    const iface = /<interface type='bridge'>[\s\S]*?<\/interface>/.exec(liveXml)?.[0] ?? '';
    assert.match(iface, new RegExp(`<source bridge='${h.guestBridge}'/>`));
    const mac = /<mac address='([0-9a-f:]+)'\/>/.exec(iface)?.[1];
    const recorded = (await c.cli(['nodels', 'nic1', 'mac.mac'])).stdout.trim().split(': ').pop();
    assert.equal(mac, recorded?.toLowerCase(), 'the MAC drover recorded in the mac table');
    const tap = /<target dev='([^']+)'\/>/.exec(iface)?.[1];
    assert.ok(tap, `a tap device: ${iface}`);
    const ifl = await virsh(h, ['domiflist', 'nic1']);
    assert.match(ifl, new RegExp(`${tap}\\s+bridge\\s+${h.guestBridge}`));
    // the disk: the shared qcow2 file
    assert.match(liveXml, new RegExp(`<source file='${join(sharedDisks(lab), 'nic1.qcow2').replace(/[.]/g, '\\.')}'`));
    assert.match(liveXml, /<driver name='qemu' type='qcow2'/);
  },
);

/** The new libvirtd's pid after the agent restarted it (from the host's pid file). */
function pidFileOf(h: LabHost): number {
  return Number(readFileSync(join(h.dirs.run, 'libvirtd.pid'), 'utf8').trim());
}

/** Gives the lab its own libvirtd back (the one the restart command started is not in its state). */
async function handBackLibvirtd(h: LabHost): Promise<void> {
  let pid = 0;
  try {
    pid = pidFileOf(h);
  } catch {
    return;
  }
  if (!pid || pid === h.pid) return;
  try {
    process.kill(pid, 'SIGTERM');
  } catch {
    /* already gone */
  }
  await waitFor(
    `libvirtd ${pid} to exit`,
    () => {
      try {
        process.kill(pid, 0);
        return false;
      } catch {
        return true;
      }
    },
    20_000,
    50,
  );
  await startLibvirtd(h);
}

test(
  'rhypervisor restart - guests suspended and resumed around a real libvirtd restart; counts continue; a paused guest stays paused',
  { timeout: 150_000 },
  async () => {
    const h = hostNamed(RESTART_HOST);
    await addCounterGuests(c, lab, ['rs1', 'rs2', 'rs3'], RESTART_HOST);
    assert.equal((await c.cli(['rpower', 'rs3', 'suspend'])).code, 0);
    await waitFor('rs3 paused', async () => (await domState(h, 'rs3')) === 'paused', 10_000, 100);
    const pausedAt = readCount(lab, 'rs3');
    const before = { rs1: await sampleCounts(lab, 'rs1', 3, 300), rs2: await sampleCounts(lab, 'rs2', 3, 300) };
    const oldPid = pidFileOf(h);
    const mark = stored.length;
    const t0 = Date.now();
    let r;
    let newPid = oldPid;
    try {
      r = await c.cli(['rhypervisor', RESTART_HOST, 'restart']);
    } finally {
      newPid = pidFileOf(h);
      if (newPid !== oldPid)
        await handBackLibvirtd(h).catch((e: Error) => process.stderr.write(`lab: libvirtd of ${h.name} not handed back: ${e.message}\n`));
    }
    assert.equal(r.code, 0, `${r.stdout}${r.stderr}`);
    assert.match(r.stdout, new RegExp(`${RESTART_HOST}: restarted; suspended 2, resumed 2, left paused \\(were paused before\\): rs3`));
    assert.notEqual(newPid, oldPid, 'libvirtd really was restarted (a new daemon)');
    assert.ok(Date.now() - t0 < 60_000, 'within a minute');

    for (const g of ['rs1', 'rs2']) {
      const evs = eventsOf(g, mark);
      const s = evs.findIndex((e) => e.kind === 'suspended');
      const res = evs.findIndex((e) => e.kind === 'resumed');
      assert.ok(s >= 0, `${g}: a suspended event (${evs.map((e) => `${e.kind}/${e.detail}`).join(', ')})`);
      assert.ok(res > s, `${g}: a resumed event after it (${evs.map((e) => `${e.kind}/${e.detail}`).join(', ')})`);
      assert.equal(evs[s]!.state, 'POWER_STATE_PAUSED');
      assert.equal(evs[res]!.state, 'POWER_STATE_ON');
      assert.equal(await domState(h, g), 'running');
    }
    assert.deepEqual(
      eventsOf('rs3', mark).map((e) => e.kind),
      [],
      'nothing happened to the paused guest',
    );
    assert.equal(await domState(h, 'rs3'), 'paused', 'rs3 stays paused');

    const after = { rs1: await sampleCounts(lab, 'rs1', 4, 300), rs2: await sampleCounts(lab, 'rs2', 4, 300) };
    for (const g of ['rs1', 'rs2'] as const) {
      assertCountRises([...before[g], ...after[g]], `${g} across the hypervisor restart`);
      assertCountRises(readCounts(lab, g), `${g} whole history`);
      assert.equal(readBoots(lab, g), 1, `${g} booted once`);
    }
    assert.equal(readCount(lab, 'rs3'), pausedAt, 'the paused guest did not run');
    // drover sees them as the host does, and the host's agent still answers with libvirt
    await waitFor(
      'rpower stat after the restart',
      async () => {
        const st = await c.cliJson<{ node: string; data?: Record<string, string> }[]>(['rpower', 'rs1,rs2,rs3', 'stat', '--live']);
        return st.map((x) => x.data?.state).join(',') === 'on,on,paused';
      },
      20_000,
      300,
    );
    assert.equal((await c.cli(['rpower', 'rs3', 'resume'])).code, 0);
    await waitFor('rs3 counting again', () => (readCount(lab, 'rs3') ?? 0) > (pausedAt ?? 0), 15_000, 200);
    assert.equal(readBoots(lab, 'rs3'), 1);
  },
);
