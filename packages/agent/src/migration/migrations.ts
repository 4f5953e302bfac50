/**
 * The agent's side of the migration contract (docs/migration.md): prepare on the destination,
 * start on the source (returns at once; the libvirt call runs on a thread of its own inside the
 * binding), progress about once a second on NATS, the outcome through JetStream, query and abort.
 * Timeouts and stalls are enforced here, next to the job, so they hold without the server.
 */
import { randomUUID } from 'node:crypto';
import { connect as tcpConnect } from 'node:net';
import type { NatsConnection } from 'nats';
import * as grpc from '@grpc/grpc-js';
import {
  codec,
  subjects,
  DroverError,
  invalidArgument,
  type JobState,
  type MigrationOutcome,
  type MigrationProgress,
  type StartMigrationRequest__Output,
  type QueryMigrationResponse,
  type PrepareMigrationRequest__Output,
  type PrepareMigrationResponse,
  type CheckReachableRequest__Output,
  type CheckReachableResponse,
  type CompareCpuRequest__Output,
  type CompareCpuResponse,
  type GuestCpuResponse,
  type Logger,
  background,
} from '@drover/contract';
import {
  DomainJobType,
  DomainMigrateFlags,
  DomainState,
  ErrorNumber,
  LibvirtError,
  type Domain,
  type JobStats,
  type MigrateParams,
} from '@drover/libvirt';
import type { ServiceDeps } from '../service/context.js';
import { lookupGuest } from '../service/context.js';
import { guestStatus } from '../libvirt/guests.js';
import { resolveDisks } from '../disks/resolve.js';
import { ensureDiskAccess } from '../disks/access.js';
import { MigrationJournal, type MigrationRecord } from './journal.js';
import { compareGuestCpu, describeGuestCpu } from './cpu.js';

const progressCodec = codec<MigrationProgress>('MigrationProgress');
const outcomeCodec = codec<MigrationOutcome>('MigrationOutcome');
const FINAL: readonly JobState[] = ['JOB_STATE_COMPLETED', 'JOB_STATE_FAILED', 'JOB_STATE_CANCELLED'];

/**
 * What runs the migration job itself. On a real host that is libvirt (a peer-to-peer
 * migrateToURI3 on the binding's own thread); the fleet simulator plugs in an emulation, since
 * libvirt's test driver cannot migrate. Everything around the job (journal, progress, timeouts,
 * abort, outcome) is the same code either way.
 */
export interface MigrationRunner {
  /** Runs the job; resolves when the guest runs on the destination, rejects on failure or abort. */
  migrate(dom: Domain, destUri: string, params: MigrateParams, flags: number): Promise<void>;
  jobStats(dom: Domain): Promise<JobStats>;
  abort(dom: Domain): Promise<void>;
  /** Whether a job runs on the domain now (QueryMigration). */
  jobActive(dom: Domain): Promise<boolean>;
  /**
   * Ends a job that outlived an abort libvirt accepted, with the guest running here: libvirt 9.0
   * (Debian 12) can take an abort in the instant QEMU pauses the guest before the switchover;
   * QEMU cancels and resumes the guest, while libvirt waits for the guest to stop, for ever, and
   * migrateToURI3 never returns (further aborts change nothing). Pausing the guest ends that wait:
   * libvirt then finds the migration cancelled, fails the job and resumes the guest. Resolves to
   * whether the guest was paused.
   */
  unstick?(dom: Domain): Promise<boolean>;
}

export const libvirtRunner: MigrationRunner = {
  migrate: (dom, destUri, params, flags) => dom.migrateToURI3(destUri, params, flags),
  jobStats: (dom) => dom.jobStats(),
  abort: (dom) => dom.abortJob(),
  jobActive: async (dom) => {
    const ji = await dom.jobInfo().catch(() => undefined);
    return !!ji && (ji.type === DomainJobType.BOUNDED || ji.type === DomainJobType.UNBOUNDED);
  },
  unstick: async (dom) => {
    if ((await dom.state()).state !== DomainState.RUNNING) return false;
    await dom.suspend();
    return true;
  },
};

