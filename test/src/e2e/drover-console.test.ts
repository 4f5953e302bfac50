/**
 * rcons on real lab hosts: the `drover` CLI (stdin a pipe, not a TTY) attached to a counter guest's
 * serial console through drover-server's relay and the guest's agent. The counter guest prints
 * `count N` and echoes every byte it receives, so reading and writing are both visible. Also the
 * agent's own Console stream, called as the headnode would.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { resetHosts, readCount, type Lab } from '../lab/index.js';
import { AGENT_PORT } from '../support/labcluster.js';
import type { TestCluster } from '../support/cluster.js';
import { BIN, waitFor } from '../support/procs.js';
import { addCounterGuests } from '../support/labguests.js';
import { droverOnSharedLab } from '../support/labguests.js';
import { AgentClient } from '../support/agent-client.js';

let lab: Lab;
let c: TestCluster;
const GUEST = 'cons1';
const running: Rcons[] = [];

/** One `drover rcons` process with piped stdin/stdout/stderr. */
class Rcons {
  readonly child: ChildProcessWithoutNullStreams;
  out = '';
  err = '';
  readonly exited: Promise<number | null>;
  constructor(args: string[], role: 'admin' | 'operator' = 'admin') {
    this.child = spawn(process.execPath, [BIN.cli, 'rcons', ...args], {
      env: { ...process.env, DROVER_CONFIG: c.bundles[role] },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    this.child.stdout.on('data', (d: Buffer) => (this.out += d.toString('latin1')));
    this.child.stderr.on('data', (d: Buffer) => (this.err += d.toString('latin1')));
    this.exited = new Promise((res) => this.child.once('exit', (code) => res(code)));
    running.push(this);
  }
  type(data: string | Buffer): void {
    this.child.stdin.write(data);
  }
  /** The output with the guest's own count lines taken out (echoed bytes may land between them). */
  get echoed(): string {
    return this.out.replace(/count \d+\r\n/g, '');
  }
  counts(): number[] {
    return [...this.out.matchAll(/count (\d+)\r\n/g)].map((m) => Number(m[1]));
  }
  async waitCounts(n: number, what: string): Promise<number[]> {
    return waitFor(
      `${what}: ${n} count lines`,
      () => {
        if (this.child.exitCode !== null) throw new Error(`rcons exited ${this.child.exitCode}: ${this.err}`);
        const xs = this.counts();
        return xs.length >= n ? xs : undefined;
      },
      20_000,
      100,
    );
  }
  async waitErr(re: RegExp, what: string): Promise<void> {
    await waitFor(`${what}: stderr ${re}`, () => re.test(this.err), 15_000, 100);
  }
  async waitEcho(token: string, what: string): Promise<void> {
    await waitFor(`${what}: echo of ${token}`, () => this.echoed.includes(token), 15_000, 100);
  }
  kill(): void {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGKILL');
  }
}

before(async () => {
  ({ lab, c } = await droverOnSharedLab());
  await addCounterGuests(c, lab, [GUEST], 'node01');
});
after(async () => {
  for (const r of running) r.kill();
  await c?.stop();
  if (lab) await resetHosts(lab);
});

test(
  'rcons - shows the counter output, a typed line is echoed by the guest, Ctrl-E c . detaches with exit 0',
  { timeout: 60_000 },
  async () => {
    const a = new Rcons([GUEST]);
    const xs = await a.waitCounts(3, 'writer');
    for (let i = 1; i < xs.length; i++) assert.equal(xs[i], xs[i - 1]! + 1, `consecutive counts: ${xs.join(',')}`);
    assert.ok(Math.abs(xs[xs.length - 1]! - (readCount(lab, GUEST) ?? 0)) < 20, "the counts are the guest's own (its serial log agrees)");
    a.type('hello-rcons-1\r');
    await a.waitEcho('hello-rcons-1', 'writer');
    assert.doesNotMatch(a.err, /read-only/);
    a.type(Buffer.from([0x05, 0x63, 0x2e]));
    const code = await Promise.race([a.exited, new Promise<string>((r) => setTimeout(() => r('still running'), 10_000))]);
    assert.equal(code, 0, `rcons exit: ${String(code)}; stderr: ${a.err}`);
    assert.ok(!a.echoed.includes('\x05'), 'the escape bytes were not sent to the guest');
  },
);

test("rcons - a second viewer (-r) sees the same output at the same time, and the writer's echo", { timeout: 60_000 }, async () => {
  const a = new Rcons([GUEST]);
  const b = new Rcons([GUEST, '-r']);
  await a.waitCounts(2, 'writer');
  await b.waitCounts(2, 'viewer');
  const mark = Math.max(...a.counts(), ...b.counts()) + 2;
  await waitFor('both sessions past the mark', () => a.counts().includes(mark + 3) && b.counts().includes(mark + 3), 20_000, 100);
  for (let n = mark; n <= mark + 3; n++) {
    assert.ok(a.counts().includes(n) && b.counts().includes(n), `both saw count ${n}`);
  }
  a.type('shared-echo-2\r');
  await a.waitEcho('shared-echo-2', 'writer');
  await b.waitEcho('shared-echo-2', 'viewer');
  b.type('viewer-typed\r');
  await new Promise((r) => setTimeout(r, 1500));
  assert.ok(
    !a.echoed.includes('viewer-typed') && !b.echoed.includes('viewer-typed'),
    "a read-only viewer's input does not reach the guest",
  );
  for (const r of [a, b]) r.type(Buffer.from([0x05, 0x63, 0x2e]));
  assert.deepEqual(await Promise.all([a.exited, b.exited]), [0, 0]);
});

test(
  'rcons - a second writer is read-only and told so; with --force it takes over and the first is told',
  { timeout: 60_000 },
  async () => {
    const a = new Rcons([GUEST]);
    await a.waitCounts(2, 'first writer');
    const b = new Rcons([GUEST]);
    // notices name the admins (their certificates), not the server that relays for them
    await b.waitErr(/read-only: test-admin is writing; ask with force to take over/, 'second writer');
    await b.waitCounts(2, 'second writer');
    b.type('not-the-writer\r');
    await new Promise((r) => setTimeout(r, 1500));
    assert.ok(!a.echoed.includes('not-the-writer'), 'input of the read-only session is dropped');
    a.type('first-writes\r');
    await b.waitEcho('first-writes', "second (read-only) session sees the first writer's echo");

    const f = new Rcons([GUEST, '--force'], 'operator');
    await f.waitErr(/took the writer role over from test-admin/, 'forcing writer');
    await a.waitErr(/writer role taken over by test-operator/, 'first writer');
    await f.waitCounts(2, 'forcing writer');
    f.type('forced-writes\r');
    await a.waitEcho('forced-writes', "the old writer sees the new writer's echo");
    await f.waitEcho('forced-writes', 'forcing writer');
    a.type('old-writer-after\r');
    await new Promise((r) => setTimeout(r, 1500));
    assert.ok(!f.echoed.includes('old-writer-after'), 'the old writer no longer writes');
    for (const r of [a, b, f]) r.type(Buffer.from([0x05, 0x63, 0x2e]));
    assert.deepEqual(await Promise.all([a.exited, b.exited, f.exited]), [0, 0, 0]);
  },
);

test("agent Console stream - the headnode's view: counter output straight from the lab agent", { timeout: 60_000 }, async () => {
  const h = lab.hosts.find((x) => x.name === 'node01')!;
  const ac = new AgentClient(c.dir, 'node01', `${h.ip}:${AGENT_PORT}`);
  try {
    const s = ac.console({ guest: GUEST, write: true, force: false });
    const text = (): string => Buffer.concat(s.received.map((m) => Buffer.from(m.data ?? []))).toString('latin1');
    await waitFor('counter output on the agent stream', () => (text().match(/count \d+\r\n/g) ?? []).length >= 3, 20_000, 100);
    assert.equal(s.received[0]?.writer, true, 'the first session is the writer');
    s.stream.write({ data: Buffer.from('agent-direct\r') });
    await waitFor(
      'echo through the agent stream',
      () =>
        text()
          .replace(/count \d+\r\n/g, '')
          .includes('agent-direct'),
      15_000,
      100,
    );
    s.stream.end();
    const st = await s.done;
    assert.ok(!(st instanceof Error), `stream ended cleanly: ${String(st)}`);
    assert.equal((st as { code: number }).code, 0);

    const wrongHost = ac.console({ host: 'node02', guest: GUEST, write: false, force: false });
    const e = await wrongHost.done;
    assert.ok(
      /serves 'node01', not 'node02'/.test(String((e as { details?: string }).details ?? (e as Error).message)),
      String((e as Error).message),
    );
  } finally {
    ac.close();
  }
});

test(
  'rcons - the guest powered off while attached: every session is told and rcons exits; then rcons refuses clearly',
  { timeout: 60_000 },
  async () => {
    const a = new Rcons([GUEST]);
    const b = new Rcons([GUEST, '-r']);
    await a.waitCounts(2, 'writer');
    await b.waitCounts(2, 'viewer');
    const off = await c.cli(['rpower', GUEST, 'off']);
    assert.equal(off.code, 0, off.stderr);
    const codes = await Promise.race([
      Promise.all([a.exited, b.exited]),
      new Promise<string>((r) => setTimeout(() => r('still attached'), 15_000)),
    ]);
    assert.deepEqual(codes, [0, 0], `rcons after the guest stopped: ${JSON.stringify([a.err, b.err])}`);
    for (const r of [a, b]) assert.match(r.err, /console ended: the guest stopped/);

    const again = new Rcons([GUEST]);
    const code = await Promise.race([again.exited, new Promise<string>((r) => setTimeout(() => r('hangs'), 15_000))]);
    assert.equal(code, 1, `rcons on a guest that is off: ${again.err}`);
    assert.match(again.err, /guest 'cons1' is not running on node01; its console exists only while it runs/);
    assert.doesNotMatch(again.err, /\n\s+at /, 'a one-line error, not a stack trace');
    const none = new Rcons(['nosuch']);
    assert.notEqual(await none.exited, 0);
    assert.match(none.err, /nosuch: no such node/);
    assert.doesNotMatch(none.err, /\n\s+at /);
  },
);
