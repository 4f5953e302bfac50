/**
 * `npm run bench -- libvirt [--calls N] [--runs N]`: cost of the binding against one lab host's
 * libvirtd over qemu+unix.
 *
 * 1. Per-call time of `domain state` through the binding divided by the same loop in C (a small
 *    program compiled here with cc -lvirt), median of alternating runs.
 * 2. Event-loop lag (perf_hooks.monitorEventLoopDelay) while 50 calls and 4 migrations are in flight.
 *
 * Uses the lab named by DROVER_LAB_ID, or starts a 2-host lab of its own and stops it afterwards.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { parseArgs, promisify } from 'node:util';
import { Connection, DomainMigrateFlags } from '@drover/libvirt';
import { attachLab, defineCounterGuest, limitLink, resetHosts, startLab, unlimitLink, waitForCount, type Lab, type LabHost } from '../lab';

const exec = promisify(execFile);

const C_SOURCE = `
#include <libvirt/libvirt.h>
#include <libvirt/virterror.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

/* usage: loop URI DOMAIN CALLS -> microseconds per virDomainGetState call */
int main(int argc, char **argv) {
  if (argc != 4) return 1;
  int calls = atoi(argv[3]);
  virConnectPtr conn = virConnectOpen(argv[1]);
  if (!conn) return 2;
  virDomainPtr dom = virDomainLookupByName(conn, argv[2]);
  if (!dom) return 3;
  int state = 0, reason = 0;
  if (virDomainGetState(dom, &state, &reason, 0) < 0) return 4;
  struct timespec t0, t1;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  for (int i = 0; i < calls; i++)
    if (virDomainGetState(dom, &state, &reason, 0) < 0) return 5;
  clock_gettime(CLOCK_MONOTONIC, &t1);
  double ns = (t1.tv_sec - t0.tv_sec) * 1e9 + (t1.tv_nsec - t0.tv_nsec);
  printf("%.3f\\n", ns / calls / 1000.0);
  virDomainFree(dom);
  virConnectClose(conn);
  return 0;
}
`;

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2;
}

async function jsLoop(uri: string, name: string, calls: number): Promise<number> {
  const c = await Connection.open(uri, { events: false });
  try {
    const d = await c.lookupDomainByName(name);
    await d.state();
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < calls; i++) await d.state();
    return Number(process.hrtime.bigint() - t0) / 1000 / calls;
  } finally {
    await c.close();
  }
}

export async function run(args: string[]): Promise<void> {
  const { values } = parseArgs({ args, options: { calls: { type: 'string', default: '2000' }, runs: { type: 'string', default: '7' } } });
  const calls = Number(values.calls);
  const runs = Number(values.runs);
  const tmp = mkdtempSync(join(tmpdir(), 'drover-bench-libvirt-'));
  let lab: Lab;
  let own = false;
  if (process.env.DROVER_LAB_ID) lab = attachLab(process.env.DROVER_LAB_ID);
  else {
    console.log('bench libvirt: starting a 2-host lab');
    lab = await startLab({ hosts: 2 });
    own = true;
  }
  const src = lab.hosts[0] as LabHost;
  const dst = lab.hosts[1] as LabHost;
  try {
    await resetHosts(lab);
    // the C loop
    const cFile = join(tmp, 'loop.c');
    const exe = join(tmp, 'loop');
    writeFileSync(cFile, C_SOURCE);
    await exec('cc', ['-O2', '-o', exe, cFile, '-lvirt']);

    const probe = 'bench-state';
    await defineCounterGuest(src, probe, { disk: 'shared' });
    await waitForCount(src, probe, 1);

    const cUs: number[] = [];
    const jsUs: number[] = [];
    for (let i = 0; i < runs; i++) {
      const { stdout } = await exec(exe, [src.socketUri, probe, String(calls)]);
      cUs.push(Number(stdout.trim()));
      jsUs.push(await jsLoop(src.socketUri, probe, calls));
      console.log(`run ${i + 1}: C ${cUs[i]?.toFixed(1)} us/call, binding ${jsUs[i]?.toFixed(1)} us/call`);
    }
    const ratio = median(jsUs) / median(cUs);
    console.log(
      `domain state: C median ${median(cUs).toFixed(1)} us/call, binding median ${median(jsUs).toFixed(1)} us/call, ratio ${ratio.toFixed(2)}`,
    );

    // event-loop lag with 50 calls and 4 migrations in flight
    const names = ['bench-mig-0', 'bench-mig-1', 'bench-mig-2', 'bench-mig-3'];
    await Promise.all(names.map((n) => defineCounterGuest(src, n, { disk: 'shared' })));
    await Promise.all(names.map((n) => waitForCount(src, n, 1)));
    const a = await Connection.open(src.socketUri);
    await limitLink(dst, '1mbit');
    const h = monitorEventLoopDelay({ resolution: 1 });
    try {
      const doms = await Promise.all(names.map((n) => a.lookupDomainByName(n)));
      const probeDom = await a.lookupDomainByName(probe);
      h.enable();
      const migrations = doms.map((d) =>
        d.migrateToURI3(dst.uri, { bandwidth: 1 }, DomainMigrateFlags.LIVE | DomainMigrateFlags.PEER2PEER | DomainMigrateFlags.UNSAFE).then(
          () => 'done',
          (e: unknown) => e,
        ),
      );
      const t0 = performance.now();
      let answered = 0;
      while (performance.now() - t0 < 3000) {
        await Promise.all(Array.from({ length: 50 }, () => probeDom.state().then(() => answered++)));
      }
      h.disable();
      await Promise.all(doms.map((d) => d.abortJob().catch(() => undefined)));
      await Promise.all(migrations);
      const p99 = h.percentile(99) / 1e6;
      const max = h.max / 1e6;
      console.log(
        `event-loop lag with 50 calls + 4 migrations in flight (3 s, ${answered} calls answered): ` +
          `mean ${(h.mean / 1e6).toFixed(2)} ms, p99 ${p99.toFixed(2)} ms, max ${max.toFixed(2)} ms`,
      );
      console.log(
        JSON.stringify({
          bench: 'libvirt',
          ratio: Number(ratio.toFixed(2)),
          loop_lag_ms: Number(p99.toFixed(2)),
          loop_lag_max_ms: Number(max.toFixed(2)),
          c_us: Number(median(cUs).toFixed(1)),
          js_us: Number(median(jsUs).toFixed(1)),
        }),
      );
    } finally {
      await unlimitLink(dst).catch(() => undefined);
      await a.close();
    }
  } finally {
    await resetHosts(lab).catch(() => undefined);
    if (own) await lab.stop();
    rmSync(tmp, { recursive: true, force: true });
  }
}
