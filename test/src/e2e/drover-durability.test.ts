/**
 * Crashes in the middle of migrations, on real lab hosts: the server killed with SIGKILL during an
 * evacuation, the destination's libvirtd restarted during a move, the source's agent killed during
 * a move. Afterwards every guest runs on exactly one host (asked of every host's libvirtd), its
 * count never restarted, and drover's tables agree with the hosts.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  resetHosts,
  virsh,
  readCounts,
  assertCountRises,
  readBoots,
  limitLink,
  unlimitLink,
  killLibvirtd,
  startLibvirtd,
  sampleCounts,
  type Lab,
} from '../lab/index.js';
import type { TestCluster } from '../support/cluster.js';
import { waitFor } from '../support/procs.js';
import { addCounterGuests, whereRunning } from '../support/labguests.js';
import { droverOnSharedLab } from '../support/labguests.js';

let lab: Lab;
let c: TestCluster;

interface Op {
  id: string;
  state: string;
  summary: string;
  steps: { guest: string; source: string; dest: string; state: string; error: string }[];
}

before(async () => {
  ({ lab, c } = await droverOnSharedLab());
});
after(async () => {
  for (const h of lab?.hosts ?? []) await unlimitLink(h).catch(() => undefined);
  await c?.stop();
  if (lab) await resetHosts(lab);
});

const host = (name: string) => lab.hosts.find((h) => h.name === name)!;
const opOf = (id: string): Promise<Op> => c.cliJson<Op>(['ops', 'show', id]);

async function startOp(args: string[]): Promise<string> {
  const r = await c.cli([...args, '--no-watch', '-o', 'json']);
  assert.equal(r.code, 0, `${r.stdout}\n${r.stderr}`);
  return (JSON.parse(r.stdout) as Op).id;
}

async function waitFinal(id: string, timeoutMs = 180_000): Promise<Op> {
  return waitFor(
    `operation ${id} to end`,
    async () => {
      const op = await opOf(id).catch(() => undefined);
      return op && op.state !== 'running' ? op : undefined;
    },
    timeoutMs,
    500,
  );
}

/** The guarantee after any crash: one running copy, a count that never restarted, tables that agree. */
async function assertSettled(names: string[]): Promise<void> {
  for (const n of names) {
    const where = await whereRunning(lab, n, virsh);
    assert.equal(where.length, 1, `${n} runs on exactly one host (found: ${where.join(',') || 'none'})`);
    const vmHost = (await c.cli(['nodels', n, 'vm.host'])).stdout.trim().split(': ').pop();
    assert.equal(vmHost, where[0], `${n}: vm.host agrees with where it runs`);
    await sampleCounts(lab, n, 2, 400);
    assertCountRises(readCounts(lab, n), `${n} through the crash`);
    assert.equal(readBoots(lab, n), 1, `${n} booted once and never again`);
  }
}

test(
  'durability - drover-server killed with SIGKILL during an evacuation: restarted, it finishes the plan',
  { timeout: 300_000 },
  async () => {
    const names = ['du1', 'du2', 'du3', 'du4'];
    await addCounterGuests(c, lab, names, 'node03');
    await limitLink(host('node03'), '4mbit');
    let id = '';
    try {
      id = await startOp(['revacuate', 'node03', '--max-out', '2']);
      await waitFor('a move in flight', async () => (await opOf(id)).steps.some((s) => s.state === 'migrating'), 60_000, 100);
      c.server!.kill('SIGKILL');
      await c.server!.exited;
      await new Promise((r) => setTimeout(r, 1000));
      await c.startServer();
    } finally {
      await unlimitLink(host('node03'));
    }
    const op = await waitFinal(id);
    assert.equal(op.state, 'done', `${op.summary}\n${JSON.stringify(op.steps, null, 1)}`);
    assert.ok(op.steps.every((s) => s.state === 'done'));
    await assertSettled(names);
    for (const n of names) assert.notEqual((await whereRunning(lab, n, virsh))[0], 'node03');
    assert.equal((await c.cli(['maintenance', 'node03', 'off'])).code, 0);
  },
);

test(
  "durability - the destination's libvirtd restarted during a move: the guest ends on exactly one host",
  { timeout: 240_000 },
  async () => {
    await addCounterGuests(c, lab, ['dl1'], 'node01');
    await limitLink(host('node01'), '1mbit');
    let id = '';
    try {
      id = await startOp(['rmigrate', 'dl1', 'node02']);
      await waitFor('migrating', async () => (await opOf(id)).steps[0]?.state === 'migrating', 60_000, 100);
      await new Promise((r) => setTimeout(r, 1000));
      await killLibvirtd(host('node02'));
      await startLibvirtd(host('node02'));
    } finally {
      await unlimitLink(host('node01'));
    }
    const op = await waitFinal(id);
    assert.ok(['done', 'failed'].includes(op.state), op.summary);
    await waitFor(
      'node02 back up',
      async () => (await c.cliJson<{ host: string; libvirt: string }[]>(['lshosts'])).find((h) => h.host === 'node02')?.libvirt === 'ok',
      60_000,
      500,
    );
    await assertSettled(['dl1']);
  },
);

test(
  "durability - the source's agent killed with SIGKILL during a move: libvirtd carries on, the restarted agent reports the outcome",
  { timeout: 240_000 },
  async () => {
    await addCounterGuests(c, lab, ['dl2'], 'node01');
    await limitLink(host('node01'), '1mbit');
    let id = '';
    const agent = c.agents.find((a) => a.host === 'node01')!;
    try {
      id = await startOp(['rmigrate', 'dl2', 'node02']);
      await waitFor('migrating', async () => (await opOf(id)).steps[0]?.state === 'migrating', 60_000, 100);
      agent.proc!.kill('SIGKILL');
      await agent.proc!.exited;
      await new Promise((r) => setTimeout(r, 1500));
      c.startAgent('node01');
    } finally {
      await unlimitLink(host('node01'));
    }
    const op = await waitFinal(id);
    assert.equal(op.state, 'done', `${op.summary}\n${JSON.stringify(op.steps, null, 1)}`);
    await assertSettled(['dl2']);
    assert.deepEqual(await whereRunning(lab, 'dl2', virsh), ['node02']);
  },
);
