// @drover/libvirt against real libvirtd + QEMU lab hosts: live peer-to-peer migration of the
// counter guest with job statistics sampled during it, events on both hosts, a throttled
// migration aborted (the guest stays and keeps counting), and a copy-storage migration.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  Connection,
  DomainState,
  ErrorNumber,
  DomainJobType,
  LibvirtError,
  DomainEventType,
  DomainMigrateFlags,
  DomainEventResumedDetailType,
  DomainEventStartedDetailType,
  DomainEventStoppedDetailType,
  DomainEventSuspendedDetailType,
  type DomainEvent,
  type JobStats,
} from '@drover/libvirt';
import {
  assertCountRises,
  defineCounterGuest,
  getSharedLab,
  readCounts,
  resetHosts,
  sampleCounts,
  waitForCount,
  type Lab,
  type LabHost,
} from '../lab';

let lab: Lab;
let src: LabHost;
let dst: LabHost;

before(async () => {
  lab = await getSharedLab();
  assert.ok(lab.hosts.length >= 2, 'the lab has at least two hosts');
  src = lab.hosts[0] as LabHost;
  dst = lab.hosts[1] as LabHost;
  await resetHosts(lab);
});

after(async () => {
  if (lab) await resetHosts(lab);
});

function record(c: Connection): DomainEvent[] {
  const seen: DomainEvent[] = [];
  c.on('event', (e) => seen.push(e));
  return seen;
}

