/**
 * The engine's pacing, cancel, retry and recovery against a world of fake agents that implement
 * drover's own Agents interface: guests live on hosts, migration jobs start, finish or fail when
 * the test says so, and outcomes come through the bus as JetStream would deliver them. The
 * journal is the real SQLite store (in memory) and the tables the real Tables.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  createLogger,
  DroverError,
  type FailureReason__Output,
  type JobState__Output,
  type MigrationOutcome__Output,
  type Operation,
  type Operation__Output,
  type OperationUpdate,
} from '@drover/contract';
import { SqliteStores } from '../db/sqlite/stores.js';
import { Tables } from '../tables/index.js';
import type { HostView } from '../hosts/registry.js';
import { mkGuest, mkHost, mkSnapshot } from '../scheduler/testkit.js';
import { planMoves, resolvePolicy, type PolicyInput } from '../scheduler/index.js';
import type { Agents, Bus, Cluster, EngineDeps, EngineMethod } from './deps.js';
import { OperationEngine } from './engine.js';
import { stepRecord, newStep } from './journal.js';

const log = createLogger('engine-test', { level: process.env.ENGINE_TEST_LOG ?? 'silent' });

/** What a guest's migration does once started: finish, fail, wait for the test, or leave it running on both hosts. */
type Behaviour = 'ok' | 'fail' | 'hold' | 'split';

interface Job {
  opId: string;
  stepId: string;
  guest: string;
  source: string;
  dest: string;
  state: JobState__Output;
  reason?: FailureReason__Output;
}

class World implements Agents {
  /** guest -> the hosts it runs on */
  readonly runs = new Map<string, Set<string>>();
  readonly jobs = new Map<string, Job>();
  readonly calls: { host: string; method: EngineMethod; guest?: string }[] = [];
  readonly behaviour = new Map<string, Behaviour[]>();
  private readonly outcomeFns = new Set<(o: MigrationOutcome__Output) => Promise<void>>();
  /** most jobs running at once out of one host */
  maxOut = new Map<string, number>();

  constructor(guests: Record<string, string>) {
    for (const [g, h] of Object.entries(guests)) this.runs.set(g, new Set([h]));
  }

  readonly bus: Bus = {
    progress: () => () => undefined,
    outcomes: (fn) => {
      this.outcomeFns.add(fn);
      return () => this.outcomeFns.delete(fn);
    },
  };

  on(guest: string): string[] {
    return [...(this.runs.get(guest) ?? [])];
  }

  private next(guest: string): Behaviour {
    const list = this.behaviour.get(guest) ?? [];
    return list.length > 1 ? list.shift()! : (list[0] ?? 'ok');
  }

  /** Ends a running job as libvirt would, and delivers its outcome. */
  end(stepId: string, state: 'JOB_STATE_COMPLETED' | 'JOB_STATE_FAILED' | 'JOB_STATE_CANCELLED', reason: FailureReason__Output): void {
    const j = this.jobs.get(stepId)!;
    j.state = state;
    j.reason = reason;
    if (state === 'JOB_STATE_COMPLETED') this.runs.set(j.guest, new Set([j.dest]));
    const o: MigrationOutcome__Output = {
      operationId: j.opId,
      stepId,
      guest: j.guest,
      source: j.source,
      dest: j.dest,
      jobId: `job-${stepId}`,
      state,
      error: state === 'JOB_STATE_COMPLETED' ? '' : `migration ${state.replace('JOB_STATE_', '').toLowerCase()}`,
      reason,
      libvirtCode: 0,
      runningOn: '',
      elapsedMs: 0,
      downtimeMs: 0,
      timeMs: Date.now(),
    };
    setImmediate(() => {
      for (const fn of this.outcomeFns) void fn(o).catch(() => undefined);
    });
  }

  running(source: string): number {
    return [...this.jobs.values()].filter((j) => j.source === source && j.state === 'JOB_STATE_RUNNING').length;
  }

  call<M extends EngineMethod>(host: string, method: M, req: never): Promise<never> {
    const r = req as { guest?: string; stepId?: string; operationId?: string; dest?: string };
    this.calls.push({ host, method, ...(r.guest ? { guest: r.guest } : {}) });
    return new Promise<never>((res, rej) =>
      setImmediate(() => {
        try {
          res(this.answer(host, method, req) as never);
        } catch (e) {
          rej(e as Error);
        }
      }),
    );
  }