interface Live {
  rec: MigrationRecord;
  dom: Domain;
  timer?: NodeJS.Timeout;
  lastRemaining: number;
  lastProgressMs: number;
  log: Logger;
  /** When the last abortJob was sent, and how many (libvirt refuses one during the migration handshake). */
  abortAtMs?: number;
  aborts?: number;
  abortPending?: boolean;
  /** When libvirt first accepted an abort of this job, and whether the guest was paused to end the job since. */
  abortAcceptedMs?: number;
  unstuck?: boolean;
}

/** An abort refused or lost is sent again this often while the job runs on, at most ABORT_TRIES times. */
const ABORT_EVERY_MS = 2000;
const ABORT_TRIES = 30;
/**
 * After libvirt accepted an abort, a job still running this long with the guest running here is
 * taken as stuck (see MigrationRunner.unstick). A cancelled job normally ends within seconds (the
 * destination's Finish over a slow link); pausing a guest whose job is ending anyway costs a brief
 * pause, since libvirt resumes it.
 */
const UNSTICK_AFTER_MS = 10_000;

export class Migrations {
  readonly journal: MigrationJournal;
  private readonly live = new Map<string, Live>();
  /** Steps (op/step) an abort reached before their StartMigration did: that start is refused. */
  private readonly abortedBeforeStart = new Set<string>();
  private stopped = false;
  constructor(
    private readonly deps: ServiceDeps,
    private readonly nc: () => NatsConnection | undefined,
    private readonly advertise: () => string,
    private readonly runner: MigrationRunner = libvirtRunner,
    private readonly unstickAfterMs = UNSTICK_AFTER_MS,
  ) {
    this.journal = new MigrationJournal(deps.cfg.migration.journal);
  }

  private get host(): string {
    return this.deps.cfg.host;
  }

  /** This host's libvirt URI as its peers reach it. */
  libvirtUri(): string {
    if (this.deps.cfg.migration.uri) return this.deps.cfg.migration.uri;
    const ip = this.advertise()
      .replace(/:\d+$/, '')
      .replace(/^\[|\]$/g, '');
    return `qemu+tls://${ip}/system`;
  }

  /** Destination: make pools and directories ready, check bridges, answer with the libvirt URI. */
  async prepare(req: PrepareMigrationRequest__Output, log: Logger): Promise<PrepareMigrationResponse> {
    const spec = req.spec;
    if (!spec?.name) throw invalidArgument('spec.name: required');
    const disks = resolveDisks(this.deps.cfg, spec.name, spec.disks, 'spec.disks');
    // copy-storage needs a pool at the disk's path here; shared storage needs this host to reach it
    // now (export readable, LUN visible): checked live, so a move this host cannot take is refused
    // before anything starts.
    const prepared = await ensureDiskAccess(
      { host: this.host, conn: () => this.deps.lv.conn(), qemuImg: this.deps.cfg.storage.qemuImg },
      spec.name,
      disks,
      { live: true },
    );
    const bridges = new Set(this.deps.lv.facts()?.bridges ?? []);
    for (const [i, n] of spec.nics.entries()) {
      if (n.bridge && !bridges.has(n.bridge)) {
        throw new DroverError(
          'BRIDGE_MISSING',
          `spec.nics[${i}].bridge: bridge '${n.bridge}' does not exist on ${this.host}; create it or change vm.nics`,
          { status: grpc.status.FAILED_PRECONDITION, host: this.host, node: spec.name },
        );
      }
    }
    log.info({ op: req.operationId, step: req.stepId, prepared }, 'ready for incoming migration');
    return { libvirtUri: this.libvirtUri(), migrateUri: this.deps.cfg.migration.dataUri, prepared };
  }

