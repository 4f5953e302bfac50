import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { TestCluster } from '../support/cluster.js';
import { waitFor } from '../support/procs.js';

interface HostRow {
  host: string;
  state: string;
  address: string;
  lastSeenAgeMs: number | null;
}

const STALE = 1500;
const DOWN = 3500;
let c: TestCluster;

before(async () => {
  c = await TestCluster.start({ agents: 2, heartbeatMs: 250, staleAfterMs: STALE, downAfterMs: DOWN });
});
after(async () => {
  await c?.stop();
});

test('lshosts - both agents appear up with the address their heartbeat carries', async () => {
  const rows = await waitFor('both hosts up', async () => {
    const r = await c.cliJson<HostRow[]>(['lshosts']);
    return r.length === 2 && r.every((h) => h.state === 'up') ? r : undefined;
  });
  assert.deepEqual(
    rows.map((r) => r.host),
    ['node01', 'node02'],
  );
  for (const [i, r] of rows.entries()) {
    assert.equal(r.address, `127.0.0.1:${c.agents[i]!.port}`);
    assert.ok(r.lastSeenAgeMs !== null && r.lastSeenAgeMs < STALE, `fresh heartbeat for ${r.host}`);
  }
  const text = await c.cli(['lshosts']);
  assert.equal(text.code, 0);
  assert.match(text.stdout, /^HOST\s+STATE\s+ADDRESS/m);
  assert.match(text.stdout, /^node01\s+up\s+127\.0\.0\.1:\d+/m);
});

test('lshosts - an agent killed with SIGKILL turns stale, then down, each at its threshold', async () => {
  const victim = c.agents[1]!;
  victim.proc!.kill('SIGKILL');
  await victim.proc!.exited;
  const seen: { state: string; age: number }[] = [];
  await waitFor(
    'node02 down',
    async () => {
      const rows = await c.cliJson<HostRow[]>(['lshosts']);
      const h = rows.find((r) => r.host === 'node02')!;
      const other = rows.find((r) => r.host === 'node01')!;
      assert.equal(other.state, 'up', 'the live agent stays up');
      seen.push({ state: h.state, age: h.lastSeenAgeMs ?? -1 });
      return h.state === 'down';
    },
    20_000,
    200,
  );
  const firstStale = seen.find((s) => s.state === 'stale');
  const firstDown = seen.find((s) => s.state === 'down')!;
  assert.ok(firstStale, `went through stale: ${JSON.stringify(seen)}`);
  // Each state is reported only once the heartbeat's age has passed its threshold ...
  for (const s of seen) {
    if (s.state === 'up') assert.ok(s.age < STALE, `up with age ${s.age}`);
    if (s.state === 'stale') assert.ok(s.age >= STALE && s.age < DOWN, `stale with age ${s.age}`);
    if (s.state === 'down') assert.ok(s.age >= DOWN, `down with age ${s.age}`);
  }
  // ... and promptly after it (the CLI polls every 200 ms; allow for process start-up of each poll).
  assert.ok(firstStale.age < STALE + 2000, `stale reported late: ${firstStale.age}`);
  assert.ok(firstDown.age < DOWN + 2000, `down reported late: ${firstDown.age}`);
});

test('lshosts - the killed agent comes back up when restarted', async () => {
  c.startAgent('node02');
  await waitFor('node02 up again', async () => {
    const rows = await c.cliJson<HostRow[]>(['lshosts']);
    return rows.find((r) => r.host === 'node02')?.state === 'up';
  });
});
