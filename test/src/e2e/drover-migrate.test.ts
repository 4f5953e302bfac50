/**
 * rmigrate and revacuate on real lab hosts (libvirtd + QEMU in network namespaces) with counter
 * guests: every result is checked against the hosts' own libvirtd and the guests' serial output,
 * not only against drover's tables.
 */
import { test, before, after, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import {
  resetHosts,
  virsh,
  readCounts,
  assertCountRises,
  readBoots,
  sampleCounts,
  limitLink,
  unlimitLink,
  cutLink,
  restoreLink,
  type Lab,
} from '../lab/index.js';
import { Connection, DomainEventType, DomainEventResumedDetailType, DomainEventStartedDetailType, type DomainEvent } from '@drover/libvirt';
import type { TestCluster } from '../support/cluster.js';
import { BIN, waitFor } from '../support/procs.js';
import { onTerminal } from '../support/terminal.js';
import { addCounterGuests, cancelRunningOps, movesLeft, whereRunning } from '../support/labguests.js';
import { droverOnSharedLab } from '../support/labguests.js';

let lab: Lab;
let c: TestCluster;

before(async () => {
  // A host turns stale 30 s after its last heartbeat (6 s by default in lab clusters): the link-cut
  // test runs each command while node02's link is cut, and needs node02 still up when the server
  // plans it. With 6 s that failed under load (load average 17-20 on 2 cores: CLI start-up plus the
  // reachability check's 3 s connect timeout went past 6 s, and the move was refused as host-down
  // instead); no other test here depends on how fast a host turns stale.
  ({ lab, c } = await droverOnSharedLab({ staleAfterMs: 30_000, downAfterMs: 60_000 }));
});
after(async () => {
  await c?.stop();
  if (lab) await resetHosts(lab);
});
// Each test leaves no move running behind it: no operation still running, no libvirt job on any
// lab host. A test that does is failed by name, after its moves are cancelled so the next starts clean.
afterEach(async () => {
  if (!c) return;
  const left = await movesLeft(c, lab);
  if (!left.length) return;
  await cancelRunningOps(c);
  const still = await movesLeft(c, lab, 60_000);
  throw new Error(
    `moves left running after the test: ${left.join('; ')}${still.length ? `; still after cancelling: ${still.join('; ')}` : ''}`,
  );
});

async function vmHost(node: string): Promise<string> {
  const r = await c.cli(['nodels', node, 'vm.host']);
  return r.stdout.trim().split(': ').pop() ?? '';
}

test('rmigrate - over shared storage: the guest keeps counting on the destination and vm.host follows', { timeout: 180_000 }, async () => {
  await addCounterGuests(c, lab, ['sh1'], 'node01');
  const before = await sampleCounts(lab, 'sh1', 3, 300);
  // The dry run's host checks: node01 reaches node02's libvirt, and node02's libvirt can give sh1
  // the CPU it runs with on node01 (read from its live definition: TCG's qemu64).
  const dry = await c.cli(['rmigrate', 'sh1', 'node02', '--dry-run']);
  assert.equal(dry.code, 0, `${dry.stdout}\n${dry.stderr}`);
  assert.match(dry.stdout, /check sh1: ok reachability\n/);
  assert.match(dry.stdout, /check sh1: ok cpu-compare\n/);
  const r = await c.cli(['rmigrate', 'sh1', 'node02']);
  assert.equal(r.code, 0, `${r.stdout}\n${r.stderr}`);
  assert.match(r.stdout, /sh1: done node01 -> node02/);
  assert.deepEqual(await whereRunning(lab, 'sh1', virsh), ['node02']);
  assert.equal(await vmHost('sh1'), 'node02');
  const after = await sampleCounts(lab, 'sh1', 4, 300);
  assertCountRises([...before, ...after], 'sh1 across rmigrate');
  assertCountRises(readCounts(lab, 'sh1'), 'sh1 whole history');
  assert.equal(readBoots(lab, 'sh1'), 1, 'booted once');
});

test(
  'rmigrate - lsdef after a move: vm.host is not pending, a vm.memory change made before the move still is',
  { timeout: 180_000 },
  async () => {
    interface Def {
      node: string;
      attrs: Record<string, string>;
      pending: string[];
    }
    const def = async (): Promise<Def> => (await c.cliJson<Def[]>(['lsdef', 'pd1']))[0]!;
    await addCounterGuests(c, lab, ['pd1'], 'node01');
    assert.deepEqual((await def()).pending, [], 'just defined: nothing pending');
    const ch = await c.cli(['chdef', 'pd1', 'vm.memory=96M']);
    assert.equal(ch.code, 0, ch.stderr);
    assert.deepEqual((await def()).pending, ['vm.memory']);
    const r = await c.cli(['rmigrate', 'pd1', 'node03']);
    assert.equal(r.code, 0, `${r.stdout}\n${r.stderr}`);
    assert.deepEqual(await whereRunning(lab, 'pd1', virsh), ['node03']);
    const after = await def();
    assert.equal(after.attrs['vm.host'], 'node03');
    assert.deepEqual(after.pending, ['vm.memory'], 'only the change made before the move is pending');
    const text = await c.cli(['lsdef', 'pd1']);
    assert.match(text.stdout, /^ {4}vm\.host=node03$/m);
    assert.match(text.stdout, /^ {4}vm\.memory=96M \(pending\)$/m);
  },
);

test('rmigrate - with copy-storage: a disk local to the source is copied and the guest runs on', { timeout: 180_000 }, async () => {
  await addCounterGuests(c, lab, ['lo1'], 'node01', 'local');
  const r = await c.cli(['rmigrate', 'lo1', 'node03', '--copy-storage', 'auto']);
  assert.equal(r.code, 0, `${r.stdout}\n${r.stderr}`);
  assert.deepEqual(await whereRunning(lab, 'lo1', virsh), ['node03']);
  const n3 = lab.hosts.find((h) => h.name === 'node03')!;
  assert.ok(existsSync(join(n3.localBacking, 'disks', 'lo1.qcow2')), 'the disk now exists on node03');
  assertCountRises(readCounts(lab, 'lo1'), 'lo1 whole history');
  assert.equal(await vmHost('lo1'), 'node03');
});

test(
  'rmigrate - bad input (unknown guest, destination the source, unknown host, host in maintenance) is refused with a clear reason and nothing moves',
  { timeout: 120_000 },
  async () => {
    const unknown = await c.cli(['rmigrate', 'nosuch', 'node02']);
    assert.notEqual(unknown.code, 0);
    assert.match(unknown.stderr, /nosuch/);
    const same = await c.cli(['rmigrate', 'sh1', 'node02']);
    assert.equal(same.code, 1);
    assert.match(same.stderr, /sh1: already on node02; the destination must differ/);
    const badHost = await c.cli(['rmigrate', 'sh1', 'node09']);
    assert.notEqual(badHost.code, 0);
    assert.match(badHost.stderr, /node09/);
    // node01 is empty by now: its maintenance evacuates nothing.
    const on = await c.cli(['maintenance', 'node01', 'on']);
    assert.equal(on.code, 0, `${on.stdout}\n${on.stderr}`);
    try {
      const maint = await c.cli(['rmigrate', 'sh1', 'node01']);
      assert.equal(maint.code, 1, maint.stdout);
      assert.match(
        maint.stderr,
        /sh1: host-maintenance: cannot move guest sh1 to node01: node01 is in maintenance; fix: take node01 out of maintenance, or pick another destination/,
      );
    } finally {
      assert.equal((await c.cli(['maintenance', 'node01', 'off'])).code, 0);
    }
    assert.deepEqual(await whereRunning(lab, 'sh1', virsh), ['node02']);
  },
);

test(
  "rmigrate - the destination's link cut: the reachability check, made from the source, fails the move before anything is prepared",
  { timeout: 120_000 },
  async () => {
    await addCounterGuests(c, lab, ['rc1'], 'node01');
    const n2 = lab.hosts.find((h) => h.name === 'node02')!;
    // Each command within the 30 s after which node02 would turn stale (a different check); the link
    // comes back in between so node02 is up for the second one.
    const whileCut = async (args: string[]): Promise<Awaited<ReturnType<TestCluster['cli']>>> => {
      await waitFor(
        'node02 up',
        async () => (await c.cliJson<{ host: string; state: string }[]>(['lshosts'])).find((h) => h.host === 'node02')?.state === 'up',
        60_000,
        300,
      );
      await cutLink(n2);
      try {
        return await c.cli(args);
      } finally {
        await restoreLink(n2);
      }
    };
    const dry = await whileCut(['rmigrate', 'rc1', 'node02', '--dry-run']);
    const real = await whileCut(['rmigrate', 'rc1', 'node02']);
    const reach = new RegExp(`node02's libvirt \\(${n2.ip.replace(/\./g, '\\.')}:16509\\) cannot be reached from node01`);
    assert.equal(dry.code, 1, `${dry.stdout}\n${dry.stderr}`);
    assert.match(dry.stdout, /check rc1: ok host-up/);
    assert.match(dry.stdout, new RegExp(`check rc1: FAILED reachability: ${reach.source}`));
    // node02's agent is behind the same cut link: the CPU check cannot be made, and says so.
    assert.match(dry.stdout, /check rc1: FAILED cpu-compare: agent on 'node02' did not answer CompareCpu .*check drover-agent on node02/);
    assert.equal(real.code, 1, `${real.stdout}\n${real.stderr}`);
    assert.match(
      real.stdout,
      new RegExp(`rc1: failed node01 -> node02.*check reachability: ${reach.source}`),
      `${real.stdout}\n${real.stderr}`,
    );
    const op = (await c.cliJson<{ id: string; steps: { guest: string }[] }[]>(['ops', 'list'])).find((o) =>
      o.steps.some((s) => s.guest === 'rc1'),
    );
    assert.ok(op, 'the operation is listed');
    assert.deepEqual(await whereRunning(lab, 'rc1', virsh), ['node01']);
    assert.equal(await vmHost('rc1'), 'node01');
    // Nothing was prepared on node02: no domain there (asked of its libvirtd).
    assert.doesNotMatch(await virsh(n2, ['list', '--all', '--name']), /\brc1\b/);
    await sampleCounts(lab, 'rc1', 3, 300);
    assertCountRises(readCounts(lab, 'rc1'), 'rc1 after the refused move');
    await waitFor(
      'node02 up again',
      async () =>
        (await c.cliJson<{ host: string; state: string; libvirt: string }[]>(['lshosts'])).find((h) => h.host === 'node02')?.state === 'up',
      60_000,
      300,
    );
  },
);

interface Op {
  id: string;
  state: string;
  summary: string;
  steps: { guest: string; source: string; dest: string; state: string; error: string; attempt: number; progress?: unknown }[];
  unplaced: string[];
}

/** Runs `fn` with node01's link slowed (tc tbf), so migrations out of it last long enough to act on. */
async function slowed<T>(rate: string, fn: () => Promise<T>, host = 'node01'): Promise<T> {
  const h = lab.hosts.find((x) => x.name === host)!;
  await limitLink(h, rate);
  try {
    return await fn();
  } finally {
    await unlimitLink(h);
  }
}

async function opOf(id: string): Promise<Op> {
  return c.cliJson<Op>(['ops', 'show', id]);
}

test(
  'rmigrate - a slowed migration cancelled with ops cancel: the guest stays on its source, running, vm.host unchanged',
  { timeout: 180_000 },
  async () => {
    await addCounterGuests(c, lab, ['cx1'], 'node01');
    const cancel = await slowed('1mbit', async () => {
      const r = await c.cli(['rmigrate', 'cx1', 'node03', '--no-watch', '-o', 'json']);
      assert.equal(r.code, 0, r.stderr);
      const id = (JSON.parse(r.stdout) as Op).id;
      await waitFor('the move to be migrating', async () => (await opOf(id)).steps[0]?.state === 'migrating', 30_000, 200);
      await new Promise((res) => setTimeout(res, 1500));
      return { id, ...(await c.cli(['ops', 'cancel', id])) };
    });
    const id = cancel.id;
    assert.equal(cancel.code, 0, `${cancel.stdout}\n${cancel.stderr}`);
    const op = await opOf(id);
    assert.equal(op.state, 'cancelled');
    assert.equal(op.steps[0]?.state, 'cancelled');
    assert.deepEqual(await whereRunning(lab, 'cx1', virsh), ['node01']);
    assert.equal(await vmHost('cx1'), 'node01');
    await sampleCounts(lab, 'cx1', 3, 300);
    assertCountRises(readCounts(lab, 'cx1'), 'cx1 after the cancelled migration');
  },
);

test(
  'rmigrate on a terminal: a live progress bar per guest; Ctrl-C asks, "y" cancels, the guest stays on its source',
  { timeout: 180_000 },
  async () => {
    await addCounterGuests(c, lab, ['tt1'], 'node01');
    // The destination's link is slowed (not the source's), so the abort reaches node01 at once.
    const term = await slowed(
      '1mbit',
      async () => {
        const t = onTerminal([process.execPath, BIN.cli, 'rmigrate', 'tt1', 'node02'], { DROVER_CONFIG: c.bundles.admin });
        try {
          await t.waitFor(
            'a progress bar with the migration figures',
            /tt1\s+node01->node02\s.*\d+% [\d.]+ MiB left, [\d.]+ MiB\/s, iter \d+/,
          );
          t.type('\x03');
          await t.waitFor('the cancel question', /Cancel the operation .*\[y\/N\]/);
          t.type('y\r');
          await t.waitFor('the CLI to say it cancels', /cancelling op-/);
          return { code: await t.exited, out: t.output() };
        } finally {
          t.kill();
        }
      },
      'node02',
    );
    assert.equal(term.code, 1, term.out);
    assert.match(term.out, /operation op-\S+ \(migrate\) cancelled/);
    assert.deepEqual(await whereRunning(lab, 'tt1', virsh), ['node01']);
    assert.equal(await vmHost('tt1'), 'node01');
    await sampleCounts(lab, 'tt1', 3, 300);
    assertCountRises(readCounts(lab, 'tt1'), 'tt1 after the cancelled migration');
    assert.equal(readBoots(lab, 'tt1'), 1);
  },
);

test('rmigrate - a migration that exceeds --timeout is aborted: the guest stays on its source, running', { timeout: 180_000 }, async () => {
  const r = await slowed('1mbit', () => c.cli(['rmigrate', 'cx1', 'node03', '--timeout', '3']));
  assert.equal(r.code, 1, r.stdout);
  assert.match(r.stdout, /cx1: failed node01 -> node03.*timed out after 3s/);
  // Without a terminal, progress comes as lines (at most one a second per guest).
  assert.match(r.stdout, /cx1: migrating node01 -> node03 \d+% \S+ MiB left, \S+ MiB\/s, iter \d+, downtime \d+ms, ETA /);
  assert.deepEqual(await whereRunning(lab, 'cx1', virsh), ['node01']);
  assert.equal(await vmHost('cx1'), 'node01');
  await sampleCounts(lab, 'cx1', 3, 300);
  assertCountRises(readCounts(lab, 'cx1'), 'cx1 after the timed-out migration');
});

test('rmigrate - a guest already migrating is refused', { timeout: 120_000 }, async () => {
  await slowed('1mbit', async () => {
    const r = await c.cli(['rmigrate', 'cx1', 'node02', '--no-watch', '-o', 'json']);
    assert.equal(r.code, 0, r.stderr);
    const id = (JSON.parse(r.stdout) as Op).id;
    await waitFor('migrating', async () => (await opOf(id)).steps[0]?.state === 'migrating', 30_000, 200);
    const again = await c.cli(['rmigrate', 'cx1', 'node03']);
    assert.equal(again.code, 1);
    assert.match(again.stderr, /cx1: already migrating \(operation op-/);
    assert.equal((await c.cli(['ops', 'cancel', id])).code, 0);
  });
  assert.deepEqual(await whereRunning(lab, 'cx1', virsh), ['node01']);
});

/** Watches a destination's libvirtd for incoming migrations (STARTED/MIGRATED .. RESUMED/MIGRATED). */
async function watchIncoming(host: string): Promise<{ conn: Connection; spans: Map<string, { start: number; end?: number }> }> {
  const h = lab.hosts.find((x) => x.name === host)!;
  const conn = await Connection.open(h.uri);
  const spans = new Map<string, { start: number; end?: number }>();
  conn.on('event', (e: DomainEvent) => {
    if (e.type !== 'lifecycle') return;
    if (e.event === DomainEventType.STARTED && e.detail === DomainEventStartedDetailType.MIGRATED)
      spans.set(e.domain.name, { start: Date.now() });
    if (e.event === DomainEventType.RESUMED && e.detail === DomainEventResumedDetailType.MIGRATED) {
      const s = spans.get(e.domain.name);
      if (s) s.end = Date.now();
    }
  });
  return { conn, spans };
}

function maxOverlap(spans: Iterable<{ start: number; end?: number }>): number {
  const ev: [number, number][] = [];
  for (const s of spans) ev.push([s.start, 1], [s.end ?? Number.MAX_SAFE_INTEGER, -1]);
  ev.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  let cur = 0;
  let max = 0;
  for (const [, d] of ev) max = Math.max(max, (cur += d));
  return max;
}

test(
  'revacuate - 6 guests off node01 onto node02 and node03, never more than 2 incoming per host (seen by their libvirtd), some overlapping',
  { timeout: 300_000 },
  async () => {
    const names = ['ev1', 'ev2', 'ev3', 'ev4', 'ev5', 'ev6'];
    await addCounterGuests(c, lab, names, 'node01');
    const n1 = lab.hosts.find((h) => h.name === 'node01')!;
    const onNode01 = (await virsh(n1, ['list', '--name', '--state-running']))
      .split('\n')
      .map((x) => x.trim())
      .filter(Boolean);
    assert.ok(names.every((n) => onNode01.includes(n)));
    const w2 = await watchIncoming('node02');
    const w3 = await watchIncoming('node03');
    try {
      const r = await slowed('16mbit', () => c.cli(['revacuate', 'node01', '--max-out', '6', '--max-total', '8', '--max-in', '2']));
      assert.equal(r.code, 0, `${r.stdout}\n${r.stderr}`);
      for (const n of onNode01) {
        const where = await whereRunning(lab, n, virsh);
        assert.equal(where.length, 1, `${n} runs on exactly one host: ${where.join(',')}`);
        assert.ok(['node02', 'node03'].includes(where[0]!), `${n} left node01`);
        assert.equal(await vmHost(n), where[0]);
        assertCountRises(readCounts(lab, n), `${n} across the evacuation`);
      }
      const m2 = maxOverlap(w2.spans.values());
      const m3 = maxOverlap(w3.spans.values());
      assert.equal(w2.spans.size + w3.spans.size, onNode01.length, 'every move seen arriving by a destination libvirtd');
      assert.ok(m2 <= 2 && m3 <= 2, `at most 2 incoming at once (node02 ${m2}, node03 ${m3})`);
      assert.ok(m2 === 2 || m3 === 2, `some moves overlapped (node02 ${m2}, node03 ${m3})`);
      const hosts = await c.cliJson<{ host: string; maintenance: boolean }[]>(['lshosts']);
      assert.equal(hosts.find((h) => h.host === 'node01')?.maintenance, true, 'the evacuated host is in maintenance');
    } finally {
      await w2.conn.close();
      await w3.conn.close();
    }
  },
);

test('maintenance - off --return brings the guests a maintenance moved away back home', { timeout: 300_000 }, async () => {
  assert.equal((await c.cli(['maintenance', 'node01', 'off'])).code, 0);
  const on = await c.cli(['maintenance', 'node02', 'on']);
  assert.equal(on.code, 0, `${on.stdout}\n${on.stderr}`);
  const moved = ['sh1', 'ev1', 'ev2', 'ev3', 'ev4', 'ev5', 'ev6', 'cx1'];
  const onTwo: string[] = [];
  for (const n of moved) if ((await whereRunning(lab, n, virsh))[0] === 'node02') onTwo.push(n);
  assert.deepEqual(onTwo, [], 'node02 is empty');
  const back = await c.cli(['maintenance', 'node02', 'off', '--return']);
  assert.equal(back.code, 0, `${back.stdout}\n${back.stderr}`);
  const returned = (back.stdout.match(/: done \S+ -> node02/g) ?? []).length;
  assert.ok(returned >= 1, back.stdout);
  const hosts = await c.cliJson<{ host: string; maintenance: boolean }[]>(['lshosts']);
  assert.equal(hosts.find((h) => h.host === 'node02')?.maintenance, false);
});

test(
  'revacuate cancelled midway: the move done stays done, the one in flight is aborted (guest on its source, running), the rest never start',
  { timeout: 300_000 },
  async () => {
    const names = ['cv1', 'cv2', 'cv3'];
    await addCounterGuests(c, lab, names, 'node03');
    // The destinations' links are slowed, not the source's: the abort must reach node03's agent at
    // once, not queue behind the migration stream on the same link.
    const op = await slowed(
      '1mbit',
      () =>
        slowed(
          '1mbit',
          async () => {
            const r = await c.cli(['revacuate', 'node03', '--max-out', '1', '--max-total', '1', '--no-watch', '-o', 'json']);
            assert.equal(r.code, 0, `${r.stdout}\n${r.stderr}`);
            const id = (JSON.parse(r.stdout) as Op).id;
            // Cancel once the next move is copying memory (its progress has arrived): earlier, libvirt
            // holds the abort until its migration handshake is over.
            await waitFor(
              'one move done and the next copying memory',
              async () => {
                const o = await opOf(id);
                return o.steps.some((s) => s.state === 'done') && o.steps.some((s) => s.state === 'migrating' && !!s.progress);
              },
              120_000,
              100,
            );
            const cancel = await c.cli(['ops', 'cancel', id]);
            assert.equal(cancel.code, 0, `${cancel.stdout}\n${cancel.stderr}`);
            return waitFor(
              'the operation to end',
              async () => {
                const o = await opOf(id);
                return o.state !== 'running' ? o : undefined;
              },
              120_000,
              300,
            );
          },
          'node02',
        ),
      'node01',
    );
    assert.equal(op.state, 'cancelled', JSON.stringify(op, null, 1));
    const steps = op.steps as (Op['steps'][number] & { startedMs: number })[];
    assert.ok(!steps.some((s) => s.attempt > 1), 'no retry after a cancel');
    assert.ok(
      steps.every((s) => s.state === 'done' || s.state === 'cancelled'),
      JSON.stringify(steps),
    );
    assert.ok(
      steps.some((s) => s.state === 'done'),
      'the move done before the cancel stays done',
    );
    assert.ok(
      steps.some((s) => s.state === 'cancelled' && s.startedMs > 0),
      `a move in flight was aborted: ${JSON.stringify(steps)}`,
    );
    assert.ok(
      steps.some((s) => s.state === 'cancelled' && !s.startedMs),
      `a move not started never starts: ${JSON.stringify(steps)}`,
    );
    for (const s of steps) {
      const at = s.state === 'done' ? s.dest : 'node03';
      assert.deepEqual(await whereRunning(lab, s.guest, virsh), [at], `${s.guest} (${s.state}) runs on ${at} only`);
      assert.equal(await vmHost(s.guest), at);
    }
    for (const n of names) {
      await sampleCounts(lab, n, 2, 300);
      assertCountRises(readCounts(lab, n), `${n} through the cancelled evacuation`);
      assert.equal(readBoots(lab, n), 1, `${n} booted once`);
    }
    assert.equal((await c.cli(['maintenance', 'node03', 'off'])).code, 0);
  },
);