  /** Source: starts the migration job and returns at once with its id. */
  async start(req: StartMigrationRequest__Output, log: Logger): Promise<{ jobId: string; alreadyRunning: boolean }> {
    const existing = this.journal.get(req.operationId, req.stepId);
    if (existing && !FINAL.includes(existing.state)) return { jobId: existing.jobId, alreadyRunning: true };
    if (!existing && this.abortedBeforeStart.delete(`${req.operationId}/${req.stepId}`))
      throw new DroverError('CANCELLED', `${req.guest}: the move was cancelled before it started on ${this.host}; nothing was started`, {
        status: grpc.status.ABORTED,
        host: this.host,
        node: req.guest,
      });
    if (!req.destUri) throw invalidArgument('dest_uri: required (from PrepareMigration on the destination)');
    if (req.dest === this.host) throw invalidArgument(`dest: '${req.dest}' is this host`);
    const busy = this.journal.byGuest(req.guest).find((r) => !FINAL.includes(r.state));
    if (busy)
      throw new DroverError('ALREADY_MIGRATING', `${req.guest}: already migrating to ${busy.dest} (operation ${busy.opId})`, {
        status: grpc.status.FAILED_PRECONDITION,
        host: this.host,
        node: req.guest,
      });
    const dom = await lookupGuest(this.deps, this.deps.lv.conn(), req.guest);
    if (!(await dom.isActive()))
      throw new DroverError('NOT_RUNNING', `${req.guest}: not running on ${this.host}; only running guests migrate live`, {
        status: grpc.status.FAILED_PRECONDITION,
        host: this.host,
        node: req.guest,
      });
    const o = req.options ?? {
      bandwidthMibps: 0,
      maxDowntimeMs: 0,
      copyStorage: false,
      unsafeShared: false,
      autoConverge: false,
      postcopy: false,
      timeoutS: 0,
      stallS: 0,
      tls: false,
    };
    let flags =
      DomainMigrateFlags.LIVE |
      DomainMigrateFlags.PEER2PEER |
      DomainMigrateFlags.PERSIST_DEST |
      DomainMigrateFlags.UNDEFINE_SOURCE |
      DomainMigrateFlags.ABORT_ON_ERROR;
    if (o.unsafeShared) flags |= DomainMigrateFlags.UNSAFE;
    if (o.copyStorage) flags |= DomainMigrateFlags.NON_SHARED_DISK;
    if (o.autoConverge) flags |= DomainMigrateFlags.AUTO_CONVERGE;
    if (o.postcopy) flags |= DomainMigrateFlags.POSTCOPY;
    if (o.tls) flags |= DomainMigrateFlags.TLS;
    const attempt = (existing?.attempt ?? 0) + 1;
    const rec: MigrationRecord = {
      opId: req.operationId,
      stepId: req.stepId,
      attempt,
      guest: req.guest,
      dest: req.dest,
      destUri: req.destUri,
      jobId: randomUUID(),
      state: 'JOB_STATE_RUNNING',
      startedMs: Date.now(),
      published: false,
    };
    this.journal.put(rec);
    const live: Live = {
      rec,
      dom,
      lastRemaining: Number.MAX_SAFE_INTEGER,
      lastProgressMs: Date.now(),
      log: log.child({ op: req.operationId, step: req.stepId }),
    };
    this.live.set(rec.jobId, live);
    if (o.maxDowntimeMs)
      await dom
        .migrateSetMaxDowntime(Number(o.maxDowntimeMs))
        .catch((e: Error) => live.log.warn({ err: e.message }, 'max downtime not set'));
    const params = {
      ...(req.migrateUri ? { migrateUri: req.migrateUri } : {}),
      ...(o.bandwidthMibps ? { bandwidth: Number(o.bandwidthMibps) } : {}),
      ...(o.autoConverge ? { autoConvergeInitial: 20, autoConvergeIncrement: 10 } : {}),
    };
    live.log.info({ dest: req.dest, uri: req.destUri, flags, params }, 'migration started');
    const job = this.runner.migrate(dom, req.destUri, params, flags);
    this.monitor(live, o.timeoutS, o.stallS);
    job.then(
      () => background('migration finish', this.finish(live, 'JOB_STATE_COMPLETED'), live.log),
      (e: unknown) =>
        background(
          'migration finish',
          this.finish(live, live.rec.abortRequested ? 'JOB_STATE_CANCELLED' : 'JOB_STATE_FAILED', e),
          live.log,
        ),
    );
    return { jobId: rec.jobId, alreadyRunning: false };
  }

