/**
 * (The abort re-send and the reasons each end carries are in migrations.test.ts.)
 * The agent's abort rules: when libvirt refuses an abort (as it does during its handshake with the
 * destination), the abort is sent again until the job ends, and the outcome says cancelled; when a
 * job outlives an abort libvirt accepted while the guest runs here (libvirt 9.0 after an abort at
 * the switchover), the guest is paused so that libvirt ends the job, and runs again afterwards.
 * A unit test of Migrations' own logic: the job runner (migrateToURI3, abortJob) is a script, since
 * neither case can be forced on demand through drover; the guest lookup, pause and resume go
 * through libvirt's test driver. Real migrations and aborts are the lab tests' (drover-migrate).
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLogger } from '@drover/contract';
import { DomainState, writeTestHost, type Domain } from '@drover/libvirt';
import { AgentConfigSchema } from '../config.js';
import { LibvirtManager } from '../libvirt/manager.js';
import { Migrations, type MigrationRunner } from './migrations.js';

let dir: string;
let lv: LibvirtManager;
let migrations: Migrations;
const calls = { abort: 0 };
let finishJob: ((e?: Error) => void) | undefined;

/** A job that runs until aborted; libvirt refuses the first `refuse` aborts. */
function scriptedRunner(refuse: number): MigrationRunner {
  return {
    migrate: () => new Promise<void>((res, rej) => (finishJob = (e) => (e ? rej(e) : res()))),
    jobStats: async () => ({ type: 2, dataTotal: 64 << 20, dataProcessed: 1 << 20, dataRemaining: 63 << 20 }) as never,
    abort: async () => {
      calls.abort++;
      if (calls.abort <= refuse) throw new Error('Requested operation is not valid: cannot abort migration in its current phase');
      setTimeout(() => finishJob?.(new Error('operation aborted: migration out job: canceled by client')), 10);
    },
    jobActive: async () => !!finishJob,
  };
}

let stuckMigrations: Migrations;
let migrationsDeps!: ConstructorParameters<typeof Migrations>[0];
/** The agent's dependencies with a migration journal of its own (instances must not share one file). */
function ownJournal(name: string): ConstructorParameters<typeof Migrations>[0] {
  const cfg = migrationsDeps.cfg;
  return { ...migrationsDeps, cfg: { ...cfg, migration: { ...cfg.migration, journal: join(dir, `${name}.json`) } } };
}
const stuck = { aborts: 0, unsticks: 0, pausedWhenEnded: false };
let endStuckJob: ((e: Error) => void) | undefined;

/**
 * libvirt 9.0 after an abort at the switchover: every abort is accepted and changes nothing; the
 * job ends (cancelled) only once the guest is paused, and libvirt would then resume the guest
 * (left paused here, to see that the agent resumes it).
 */
