// Robustness of @drover/libvirt on libvirt's test driver: 10,000 mixed calls, 50 concurrent
// promises, thousands of open/close cycles with flat RSS, and handles freed by close and by GC.
// The load runs in a child process started with --expose-gc (this same file, in child mode).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { rmSync } from 'node:fs';
import { Connection, ErrorNumber, LibvirtError, liveHandles, writeTestHost, type HandleCounts } from '@drover/libvirt';

const CHILD_ENV = 'DROVER_LIBVIRT_STRESS_CHILD';

interface StressReport {
  mixedCalls: number;
  mixedErrors: number;
  concurrent: number;
  cycles: number;
  rssFirstKiB: number;
  rssLastKiB: number;
  afterClose: HandleCounts;
  gcFreedDomains: boolean;
  gcFreedConnection: boolean;
  ms: number;
}

const gc = (): void => (globalThis as { gc?: () => void }).gc?.();

async function settle(pred: () => boolean, ms = 5000): Promise<boolean> {
  const deadline = Date.now() + ms;
  for (;;) {
    gc();
    await new Promise((r) => setTimeout(r, 10));
    if (pred()) return true;
    if (Date.now() > deadline) return false;
  }
}

const zero = (n: HandleCounts) => Object.values(n).every((v) => v === 0);

async function child(): Promise<void> {
  const t0 = Date.now();
  const h = writeTestHost({
    domains: Array.from({ length: 8 }, (_, i) => ({ name: `g${i}`, state: i % 3 === 2 ? ('shutoff' as const) : ('running' as const) })),
    pools: [{ name: 'p', path: `/nonexistent/drover-stress`, volumes: { 'a.img': 1 << 20 } }],
  });
  const c = await Connection.open(h.uri);

  // 50 concurrent promises, all answered correctly
  const names = Array.from({ length: 50 }, (_, i) => `g${i % 8}`);
  const found = await Promise.all(names.map((n) => c.lookupDomainByName(n)));
  const states = await Promise.all(found.map((d) => d.state()));
  assert.deepEqual(
    found.map((d) => d.name),
    names,
  );
  assert.equal(states.length, 50);

  // 10,000 mixed calls, 50 in flight at a time
  let calls = 0;
  let errors = 0;
  const doms = await c.listAllDomains();
  const pool = await c.lookupStoragePoolByName('p');
  const ops: Array<() => Promise<unknown>> = [
    () => c.lookupDomainByName('g1').then((d) => d.name),
    () => (doms[calls % doms.length] as (typeof doms)[number]).state(),
    () => (doms[calls % doms.length] as (typeof doms)[number]).info(),
    () => (doms[0] as (typeof doms)[number]).getXMLDesc(),
    () => c.listAllDomains(),
    () => c.nodeInfo(),
    () => pool.info(),
    () => pool.listVolumes(),
    () =>
      c.lookupDomainByName('missing').catch((e: unknown) => {
        if (!(e instanceof LibvirtError) || e.code !== ErrorNumber.NO_DOMAIN) throw e;
        errors++;
      }),
    () =>
      (doms[1] as (typeof doms)[number])
        .suspend()
        .then(() => (doms[1] as (typeof doms)[number]).resume())
        .catch((e: unknown) => {
          if (!(e instanceof LibvirtError)) throw e;
          errors++;
        }),
  ];
  while (calls < 10_000) {
    const batch: Promise<unknown>[] = [];
    for (let i = 0; i < 50 && calls < 10_000; i++, calls++) batch.push((ops[calls % ops.length] as () => Promise<unknown>)());
    await Promise.all(batch);
  }
  await c.close();

  // handles dropped without close() are freed by GC
  const c2 = await Connection.open(h.uri);
  await (async () => {
    for (let i = 0; i < 200; i++) await c2.lookupDomainByName('g0');
  })();
  const gcFreedDomains = await settle(() => liveHandles().domains === 0);
  await (async () => {
    const c3 = await Connection.open(h.uri);
    await c3.listAllDomains();
  })();
  const gcFreedConnection = await settle(() => liveHandles().connections === 1);
  await c2.close();

  // open/close cycles; RSS after the first thousand vs after the last thousand
  const CYCLES = 3000;
  let rssFirstKiB = 0;
  for (let i = 1; i <= CYCLES; i++) {
    const k = await Connection.open(h.uri);
    const d = await k.lookupDomainByName('g0');
    await d.state();
    await k.close();
    if (i % 1000 === 0) {
      await settle(() => zero(liveHandles()), 2000);
      const rss = Math.round(process.memoryUsage().rss / 1024);
      if (i === 1000) rssFirstKiB = rss;
      if (i === CYCLES) {
        await settle(() => zero(liveHandles()));
        const report: StressReport = {
          mixedCalls: calls,
          mixedErrors: errors,
          concurrent: 50,
          cycles: CYCLES,
          rssFirstKiB,
          rssLastKiB: rss,
          afterClose: liveHandles(),
          gcFreedDomains,
          gcFreedConnection,
          ms: Date.now() - t0,
        };
        rmSync(h.dir, { recursive: true, force: true });
        process.stdout.write(`STRESS ${JSON.stringify(report)}\n`);
      }
    }
  }
}

if (process.env[CHILD_ENV]) {
  child().catch((e: unknown) => {
    process.stderr.write(`stress child failed: ${e instanceof Error ? e.stack : String(e)}\n`);
    process.exit(1);
  });
} else {
  test(
    'libvirt robustness - 10,000 mixed calls, 3,000 open/close cycles, flat RSS, handles back to zero',
    { timeout: 300_000 },
    async () => {
      const out = await new Promise<string>((resolve, reject) => {
        const p = spawn(process.execPath, ['--expose-gc', __filename], {
          env: { ...process.env, [CHILD_ENV]: '1' },
          stdio: ['ignore', 'pipe', 'pipe'],
        });
        let so = '';
        let se = '';
        p.stdout.on('data', (b: Buffer) => (so += b.toString()));
        p.stderr.on('data', (b: Buffer) => (se += b.toString()));
        p.on('exit', (code) => (code === 0 ? resolve(so) : reject(new Error(`stress child exited ${code}: ${se}`))));
      });
      const line = out.split('\n').find((l) => l.startsWith('STRESS '));
      assert.ok(line, `no report from the child: ${out}`);
      const r = JSON.parse(line.slice(7)) as StressReport;
      const growth = r.rssLastKiB - r.rssFirstKiB;
      console.log(
        `libvirt stress: ${r.mixedCalls} calls (${r.mixedErrors} expected errors), ${r.cycles} cycles in ${r.ms} ms; ` +
          `RSS after first 1000 cycles ${r.rssFirstKiB} KiB, after last ${r.rssLastKiB} KiB (growth ${growth} KiB)`,
      );
      assert.equal(r.mixedCalls, 10_000);
      assert.ok(r.mixedErrors >= 1000, `expected NO_DOMAIN rejections counted (${r.mixedErrors})`);
      assert.deepEqual(r.afterClose, { connections: 0, domains: 0, pools: 0, volumes: 0, streams: 0 });
      assert.ok(r.gcFreedDomains, 'domain handles dropped without free() were released by GC');
      assert.ok(r.gcFreedConnection, 'an unclosed, unreachable connection was released by GC');
      assert.ok(growth < 5 * 1024, `RSS grew ${growth} KiB between the first and the last thousand cycles`);
    },
  );
}