  private monitor(live: Live, timeoutS: number, stallS: number): void {
    const every = this.deps.cfg.migration.progressEveryMs;
    const deadline = timeoutS > 0 ? live.rec.startedMs + timeoutS * 1000 : 0;
    // At most one jobStats call at a time. While QEMU writes a migration's last state it does not
    // answer its monitor, and jobStats waits (seconds on a slow link); a call started every tick
    // would pile up on the agent's libvirt connection, and libvirtd reads no further request from
    // a connection with 5 in progress (max_client_requests), so an abort sent then waited behind
    // them (an abortJob reached libvirtd 3.2 s after the agent sent it, in libvirtd's debug log).
    let statsPending = false;
    const tick = async (): Promise<void> => {
      if (FINAL.includes(live.rec.state)) return;
      // Aborts first, without waiting for the job's figures (a pending jobStats must not hold back a timeout).
      const now = Date.now();
      if (deadline && now > deadline && !live.rec.abortRequested) {
        live.rec.error = `timed out after ${timeoutS}s`;
        live.rec.reason = 'FAILURE_REASON_TIMEOUT';
        await this.abortLive(live, 'timeout');
        return;
      }
      if (
        live.rec.abortRequested &&
        live.abortAcceptedMs !== undefined &&
        !live.unstuck &&
        !live.abortPending &&
        this.runner.unstick &&
        now - live.abortAcceptedMs >= this.unstickAfterMs
      ) {
        live.unstuck = true;
        try {
          if (await this.runner.unstick(live.dom))
            live.log.warn(
              { sinceAbortMs: now - live.abortAcceptedMs },
              'the job outlived an accepted abort with the guest running here: guest paused so that libvirt ends the job (it resumes the guest)',
            );
        } catch (e) {
          live.log.warn({ err: (e as Error).message }, 'could not pause the guest to end a job that outlived its abort');
        }
        return;
      }
      if (
        live.rec.abortRequested &&
        !live.abortPending &&
        (live.aborts ?? 0) < ABORT_TRIES &&
        now - (live.abortAtMs ?? 0) >= ABORT_EVERY_MS
      ) {
        // Still running after an abort: libvirt holds or refuses one sent during the handshake
        // with the destination; send it again until the job ends.
        await this.sendAbort(live, 'abort again: the job is still running');
        return;
      }
      if (statsPending) return;
      statsPending = true;
      let st: JobStats | undefined;
      try {
        st = await this.runner.jobStats(live.dom);
      } catch {
        return;
      } finally {
        statsPending = false;
      }
      if (FINAL.includes(live.rec.state)) return;
      const p = this.progressOf(live.rec, st);
      live.rec.progress = p;
      this.publishProgress(p);
      const at = Date.now();
      const remaining = Number(p.dataRemaining ?? 0);
      if (remaining < live.lastRemaining) {
        live.lastRemaining = remaining;
        live.lastProgressMs = at;
      }
      if (stallS > 0 && at - live.lastProgressMs > stallS * 1000 && !live.rec.abortRequested) {
        live.rec.error = `no progress for ${stallS}s (remaining ${remaining} bytes)`;
        live.rec.reason = 'FAILURE_REASON_STALLED';
        await this.abortLive(live, 'stalled');
      }
    };
    live.timer = setInterval(() => background('migration monitor', tick(), live.log), every);
  }

