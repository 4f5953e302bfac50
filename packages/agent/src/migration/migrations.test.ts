/**
 * The agent's own rules for how a migration job ends: the abort re-send when libvirt refuses an
 * abort (as it does during its handshake with the destination), and the reason each end carries
 * (cancelled by request, timeout, stall, a failure of the job itself). A unit test of Migrations'
 * own logic: the job runner (migrateToURI3, abortJob) is a script, since a refusal or a stall
 * cannot be forced on demand on real hosts; the guest lookup goes through libvirt's test driver.
 * Real migrations and aborts are the lab tests' (drover-migrate).
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLogger, type QueryMigrationResponse } from '@drover/contract';
import { writeTestHost } from '@drover/libvirt';
import { AgentConfigSchema, type AgentConfig } from '../config.js';
import { LibvirtManager } from '../libvirt/manager.js';
import { Migrations, type MigrationRunner } from './migrations.js';

const log = createLogger('drover-agent', { level: 'silent' });
let dir: string;
let cfg: AgentConfig;
let lv: LibvirtManager;
const made: Migrations[] = [];

/** A job that runs until aborted or failed; libvirt refuses the first `refuse` aborts. */
function scripted(refuse = 0): { runner: MigrationRunner; aborts: () => number; fail: (e: Error) => void } {
  let finishJob: ((e?: Error) => void) | undefined;
  let aborts = 0;
  const runner: MigrationRunner = {
    migrate: () => new Promise<void>((res, rej) => (finishJob = (e) => (e ? rej(e) : res()))),
    // The same data left at every sample: a job that makes no progress.
    jobStats: async () => ({ type: 2, dataTotal: 64 << 20, dataProcessed: 1 << 20, dataRemaining: 63 << 20 }) as never,
    abort: async () => {
      aborts++;
      if (aborts <= refuse) throw new Error('Requested operation is not valid: cannot abort migration in its current phase');
      setTimeout(() => finishJob?.(new Error('operation aborted: migration out job: canceled by client')), 10);
    },
    jobActive: async () => !!finishJob,
  };
  return { runner, aborts: () => aborts, fail: (e) => finishJob?.(e) };
}

function migrationsWith(runner: MigrationRunner): Migrations {
  const m = new Migrations(
    { cfg, log, lv },
    () => undefined,
    () => '127.0.0.1:7444',
    runner,
  );
  made.push(m);
  return m;
}

async function start(m: Migrations, op: string, guest: string, limits: { timeoutS?: number; stallS?: number } = {}): Promise<void> {
  const started = await m.start(
    {
      operationId: op,
      stepId: `001-${guest}`,
      guest,
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
        timeoutS: limits.timeoutS ?? 0,
        stallS: limits.stallS ?? 0,
        tls: false,
      },
    } as never,
    log,
  );
  assert.ok(started.jobId);
}

/** Queries until the job has ended (bounded: 20 s). */
async function ended(m: Migrations, op: string, guest: string): Promise<QueryMigrationResponse> {
  let q = await m.query(op, `001-${guest}`, guest);
  for (let i = 0; i < 200 && !['JOB_STATE_CANCELLED', 'JOB_STATE_FAILED', 'JOB_STATE_COMPLETED'].includes(q.state as string); i++) {
    await new Promise((res) => setTimeout(res, 100));
    q = await m.query(op, `001-${guest}`, guest);
  }
  return q;
}

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'drover-mig-abort-'));
  const h = writeTestHost({ domains: [{ name: 'alpha' }, { name: 'beta' }, { name: 'gamma' }, { name: 'delta' }] }, dir);
  cfg = AgentConfigSchema.parse({
    host: 'node01',
    tls: { ca: 'x', cert: 'x', key: 'x' },
    nats: { url: 'nats://127.0.0.1:1', seedFile: 'x' },
    libvirt: { uri: h.uri },
    storage: { roots: [join(dir, 'vms')] },
    migration: { uri: 'qemu+tcp://127.0.0.2/system', journal: join(dir, 'migrations.json'), progressEveryMs: 100 },
  });
  lv = new LibvirtManager({ uri: h.uri, host: 'node01', log });
  lv.start();
  await lv.waitConnected(10_000);
});
after(async () => {
  for (const m of made) m.stop();
  await lv?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

test(
  'migration abort - refused twice by libvirt, sent again until the job ends; the outcome is cancelled by request',
  { timeout: 30_000 },
  async () => {
    const job = scripted(2);
    const m = migrationsWith(job.runner);
    await start(m, 'op1', 'alpha');
    const q = await m.abort('op1', '001-alpha', 'alpha');
    assert.equal(job.aborts(), 1, 'the first abort went out at once');
    assert.notEqual(q.state, 'JOB_STATE_CANCELLED', 'libvirt refused it: the job runs on');
    const end = await ended(m, 'op1', 'alpha');
    assert.equal(end.state, 'JOB_STATE_CANCELLED', JSON.stringify(end));
    assert.equal(end.reason, 'FAILURE_REASON_CANCELLED_BY_REQUEST');
    assert.equal(job.aborts(), 3, 'two refused aborts, the third ended the job');
    assert.match(end.error ?? '', /cancelled by request/);
  },
);

test('migration end - a job past its timeout is aborted by the agent and fails with reason TIMEOUT', { timeout: 30_000 }, async () => {
  const job = scripted();
  const m = migrationsWith(job.runner);
  await start(m, 'op2', 'beta', { timeoutS: 1 });
  const end = await ended(m, 'op2', 'beta');
  assert.equal(end.state, 'JOB_STATE_FAILED', JSON.stringify(end));
  assert.equal(end.reason, 'FAILURE_REASON_TIMEOUT');
  assert.equal(end.error, 'timed out after 1s');
  assert.equal(job.aborts(), 1);
});

test(
  'migration end - a job without progress for its stall limit is aborted and fails with reason STALLED',
  { timeout: 30_000 },
  async () => {
    const job = scripted();
    const m = migrationsWith(job.runner);
    await start(m, 'op3', 'gamma', { stallS: 1 });
    const end = await ended(m, 'op3', 'gamma');
    assert.equal(end.state, 'JOB_STATE_FAILED', JSON.stringify(end));
    assert.equal(end.reason, 'FAILURE_REASON_STALLED');
    assert.match(end.error ?? '', /^no progress for 1s/);
  },
);

test('migration end - a job that fails by itself fails with reason LIBVIRT_ERROR and its error', { timeout: 30_000 }, async () => {
  const job = scripted();
  const m = migrationsWith(job.runner);
  await start(m, 'op4', 'delta');
  job.fail(new Error('operation failed: migration job: unexpectedly failed'));
  const end = await ended(m, 'op4', 'delta');
  assert.equal(end.state, 'JOB_STATE_FAILED', JSON.stringify(end));
  assert.equal(end.reason, 'FAILURE_REASON_LIBVIRT_ERROR');
  assert.equal(end.error, 'operation failed: migration job: unexpectedly failed');
  assert.equal(job.aborts(), 0);
});