  private answer(host: string, method: EngineMethod, req: never): unknown {
    const r = req as { guest: string; stepId: string; operationId: string; dest: string; spec?: { name: string } };
    switch (method) {
      case 'CheckReachable':
        return { reachable: true, error: '' };
      case 'GuestCpu':
        return { hvType: 'kvm', mode: 'host-model', model: '', features: [] };
      case 'PrepareMigration':
        return { libvirtUri: `qemu+tls://${host}/system`, migrateUri: '' };
      case 'ListGuests':
        return { guests: [...this.runs].filter(([, hs]) => hs.has(host)).map(([g]) => status(g)) };
      case 'StartMigration': {
        const b = this.next(r.guest);
        if (b === 'split') {
          // The answer is lost, and the guest shows up running on both hosts.
          this.runs.get(r.guest)!.add(r.dest);
          throw new DroverError('AGENT_UNREACHABLE', `agent on '${host}' did not answer StartMigration`);
        }
        const job: Job = { opId: r.operationId, stepId: r.stepId, guest: r.guest, source: host, dest: r.dest, state: 'JOB_STATE_RUNNING' };
        this.jobs.set(r.stepId, job);
        this.maxOut.set(host, Math.max(this.maxOut.get(host) ?? 0, this.running(host)));
        if (b === 'ok') setTimeout(() => this.end(r.stepId, 'JOB_STATE_COMPLETED', 'FAILURE_REASON_UNSPECIFIED'), 40);
        if (b === 'fail') setTimeout(() => this.end(r.stepId, 'JOB_STATE_FAILED', 'FAILURE_REASON_LIBVIRT_ERROR'), 5);
        return { jobId: `job-${r.stepId}` };
      }
      case 'AbortMigration': {
        const j = this.jobs.get(r.stepId);
        if (j?.state === 'JOB_STATE_RUNNING') this.end(r.stepId, 'JOB_STATE_CANCELLED', 'FAILURE_REASON_CANCELLED_BY_REQUEST');
        return {};
      }
      case 'QueryMigration': {
        const here = this.runs.get(r.guest)?.has(host) ?? false;
        const j = this.jobs.get(r.stepId);
        return {
          state: j && j.source === host ? j.state : 'JOB_STATE_UNSPECIFIED',
          jobId: j ? `job-${r.stepId}` : '',
          progress: null,
          guestHere: here ? status(r.guest) : null,
          definedHere: here,
          runningHere: here,
          error: '',
          reason: j?.reason ?? 'FAILURE_REASON_UNSPECIFIED',
        };
      }
      case 'GetGuest':
        if (!this.runs.get(r.guest)?.has(host)) throw new DroverError('NOT_FOUND', `${r.guest}: not defined on ${host}`);
        return status(r.guest);
      case 'Power':
        return status(r.guest);
      default:
        throw new Error(`unexpected ${method}`);
    }
  }
}

function status(name: string): unknown {
  return {
    name,
    uuid: '',
    id: 1,
    state: 'POWER_STATE_ON',
    reason: '',
    memoryMib: 4096,
    vcpus: 2,
    cpuTimeNs: 0,
    persistent: true,
    managed: true,
    migrating: false,
  };
}

function view(host: string): HostView {
  return {
    host,
    address: `${host}:7444`,
    state: 'up',
    lastSeenMs: Date.now(),
    bootId: 'b',
    libvirtReachable: true,
    libvirtError: '',
    facts: { migrationUri: `qemu+tls://${host}/system` } as HostView['facts'],
    maintenance: false,
    simulated: true,
  };
}

interface Rig {
  engine: OperationEngine;
  world: World;
  tables: Tables;
  stores: SqliteStores;
  deps: EngineDeps;
}