  private progressOf(r: MigrationRecord, st: JobStats | undefined): MigrationProgress {
    const elapsed = Date.now() - r.startedMs;
    return {
      operationId: r.opId,
      stepId: r.stepId,
      guest: r.guest,
      source: this.host,
      dest: r.dest,
      jobId: r.jobId,
      state: r.state,
      dataTotal: st?.dataTotal ?? 0,
      dataProcessed: st?.dataProcessed ?? 0,
      dataRemaining: st?.dataRemaining ?? 0,
      memoryBps: st?.memoryBps ?? 0,
      dirtyRatePps: st?.memoryDirtyRate ?? 0,
      iteration: st?.memoryIteration ?? 0,
      expectedDowntimeMs: st?.downtime ?? 0,
      elapsedMs: elapsed,
      etaMs: st?.timeRemaining ?? 0,
      timeMs: Date.now(),
      autoConverge: false,
      postcopy: false,
    };
  }

  private publishProgress(p: MigrationProgress): void {
    const nc = this.nc();
    if (!nc || nc.isClosed()) return;
    try {
      nc.publish(subjects.migration(this.host, p.operationId!), progressCodec.encode(p));
    } catch {
      // Progress is best effort; the outcome is what must arrive.
    }
  }

  private async abortLive(live: Live, why: string): Promise<void> {
    live.rec.abortRequested = true;
    this.journal.save();
    live.log.warn({ why }, 'aborting migration job');
    await this.sendAbort(live);
  }

  private async sendAbort(live: Live, note?: string): Promise<void> {
    live.aborts = (live.aborts ?? 0) + 1;
    if (note) live.log.info({ tries: live.aborts }, note);
    live.abortPending = true;
    try {
      await this.runner.abort(live.dom);
      live.abortAcceptedMs ??= Date.now();
    } catch (e) {
      live.log.warn({ err: (e as Error).message, tries: live.aborts }, 'abortJob failed');
    } finally {
      live.abortPending = false;
      live.abortAtMs = Date.now();
    }
  }

  private async finish(live: Live, state: JobState, err?: unknown): Promise<void> {
    if (live.timer) clearInterval(live.timer);
    this.live.delete(live.rec.jobId);
    const r = live.rec;
    // An abort this agent made itself (timeout, stall) ends a failed job; only an admin's cancel ends a cancelled one.
    if (state === 'JOB_STATE_CANCELLED' && r.reason !== 'FAILURE_REASON_CANCELLED_BY_REQUEST') state = 'JOB_STATE_FAILED';
    // A guest paused here to end a stuck job runs again (libvirt resumes it; this makes sure),
    // before the job shows as ended: no one may see it ended with the guest still paused.
    if (live.unstuck && state !== 'JOB_STATE_COMPLETED') {
      const st = await live.dom.state().catch(() => undefined);
      if (st?.state === DomainState.PAUSED) await live.dom.resume().catch((e: Error) => live.log.warn({ err: e.message }, 'resume failed'));
    }
    r.state = state;
    r.finishedMs = Date.now();
    if (err) {
      r.error = r.error ?? (err as Error).message;
      if (err instanceof LibvirtError) r.libvirtCode = err.code;
    }
    // A job that failed with no abort behind it failed in libvirt.
    if (state !== 'JOB_STATE_COMPLETED') r.reason ??= 'FAILURE_REASON_LIBVIRT_ERROR';
    r.runningOn = state === 'JOB_STATE_COMPLETED' ? r.dest : (await this.runsHere(r.guest)) ? this.host : '';
    try {
      const st = await live.dom.jobStats(1 /* COMPLETED */);
      r.downtimeMs = st.downtime ?? 0;
    } catch {
      // not available after some failures
    }
    this.journal.put(r);
    live.log[state === 'JOB_STATE_COMPLETED' ? 'info' : 'warn'](
      { state, error: r.error, runningOn: r.runningOn, ms: r.finishedMs - r.startedMs },
      'migration finished',
    );
    this.publishProgress({ ...this.progressOf(r, undefined), state });
    this.deps.changed?.();
    await this.publishOutcome(r);
  }