async function waitUntil(what: string, ms: number, check: () => boolean | Promise<boolean>): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) assert.fail(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const lifecycle = (evs: DomainEvent[], name: string) =>
  evs.filter((e) => e.type === 'lifecycle' && e.domain.name === name).map((e) => (e.type === 'lifecycle' ? [e.event, e.detail] : []));

test('libvirt e2e - live p2p migration of the counter guest, job stats sampled, events on both hosts', { timeout: 120_000 }, async () => {
  const name = 'lv-mig-live';
  await defineCounterGuest(src, name, { disk: 'shared' });
  await waitForCount(src, name, 3);
  const a = await Connection.open(src.socketUri);
  const b = await Connection.open(dst.socketUri);
  try {
    const evA = record(a);
    const evB = record(b);
    const d = await a.lookupDomainByName(name);
    assert.equal((await d.state()).state, DomainState.RUNNING);

    const samples: JobStats[] = [];
    let migrating = true;
    const sampler = (async () => {
      while (migrating) {
        try {
          const s = await d.jobStats();
          if (s.type !== DomainJobType.NONE) samples.push(s);
        } catch {
          /* the domain leaves the source at the end */
        }
        await new Promise((r) => setTimeout(r, 40));
      }
    })();
    const t0 = Date.now();
    await d.migrateToURI3(
      dst.uri,
      { bandwidth: 4 }, // slow enough that samples land while memory is being copied
      DomainMigrateFlags.LIVE |
        DomainMigrateFlags.PEER2PEER |
        DomainMigrateFlags.PERSIST_DEST |
        DomainMigrateFlags.UNDEFINE_SOURCE |
        DomainMigrateFlags.UNSAFE,
    );
    const wall = Date.now() - t0;
    migrating = false;
    await sampler;

    // the guest runs on the destination, is gone from the source, and never restarted
    const moved = await b.lookupDomainByName(name);
    const st = await moved.state();
    assert.equal(st.state, DomainState.RUNNING);
    await assert.rejects(a.lookupDomainByName(name), (e: unknown) => e instanceof LibvirtError && e.code === ErrorNumber.NO_DOMAIN);
    assertCountRises(await sampleCounts(dst, name, 6, 250), `${name} after migration`);
    assertCountRises(readCounts(dst, name), `${name} whole history`);

    // job statistics seen while it ran
    assert.ok(samples.length >= 2, `jobStats sampled ${samples.length} times during a ${wall} ms migration`);
    // The first sample can come before QEMU has counted anything: judge the fullest one.
    const last = samples.reduce((a, b) => ((b.dataTotal ?? 0) > (a.dataTotal ?? 0) ? b : a), samples[0] as JobStats);
    assert.equal(last.type, DomainJobType.UNBOUNDED);
    assert.ok((last.dataTotal ?? 0) > 0, `dataTotal reported (samples: ${samples.map((x) => x.dataTotal ?? '-').join(',')})`);
    assert.ok((last.memoryTotal ?? 0) >= 64 * 1024 * 1024 * 0.9, `memoryTotal ${last.memoryTotal}`);
    assert.ok((last.timeElapsed ?? 0) > 0, 'timeElapsed reported');
    const processed = samples.map((s) => s.dataProcessed ?? 0);
    assert.ok(
      processed.every((v, i) => i === 0 || v >= (processed[i - 1] as number)),
      `dataProcessed never decreases: ${processed.join(',')}`,
    );
    assert.ok(
      samples.some((s) => s.memoryBps !== undefined || s.memoryDirtyRate !== undefined),
      'rate fields present',
    );

    // events on both hosts
    await waitUntil(
      'source job-completed and STOPPED/MIGRATED',
      10_000,
      () =>
        evA.some((e) => e.type === 'job-completed' && e.domain.name === name) &&
        lifecycle(evA, name).some(([ev, det]) => ev === DomainEventType.STOPPED && det === DomainEventStoppedDetailType.MIGRATED),
    );
    await waitUntil('destination RESUMED/MIGRATED', 10_000, () =>
      lifecycle(evB, name).some(([ev, det]) => ev === DomainEventType.RESUMED && det === DomainEventResumedDetailType.MIGRATED),
    );
    assert.ok(
      lifecycle(evA, name).some(([ev, det]) => ev === DomainEventType.SUSPENDED && det === DomainEventSuspendedDetailType.MIGRATED),
      'source saw SUSPENDED/MIGRATED',
    );
    assert.ok(
      evA.some((e) => e.type === 'migration-iteration' && e.domain.name === name),
      'source saw migration-iteration',
    );
    assert.ok(
      lifecycle(evB, name).some(([ev, det]) => ev === DomainEventType.STARTED && det === DomainEventStartedDetailType.MIGRATED),
      'destination saw STARTED/MIGRATED',
    );
    const done = evA.find((e) => e.type === 'job-completed' && e.domain.name === name);
    assert.ok(done && done.type === 'job-completed');
    assert.equal(done.stats.type, DomainJobType.COMPLETED);
    assert.ok((done.stats.downtime ?? -1) >= 0, `downtime ${done.stats.downtime}`);
    assert.ok((done.stats.dataProcessed ?? 0) > 0);
  } finally {
    await Promise.all([a.close(), b.close()]);
  }
});

test(
  'libvirt e2e - a migration slowed by max speed is aborted; the guest stays on the source and keeps counting',
  { timeout: 120_000 },
  async () => {
    const name = 'lv-mig-abort';
    await defineCounterGuest(src, name, { disk: 'shared' });
    await waitForCount(src, name, 3);
    const a = await Connection.open(src.socketUri);
    const b = await Connection.open(dst.socketUri);
    try {
      const d = await a.lookupDomainByName(name);
      await d.migrateSetMaxSpeed(1);
      assert.equal(await d.migrateGetMaxSpeed(), 1);
      const migration = d.migrateToURI3(
        dst.uri,
        {},
        DomainMigrateFlags.LIVE | DomainMigrateFlags.PEER2PEER | DomainMigrateFlags.PERSIST_DEST | DomainMigrateFlags.UNSAFE,
      );
      const outcome = migration.then(
        () => 'completed',
        (e: unknown) => e,
      );
      // wait until data is moving, then abort
      let stats: JobStats | undefined;
      await waitUntil('the migration job to start moving data', 30_000, async () => {
        stats = await d.jobStats();
        return stats.type === DomainJobType.UNBOUNDED && (stats.dataProcessed ?? 0) > 0;
      });
      // other calls on the same connection are answered while the migration runs
      const t0 = Date.now();
      await d.state();
      await a.hostname();
      assert.ok(Date.now() - t0 < 2000, `calls answered in ${Date.now() - t0} ms during the migration`);
      await d.abortJob();
      const err = await outcome;
      assert.ok(err instanceof LibvirtError, `migration should fail after abort, got ${String(err)}`);
      assert.equal(err.code, ErrorNumber.OPERATION_ABORTED, `code ${err.codeName}: ${err.message}`);
      assert.equal(err.operation, 'Domain.migrateToURI3');
      assert.equal((await d.state()).state, DomainState.RUNNING);
      await assert.rejects(b.lookupDomainByName(name), (e: unknown) => e instanceof LibvirtError && e.code === ErrorNumber.NO_DOMAIN);
      assertCountRises(await sampleCounts(src, name, 6, 250), `${name} after abort`);
      assertCountRises(readCounts(src, name), `${name} whole history`);
      const completed = await d.jobStats(1 /* DomainGetJobStatsFlags.COMPLETED */);
      assert.ok(
        [DomainJobType.CANCELLED, DomainJobType.FAILED, DomainJobType.NONE].includes(completed.type),
        `completed job type ${completed.type}`,
      );
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  },
);

test('libvirt e2e - copy-storage migration of a guest on local disks', { timeout: 120_000 }, async () => {
  const name = 'lv-mig-copy';
  const g = await defineCounterGuest(src, name, { disk: 'local' });
  await waitForCount(src, name, 3);
  const a = await Connection.open(src.socketUri);
  const b = await Connection.open(dst.socketUri);
  try {
    const d = await a.lookupDomainByName(name);
    const before = await d.blockInfo(g.diskPath);
    assert.ok(before.capacity >= 1024 * 1024);
    // the destination must have a pool at the disk's directory
    const pool = await b.lookupStoragePoolByTargetPath(src.localDir);
    assert.equal(await pool.isActive(), true);
    await d.migrateToURI3(
      dst.uri,
      { migrateDisks: ['hda'] },
      DomainMigrateFlags.LIVE |
        DomainMigrateFlags.PEER2PEER |
        DomainMigrateFlags.PERSIST_DEST |
        DomainMigrateFlags.UNDEFINE_SOURCE |
        DomainMigrateFlags.NON_SHARED_DISK,
    );
    const moved = await b.lookupDomainByName(name);
    assert.equal((await moved.state()).state, DomainState.RUNNING);
    const afterInfo = await moved.blockInfo(g.diskPath);
    assert.equal(afterInfo.capacity, before.capacity);
    assertCountRises(await sampleCounts(dst, name, 6, 250), `${name} after copy-storage migration`);
    assertCountRises(readCounts(dst, name), `${name} whole history`);
  } finally {
    await Promise.all([a.close(), b.close()]);
  }
});
