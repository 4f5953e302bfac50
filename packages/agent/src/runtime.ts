/**
 * One running drover-agent: the libvirt manager, the command service, the NATS reports and the
 * console hubs, wired together. `drover-agent run` calls this; so can tests.
 */
import { randomUUID } from 'node:crypto';
import type { Logger } from '@drover/contract';
import type { AgentConfig } from './config.js';
import { DroverAgent, readTls } from './agent.js';
import { LibvirtManager, type OpenFn } from './libvirt/manager.js';
import { agentHandlers, consoleHubs, type ServiceDeps } from './service/index.js';
import { Reports } from './reports/index.js';
import type { RestartRunner } from './hypervisor/restart.js';
import type { ConsoleHubs } from './console/hub.js';
import { Migrations, type MigrationRunner } from './migration/migrations.js';

export interface AgentRuntime {
  agent: DroverAgent;
  lv: LibvirtManager;
  reports: Reports;
  hubs: ConsoleHubs;
  migrations: Migrations;
  stop(): Promise<void>;
}

export interface RuntimeOptions {
  open?: OpenFn;
  restartRunner?: RestartRunner;
  /** Runs migration jobs (libvirt's own by default; the fleet simulator emulates them). */
  migrationRunner?: MigrationRunner;
  /** A simulated host (`drover-agent simulate`): its heartbeats say so. */
  simulated?: boolean;
  /** How often host facts are re-read (default: every heartbeat, at least 1 s). */
  factsEveryMs?: number;
}

export async function startAgentRuntime(cfg: AgentConfig, log: Logger, opts: RuntimeOptions = {}): Promise<AgentRuntime> {
  readTls(cfg); // a missing certificate is reported before anything starts
  const bootId = randomUUID();
  const lv = new LibvirtManager({
    uri: cfg.libvirt.uri,
    host: cfg.host,
    log,
    keepaliveIntervalS: cfg.libvirt.keepaliveIntervalS,
    keepaliveCount: cfg.libvirt.keepaliveCount,
    reconnectMinMs: cfg.libvirt.reconnectMinMs,
    reconnectMaxMs: cfg.libvirt.reconnectMaxMs,
    factsEveryMs: opts.factsEveryMs ?? Math.max(1000, cfg.heartbeatMs),
    ...(opts.open ? { open: opts.open } : {}),
  });
  // eslint-disable-next-line prefer-const -- read by closures made before it is set
  let reports: Reports | undefined;
  let agent: DroverAgent | undefined;
  const deps: ServiceDeps = { cfg, log, lv, changed: () => reports?.inventory.changed() };
  const hubs = consoleHubs(deps);
  const advertise = (): string => agent?.advertise ?? (cfg.grpc.advertise || cfg.grpc.listen);
  const migrations = new Migrations(deps, () => agent?.nc, advertise, opts.migrationRunner);
  const handlers = agentHandlers(deps, {
    hubs,
    migrations,
    advertise,
    ...(opts.restartRunner ? { restartRunner: opts.restartRunner } : {}),
  });
  lv.start();
  try {
    agent = await DroverAgent.start(cfg, log, {
      bootId,
      handlers,
      simulated: opts.simulated ?? false,
      reporter: {
        libvirt: () => lv.libvirt(),
        facts: () => {
          const f = lv.facts();
          // The migration URI goes with the facts so the server can check, before preparing a
          // move, that a source reaches this host's libvirt.
          return f
            ? { ...f, ...(cfg.hypervisor.domainType ? { hvType: cfg.hypervisor.domainType } : {}), migrationUri: migrations.libvirtUri() }
            : f;
        },
        inventorySeq: () => reports?.inventory.seq ?? 0,
      },
    });
  } catch (e) {
    await lv.stop();
    throw e;
  }
  const r = new Reports({
    host: cfg.host,
    bootId,
    nc: agent.nc,
    lv,
    log,
    reconcileMs: cfg.reports.reconcileMs,
    eventBuffer: cfg.reports.eventBuffer,
    onLifecycle: (ev) => {
      if (ev.eventName === 'STOPPED' || ev.eventName === 'CRASHED') {
        const moved = ev.detailName === 'MIGRATED';
        hubs.guestGone(
          ev.domain.name,
          moved
            ? 'console ended: the guest migrated away'
            : `console ended: the guest ${ev.eventName === 'CRASHED' ? 'crashed' : 'stopped'}`,
        );
      }
    },
  });
  reports = r;
  r.start();
  void lv.waitConnected(60_000).then(
    () => migrations.recover(log.child({ host: cfg.host, op: 'migration' })),
    () => undefined,
  );
  const a = agent;
  return {
    agent: a,
    lv,
    reports: r,
    hubs,
    migrations,
    async stop() {
      migrations.stop();
      hubs.closeAll();
      r.stop();
      await a.stop();
      await lv.stop();
    },
  };
}