  private async runsHere(guest: string): Promise<boolean> {
    try {
      const d = await this.deps.lv.conn().lookupDomainByName(guest);
      return await d.isActive();
    } catch {
      return false;
    }
  }

  /** Publishes the outcome through JetStream, retrying until the stream acknowledges it. */
  private async publishOutcome(r: MigrationRecord): Promise<void> {
    const msg: MigrationOutcome = {
      operationId: r.opId,
      stepId: r.stepId,
      guest: r.guest,
      source: this.host,
      dest: r.dest,
      jobId: r.jobId,
      state: r.state,
      error: r.error ?? '',
      reason: r.reason ?? 'FAILURE_REASON_UNSPECIFIED',
      libvirtCode: r.libvirtCode ?? 0,
      runningOn: r.runningOn ?? '',
      elapsedMs: (r.finishedMs ?? Date.now()) - r.startedMs,
      downtimeMs: r.downtimeMs ?? 0,
      timeMs: Date.now(),
    };
    for (let i = 0; !r.published && !this.stopped; i++) {
      const nc = this.nc();
      try {
        if (!nc || nc.isClosed()) throw new Error('NATS not connected');
        await nc
          .jetstream()
          .publish(subjects.outcome(this.host), outcomeCodec.encode(msg), { msgID: `${r.opId}/${r.stepId}/${r.attempt}` });
        r.published = true;
        this.journal.save();
      } catch (e) {
        if (i % 10 === 0)
          this.deps.log.warn({ host: this.host, op: r.opId, err: (e as Error).message }, 'migration outcome not published yet; retrying');
        await new Promise((res) => setTimeout(res, Math.min(5000, 250 * 2 ** Math.min(i, 5))).unref());
      }
    }
  }

  /** Stops retrying publications and following jobs (the journal keeps them for the next start). */
  stop(): void {
    this.stopped = true;
    for (const l of this.live.values()) if (l.timer) clearInterval(l.timer);
  }

  /** What this host knows of a migration step and of the guest. */
  async query(opId: string, stepId: string, guest: string): Promise<QueryMigrationResponse> {
    const rec = opId ? this.journal.get(opId, stepId) : undefined;
    const name = guest || rec?.guest || '';
    let dom: Domain | undefined;
    try {
      dom = name ? await this.deps.lv.conn().lookupDomainByName(name) : undefined;
    } catch (e) {
      if (!(e instanceof LibvirtError && e.code === ErrorNumber.NO_DOMAIN)) throw e;
    }
    const status = dom ? await guestStatus(dom) : undefined;
    let state: JobState = rec?.state ?? 'JOB_STATE_UNKNOWN';
    if (dom && (!rec || !FINAL.includes(rec.state))) {
      if (await this.runner.jobActive(dom)) state = 'JOB_STATE_RUNNING';
      else if (rec && rec.state === 'JOB_STATE_RUNNING' && !this.live.has(rec.jobId)) state = 'JOB_STATE_UNKNOWN';
    }
    return {
      state,
      jobId: rec?.jobId ?? '',
      ...(rec?.progress ? { progress: rec.progress } : {}),
      ...(status ? { guestHere: status } : {}),
      definedHere: !!dom,
      runningHere: status?.state === 'POWER_STATE_ON',
      error: rec?.error ?? '',
      reason: rec?.reason ?? 'FAILURE_REASON_UNSPECIFIED',
    };
  }

  async abort(opId: string, stepId: string, guest: string): Promise<QueryMigrationResponse> {
    const rec = this.journal.get(opId, stepId);
    const live = rec ? this.live.get(rec.jobId) : undefined;
    if (live && !live.rec.abortRequested) {
      live.rec.error = 'cancelled by request';
      live.rec.reason = 'FAILURE_REASON_CANCELLED_BY_REQUEST';
      await this.abortLive(live, 'requested');
    } else if (!rec) {
      // Not started here, or not yet: the server marks a step migrating before its StartMigration
      // arrives, so a cancel can overtake it. That start is refused when it comes.
      if (this.abortedBeforeStart.size >= 1000) this.abortedBeforeStart.clear();
      this.abortedBeforeStart.add(`${opId}/${stepId}`);
    }
    if (!rec && guest) {
      // No record (e.g. the journal was lost): abort whatever job the guest has.
      const d = await this.deps.lv
        .conn()
        .lookupDomainByName(guest)
        .catch(() => undefined);
      await d?.abortJob().catch(() => undefined);
    }
    return this.query(opId, stepId, guest);
  }