function stuckRunner(): MigrationRunner {
  return {
    migrate: () => new Promise<void>((_res, rej) => (endStuckJob = rej)),
    jobStats: async () => ({ type: 2, dataTotal: 0, dataProcessed: 0, dataRemaining: 0 }) as never,
    abort: async () => {
      stuck.aborts++;
    },
    jobActive: async () => !!endStuckJob,
    unstick: async (dom: Domain) => {
      stuck.unsticks++;
      if ((await dom.state()).state !== DomainState.RUNNING) return false;
      await dom.suspend();
      stuck.pausedWhenEnded = (await dom.state()).state === DomainState.PAUSED;
      setTimeout(() => endStuckJob?.(new Error("operation aborted: job 'migration out' canceled by client")), 10);
      return true;
    },
  };
}

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'drover-mig-abort-'));
  const h = writeTestHost({ domains: [{ name: 'alpha' }, { name: 'beta' }] }, dir);
  const cfg = AgentConfigSchema.parse({
    host: 'node01',
    tls: { ca: 'x', cert: 'x', key: 'x' },
    nats: { url: 'nats://127.0.0.1:1', seedFile: 'x' },
    libvirt: { uri: h.uri },
    storage: { roots: [join(dir, 'vms')] },
    migration: { uri: 'qemu+tcp://127.0.0.2/system', journal: join(dir, 'migrations.json'), progressEveryMs: 100 },
  });
  const log = createLogger('drover-agent', { level: 'silent' });
  lv = new LibvirtManager({ uri: h.uri, host: 'node01', log });
  lv.start();
  await lv.waitConnected(10_000);
  migrations = new Migrations(
    { cfg, log, lv },
    () => undefined,
    () => '127.0.0.1:7444',
    scriptedRunner(2),
  );
  migrationsDeps = { cfg, log, lv };
  stuckMigrations = new Migrations(
    ownJournal('stuck'),
    () => undefined,
    () => '127.0.0.1:7444',
    stuckRunner(),
    500,
  );
});
after(async () => {
  migrations?.stop();
  stuckMigrations?.stop();
  await lv?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

test(
  'migration abort - a job that outlives an accepted abort with the guest running is ended by pausing the guest, which runs again after',
  { timeout: 30_000 },
  async () => {
    const log = createLogger('drover-agent', { level: 'silent' });
    await stuckMigrations.start(
      {
        operationId: 'op2',
        stepId: '001-beta',
        guest: 'beta',
        dest: 'node02',
        destUri: 'qemu+tcp://127.0.0.3/system',
        migrateUri: '',
        options: {
          bandwidthMibps: 0,
          maxDowntimeMs: 0,
          copyStorage: false,
          unsafeShared: true,
          autoConverge: false,
          postcopy: false,
          timeoutS: 0,
          stallS: 0,
          tls: false,
        },
      } as never,
      log,
    );
    const t0 = Date.now();
    await stuckMigrations.abort('op2', '001-beta', 'beta');
    let end = await stuckMigrations.query('op2', '001-beta', 'beta');
    for (let i = 0; i < 200 && !['JOB_STATE_CANCELLED', 'JOB_STATE_FAILED', 'JOB_STATE_COMPLETED'].includes(end.state as string); i++) {
      await new Promise((res) => setTimeout(res, 100));
      end = await stuckMigrations.query('op2', '001-beta', 'beta');
    }
    assert.equal(end.state, 'JOB_STATE_CANCELLED', JSON.stringify(end));
    assert.match(end.error ?? '', /cancelled by request/);
    assert.equal(stuck.unsticks, 1, 'the guest was paused once');
    assert.ok(stuck.pausedWhenEnded, 'the job ended while the guest was paused');
    assert.ok(Date.now() - t0 >= 500, 'not before the job outlived the abort by the set time');
    assert.ok(stuck.aborts >= 1);
    // Asked again: a query reads the guest before the job's state, so the one that saw the job
    // end may have read the guest a moment before (while the agent was resuming it).
    const after = await stuckMigrations.query('op2', '001-beta', 'beta');
    assert.equal(after.guestHere?.state, 'POWER_STATE_ON', 'the guest runs again');
    assert.equal(after.runningHere, true);
  },
);

test('migration abort - a cancel that overtakes its StartMigration makes that start refused, and nothing starts', async () => {
  const log = createLogger('drover-agent', { level: 'silent' });
  const q = await migrations.abort('op3', '001-alpha', 'alpha');
  assert.equal(q.jobId, '', 'nothing was running');
  const before = calls.abort;
  await assert.rejects(
    migrations.start(
      {
        operationId: 'op3',
        stepId: '001-alpha',
        guest: 'alpha',
        dest: 'node02',
        destUri: 'qemu+tcp://127.0.0.3/system',
        migrateUri: '',
        options: undefined,
      } as never,
      log,
    ),
    /alpha: the move was cancelled before it started on node01; nothing was started/,
  );
  assert.equal(migrations.journal.get('op3', '001-alpha'), undefined, 'no job recorded');
  assert.equal(calls.abort, before);
});

test('migration monitor - one progress call at a time, however long libvirt takes to answer it', { timeout: 30_000 }, async () => {
  let inFlight = 0;
  let most = 0;
  let calls = 0;
  let endJob: ((e: Error) => void) | undefined;
  const slow: MigrationRunner = {
    migrate: () => new Promise<void>((_res, rej) => (endJob = rej)),
    // As while QEMU writes the final state: the monitor answers after 700 ms (7 progress periods).
    jobStats: async () => {
      calls++;
      most = Math.max(most, ++inFlight);
      await new Promise((r) => setTimeout(r, 700));
      inFlight--;
      return { type: 2, dataTotal: 64 << 20, dataProcessed: 1 << 20, dataRemaining: 63 << 20 } as never;
    },
    abort: async () => {
      setTimeout(() => endJob?.(new Error('operation aborted: canceled by client')), 10);
    },
    jobActive: async () => !!endJob,
  };
  const log = createLogger('drover-agent', { level: 'silent' });
  const m = new Migrations(
    ownJournal('one-call'),
    () => undefined,
    () => '127.0.0.1:7444',
    slow,
  );
  try {
    await m.start(
      {
        operationId: 'op4',
        stepId: '001-alpha',
        guest: 'alpha',
        dest: 'node02',
        destUri: 'qemu+tcp://127.0.0.3/system',
        migrateUri: '',
        options: undefined,
      } as never,
      log,
    );
    await new Promise((r) => setTimeout(r, 2500));
    assert.ok(calls >= 2, `progress was asked for (${calls} calls)`);
    assert.equal(most, 1, 'never two jobStats calls at once');
    await m.abort('op4', '001-alpha', 'alpha');
    let end = await m.query('op4', '001-alpha', 'alpha');
    for (let i = 0; i < 100 && end.state === 'JOB_STATE_RUNNING'; i++) {
      await new Promise((r) => setTimeout(r, 100));
      end = await m.query('op4', '001-alpha', 'alpha');
    }
    assert.equal(end.state, 'JOB_STATE_CANCELLED');
  } finally {
    m.stop();
  }
});

test('migration monitor - a timeout aborts on time while a progress call still waits on libvirt', { timeout: 30_000 }, async () => {
  let abortedAfterMs = 0;
  let endJob: ((e: Error) => void) | undefined;
  const t0 = Date.now();
  const slow: MigrationRunner = {
    migrate: () => new Promise<void>((_res, rej) => (endJob = rej)),
    // The monitor answers only after 3 s (QEMU writing the last state over a slow link).
    jobStats: async () => {
      await new Promise((r) => setTimeout(r, 3000));
      return { type: 2, dataTotal: 64 << 20, dataProcessed: 64 << 20, dataRemaining: 0 } as never;
    },
    abort: async () => {
      abortedAfterMs ||= Date.now() - t0;
      setTimeout(() => endJob?.(new Error('operation aborted: canceled by client')), 10);
    },
    jobActive: async () => !!endJob,
  };
  const log = createLogger('drover-agent', { level: 'silent' });
  const m = new Migrations(
    ownJournal('timeout'),
    () => undefined,
    () => '127.0.0.1:7444',
    slow,
  );
  try {
    await m.start(
      {
        operationId: 'op5',
        stepId: '001-alpha',
        guest: 'alpha',
        dest: 'node02',
        destUri: 'qemu+tcp://127.0.0.3/system',
        migrateUri: '',
        options: {
          bandwidthMibps: 0,
          maxDowntimeMs: 0,
          copyStorage: false,
          unsafeShared: true,
          autoConverge: false,
          postcopy: false,
          timeoutS: 1,
          stallS: 0,
          tls: false,
        },
      } as never,
      log,
    );
    let end = await m.query('op5', '001-alpha', 'alpha');
    for (let i = 0; i < 100 && end.state === 'JOB_STATE_RUNNING'; i++) {
      await new Promise((r) => setTimeout(r, 100));
      end = await m.query('op5', '001-alpha', 'alpha');
    }
    assert.equal(end.state, 'JOB_STATE_FAILED', JSON.stringify(end));
    assert.match(end.error ?? '', /timed out after 1s/);
    assert.ok(
      abortedAfterMs > 0 && abortedAfterMs < 2000,
      `aborted ${abortedAfterMs} ms after the start, not after the pending progress call`,
    );
  } finally {
    m.stop();
  }
});