async function rig(
  t: { after(fn: () => unknown): void },
  hosts: string[],
  guests: Record<string, string>,
  policy: PolicyInput = {},
  stores = SqliteStores.open(':memory:'),
): Promise<Rig> {
  const tables = new Tables(stores);
  if ((await tables.nodeNames()).length === 0)
    for (const [g, h] of Object.entries(guests)) await tables.addNodes([g], { 'vm.host': h, 'vm.memory': '4G' });
  const world = new World(guests);
  const cluster: Cluster = {
    snapshot: (inFlight) =>
      Promise.resolve(
        mkSnapshot({
          hosts: hosts.map((h) => mkHost(h)),
          guests: [...world.runs].map(([g, hs]) => mkGuest(g, [...hs][0]!)),
          inFlight,
        }),
      ),
    sitePolicy: () => Promise.resolve(policy),
    migrationTls: () => Promise.resolve(false),
    host: (name) => (hosts.includes(name) ? view(name) : undefined),
    setMaintenance: () => Promise.resolve(),
    recordedHosts: (gs) => tables.getMany(gs, 'vm.host'),
    guestSpec: (guest) => Promise.resolve({ name: guest } as never),
    noteGuest: () => undefined,
    guestsOn: (host) => [...world.runs].filter(([, hs]) => hs.has(host)).map(([g]) => g),
  };
  const deps: EngineDeps = {
    journal: {
      operations: stores.operations,
      moved: (step, guest, host) =>
        stores.transaction(async (tx) => {
          await tx.operations.saveStep(step);
          await tables.in(tx).recordMove(guest, host);
        }),
    },
    agents: world,
    cluster,
    bus: world.bus,
    clock: { now: () => Date.now(), sleep: (ms) => new Promise((res) => setTimeout(res, Math.min(ms, 5))) },
    log,
  };
  const engine = new OperationEngine(deps);
  t.after(async () => {
    engine.stop();
    await stores.close();
  });
  return { engine, world, tables, stores, deps };
}

/** The engine's messages with every field present, as a client decodes them. */
const full = (op: Operation): Operation__Output => op as Operation__Output;

/** Resolves with the operation when it has finished (its final update). */
function finished(engine: OperationEngine, id: string): Promise<Operation__Output> {
  return new Promise((res, rej) => {
    const off = engine.watch(id, (u) => {
      if (!u.final) return;
      off();
      res(full(u.operation!));
    });
    if (!engine.isRunning(id)) engine.get(id).then((op) => res(full(op)), rej);
  });
}

/** Resolves when `pred` holds for an update of the operation. */
function until(engine: OperationEngine, id: string, pred: (u: OperationUpdate) => boolean): Promise<void> {
  return new Promise((res) => {
    const off = engine.watch(id, (u) => {
      if (pred(u)) {
        off();
        res();
      }
    });
  });
}

const steps = (op: Operation__Output): string[] => op.steps.map((s) => `${s.guest} ${s.source}>${s.dest} ${s.state}#${s.attempt}`);

test('engine - an evacuation is paced within maxout and every guest ends on its destination', async (t) => {
  const guests = Object.fromEntries(Array.from({ length: 6 }, (_, i) => [`g${i + 1}`, 'h1']));
  const r = await rig(t, ['h1', 'h2', 'h3', 'h4'], guests, { maxOut: 2 });
  const started = full(await r.engine.evacuate('h1', {}, {}, 'tester', false));
  const op = await finished(r.engine, started.id);
  assert.equal(op.state, 'done', op.summary);
  assert.equal(op.steps.length, 6);
  assert.ok(op.steps.every((s) => s.state === 'done'));
  assert.equal(r.world.maxOut.get('h1'), 2, 'two moves at once out of h1, never more');
  for (const s of op.steps) {
    assert.deepEqual(r.world.on(s.guest), [s.dest]);
    assert.equal(await r.tables.get(s.guest, 'vm.host'), s.dest, `${s.guest}: vm.host follows the move`);
  }
});

test('engine - cancel mid-plan: done stays done, the move in flight is aborted, the rest never starts', async (t) => {
  const r = await rig(t, ['h1', 'h2'], { g1: 'h1', g2: 'h1', g3: 'h1' }, { maxOut: 1 });
  r.world.behaviour.set('g2', ['hold']);
  const started = full(await r.engine.migrate(['g1', 'g2', 'g3'], 'h2', {}, 'tester', false));
  await until(r.engine, started.id, (u) => u.step?.guest === 'g2' && u.step.state === 'migrating');
  const end = finished(r.engine, started.id);
  await r.engine.cancel(started.id);
  const op = await end;
  assert.equal(op.state, 'cancelled');
  const by = new Map(op.steps.map((s) => [s.guest, s]));
  assert.equal(by.get('g1')!.state, 'done');
  assert.equal(by.get('g2')!.state, 'cancelled');
  assert.equal(by.get('g2')!.reason, 'FAILURE_REASON_CANCELLED_BY_REQUEST');
  assert.equal(by.get('g3')!.state, 'cancelled');
  assert.ok(!r.world.calls.some((c) => c.guest === 'g3' && c.method === 'PrepareMigration'), 'g3 was never prepared');
  assert.ok(r.world.calls.some((c) => c.guest === 'g2' && c.method === 'AbortMigration' && c.host === 'h1'));
  assert.deepEqual([r.world.on('g1'), r.world.on('g2'), r.world.on('g3')], [['h2'], ['h1'], ['h1']]);
  assert.equal(await r.tables.get('g1', 'vm.host'), 'h2');
  assert.equal(await r.tables.get('g2', 'vm.host'), 'h1');
  // The journal says the same after the run has left memory.
  assert.deepEqual(steps(full(await r.engine.get(started.id))), steps(op));
});