  /**
   * After an agent restart: jobs that libvirtd carried on without us are followed to their end
   * and their outcomes published; outcomes not yet published are sent.
   */
  async recover(log: Logger): Promise<void> {
    for (const r of this.journal.all()) {
      if (FINAL.includes(r.state)) {
        if (!r.published) background('outcome publication', this.publishOutcome(r), log);
        continue;
      }
      let dom: Domain | undefined;
      try {
        dom = await this.deps.lv.conn().lookupDomainByName(r.guest);
      } catch {
        dom = undefined;
      }
      log.info({ op: r.opId, step: r.stepId, guest: r.guest, found: !!dom }, 'following a migration started before this agent restarted');
      background('following a migration', this.followOrphan(r, dom, log), log);
    }
  }

  private async followOrphan(r: MigrationRecord, dom: Domain | undefined, log: Logger): Promise<void> {
    const live: Live | undefined = dom
      ? { rec: r, dom, lastRemaining: Number.MAX_SAFE_INTEGER, lastProgressMs: Date.now(), log }
      : undefined;
    for (let i = 0; dom && i < 36_000; i++) {
      const ji = await dom.jobInfo().catch(() => undefined);
      if (!ji || (ji.type !== DomainJobType.BOUNDED && ji.type !== DomainJobType.UNBOUNDED)) break;
      try {
        const p = this.progressOf(r, await dom.jobStats());
        r.progress = p;
        this.publishProgress(p);
      } catch {
        // keep following
      }
      await new Promise((res) => setTimeout(res, this.deps.cfg.migration.progressEveryMs));
    }
    const here = await this.runsHere(r.guest);
    r.state = here ? 'JOB_STATE_FAILED' : 'JOB_STATE_COMPLETED';
    r.error = here ? (r.error ?? 'the migration ended while the agent was restarting; the guest still runs here') : undefined;
    r.reason = here ? (r.reason ?? 'FAILURE_REASON_AGENT_RESTARTED') : undefined;
    r.runningOn = here ? this.host : r.dest;
    r.finishedMs = Date.now();
    this.journal.put(r);
    void live;
    await this.publishOutcome(r);
  }

  /** Source: the CPU the guest runs with here (see cpu.ts). */
  async guestCpu(guest: string): Promise<GuestCpuResponse> {
    const dom = await lookupGuest(this.deps, this.deps.lv.conn(), guest);
    return describeGuestCpu(await dom.getXMLDesc(), this.deps.lv.facts());
  }

  /** Destination: whether this host's hypervisor can give the guest its CPU (see cpu.ts). */
  compareCpu(req: CompareCpuRequest__Output): Promise<CompareCpuResponse> {
    return compareGuestCpu(this.deps.lv.conn(), req);
  }

  /** A TCP connect from this host to a peer's libvirt listener. */
  checkReachable(req: CheckReachableRequest__Output): Promise<CheckReachableResponse> {
    const t0 = Date.now();
    return new Promise((res) => {
      const s = tcpConnect({ host: req.address, port: req.port || 16514, timeout: req.timeoutMs || 3000 });
      const done = (reachable: boolean, error = ''): void => {
        s.destroy();
        res({ reachable, error, rttMs: Date.now() - t0 });
      };
      s.once('connect', () => done(true));
      s.once('timeout', () => done(false, `no answer from ${req.address}:${req.port} within ${req.timeoutMs || 3000} ms`));
      s.once('error', (e) => done(false, `${req.address}:${req.port}: ${e.message}`));
    });
  }
}
