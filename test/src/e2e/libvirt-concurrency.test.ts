// @drover/libvirt: long migrations run on threads of their own. With more migrations in flight
// than libuv has pool threads, other calls still answer promptly.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { Connection, DomainState, ErrorNumber, LibvirtError, DomainMigrateFlags, type Domain } from '@drover/libvirt';
import { defineCounterGuest, getSharedLab, limitLink, resetHosts, unlimitLink, waitForCount, type Lab, type LabHost } from '../lab';

let lab: Lab;

before(async () => {
  lab = await getSharedLab();
  await resetHosts(lab);
});

after(async () => {
  if (lab) await resetHosts(lab);
});

const POOL_THREADS = Number(process.env.UV_THREADPOOL_SIZE ?? 4);

test('libvirt e2e - more migrations in flight than pool threads leave other calls unaffected', { timeout: 180_000 }, async () => {
  const src = lab.hosts[0] as LabHost;
  const dst = lab.hosts[2] as LabHost;
  const n = Math.max(8, POOL_THREADS + 2);
  const names = Array.from({ length: n }, (_, i) => `lv-par-${i}`);
  await Promise.all(names.map((name) => defineCounterGuest(src, name, { disk: 'shared' })));
  await Promise.all(names.map((name) => waitForCount(src, name, 1)));
  const a = await Connection.open(src.socketUri);
  const probe = await Connection.open(src.socketUri);
  // the guests' memory is mostly zero pages, which migrate almost for free: a slow link to the
  // destination keeps all of them in flight long enough
  await limitLink(dst, '1mbit');
  try {
    const doms: Domain[] = await Promise.all(names.map((name) => a.lookupDomainByName(name)));
    await Promise.all(doms.map((d) => d.migrateSetMaxSpeed(1)));
    const settled = new Set<number>();
    const outcomes = doms.map((d, i) =>
      d
        .migrateToURI3(dst.uri, {}, DomainMigrateFlags.LIVE | DomainMigrateFlags.PEER2PEER | DomainMigrateFlags.UNSAFE)
        .then(
          () => 'completed',
          (e: unknown) => e,
        )
        .finally(() => settled.add(i)),
    );
    // let them all get going; each call blocks its own thread until its migration ends
    await new Promise((r) => setTimeout(r, 1000));
    // 50 calls on another connection, 10 at a time, while they run
    const inFlightBefore = n - settled.size;
    const lat: number[] = [];
    const probeDom = await probe.lookupDomainByName(names[0] as string);
    for (let round = 0; round < 5; round++) {
      await Promise.all(
        Array.from({ length: 10 }, async () => {
          const t0 = performance.now();
          await probeDom.state();
          await probe.hostname();
          lat.push(performance.now() - t0);
        }),
      );
    }
    const inFlightAfter = n - settled.size;
    lat.sort((x, y) => x - y);
    const max = lat[lat.length - 1] as number;
    console.log(
      `libvirt: ${inFlightBefore}..${inFlightAfter} of ${n} migrations in flight (pool threads ${POOL_THREADS}); ` +
        `state()+hostname() median ${lat[25]?.toFixed(1)} ms, max ${max.toFixed(1)} ms`,
    );
    assert.ok(inFlightAfter > POOL_THREADS, `${inFlightAfter} migrations still in flight after the probes (need > ${POOL_THREADS})`);
    assert.ok(max < 1500, `calls took up to ${max.toFixed(0)} ms with migrations in flight`);
    await Promise.all(doms.map((d, i) => (settled.has(i) ? undefined : d.abortJob().catch(() => undefined))));
    const results = await Promise.all(outcomes);
    const aborted = results.filter((o) => o instanceof LibvirtError && o.code === ErrorNumber.OPERATION_ABORTED).length;
    // a migration still in its prepare phase has no job to abort yet and completes instead
    assert.ok(
      results.every((o) => o === 'completed' || o instanceof LibvirtError),
      `outcomes: ${results.map(String).join('; ')}`,
    );
    // Aborting is only the cleanup here (a job between phases may complete instead), so how many
    // were aborted is reported, not asserted; the aborted ones must still run on the source.
    console.log(`libvirt: ${aborted} of ${n} migrations aborted at cleanup`);
    for (let i = 0; i < n; i++) {
      if (results[i] instanceof LibvirtError) assert.equal((await (doms[i] as Domain).state()).state, DomainState.RUNNING);
    }
  } finally {
    await unlimitLink(dst);
    await Promise.all([a.close(), probe.close()]);
  }
});