test('engine - a failed move is retried once, on its alternative host', async (t) => {
  const r = await rig(t, ['h1', 'h2', 'h3'], { g1: 'h1' });
  r.world.behaviour.set('g1', ['fail', 'ok']);
  const started = full(await r.engine.migrate(['g1'], '', {}, 'tester', false));
  const op = await finished(r.engine, started.id);
  assert.equal(op.steps.length, 2, steps(op).join('; '));
  const [first, retry] = op.steps;
  assert.equal(first!.state, 'failed');
  assert.equal(first!.reason, 'FAILURE_REASON_LIBVIRT_ERROR');
  assert.equal(retry!.state, 'done');
  assert.equal(retry!.attempt, 2);
  assert.notEqual(retry!.dest, first!.dest, 'the retry goes to the alternative');
  assert.equal(op.state, 'done');
  assert.deepEqual(r.world.on('g1'), [retry!.dest]);
  assert.equal(await r.tables.get('g1', 'vm.host'), retry!.dest);
});

test('engine - a conflict (the guest on both hosts) fails the step for good: no retry', async (t) => {
  const r = await rig(t, ['h1', 'h2', 'h3'], { g1: 'h1' });
  r.world.behaviour.set('g1', ['split']);
  const started = full(await r.engine.migrate(['g1'], '', {}, 'tester', false));
  const op = await finished(r.engine, started.id);
  assert.deepEqual(
    op.steps.map((s) => [s.state, s.reason]),
    [['failed', 'FAILURE_REASON_CONFLICT']],
  );
  assert.match(op.steps[0]!.error, /conflict: guest reported running on both hosts/);
  assert.equal(op.state, 'failed');
  assert.equal(r.world.calls.filter((c) => c.method === 'PrepareMigration').length, 1, 'prepared once, never retried');
  assert.equal(await r.tables.get('g1', 'vm.host'), 'h1', 'vm.host unchanged');
});

test('engine - after a restart, a step interrupted while migrating is settled from both hosts, not started again', async (t) => {
  const stores = SqliteStores.open(':memory:');
  const r = await rig(t, ['h1', 'h2'], { g1: 'h1' }, {}, stores);
  // What a server that died mid-migration left: the operation running, its step migrating with a job id.
  const plan = planMoves(
    mkSnapshot({ hosts: [mkHost('h1'), mkHost('h2')], guests: [mkGuest('g1', 'h1')] }),
    ['g1'],
    'h2',
    resolvePolicy({}),
  );
  const step = { ...newStep('op-crashed', 1, '001-g1', plan.moves[0]!), state: 'migrating' as const, jobId: 'job-001-g1', startedMs: 1 };
  await stores.operations.create(
    {
      id: 'op-crashed',
      kind: 'migrate',
      state: 'running',
      requestedBy: 'tester',
      createdMs: 1,
      updatedMs: 1,
      finishedMs: 0,
      host: 'h2',
      summary: '',
      plan,
      checks: [],
      unplaced: [],
      options: {
        options: { timeoutS: 600, maxDowntimeMs: 0, bandwidthMibps: 0, copyStorage: 'auto', stallS: 120, autoConverge: true },
        policy: resolvePolicy({}),
      },
    },
    [stepRecord(step)],
  );
  // Meanwhile the job finished: the guest runs on h2 only.
  r.world.jobs.set('001-g1', { opId: 'op-crashed', stepId: '001-g1', guest: 'g1', source: 'h1', dest: 'h2', state: 'JOB_STATE_COMPLETED' });
  r.world.runs.set('g1', new Set(['h2']));
  await r.engine.recover();
  assert.ok(r.engine.isRunning('op-crashed'));
  const op = await finished(r.engine, 'op-crashed');
  assert.equal(op.state, 'done');
  assert.deepEqual(
    op.steps.map((s) => s.state),
    ['done'],
  );
  assert.deepEqual(
    r.world.calls.filter((c) => c.method === 'PrepareMigration' || c.method === 'StartMigration'),
    [],
    'nothing started again',
  );
  assert.equal(await r.tables.get('g1', 'vm.host'), 'h2');
  assert.equal((await r.engine.get('op-crashed')).state, 'done');
});
