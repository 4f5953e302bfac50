/**
 * `drover-agent simulate`: many logical hypervisor hosts in one process, for fleet-scale tests and
 * benchmarks. Each simulated host is a full agent runtime (startAgentRuntime: the same
 * DroverAgent, LibvirtManager, service handlers, Reports and Migrations as a real host) with
 *   - its own identity: the certificate, key and NATS NKEY of its own enrolment bundle
 *     (`drover-server enroll <host> --out <base>/<host>`), so NATS rights and the server's
 *     name check on the gRPC peer hold per host;
 *   - its own libvirt connection to a test-driver host file with its guests;
 *   - its own NATS connection, heartbeats (marked `simulated`), inventory and events;
 *   - its own gRPC listener on a loopback port, presenting its own certificate.
 *
 * Why one listener per host rather than one per process: the server reaches each host at the
 * address of its heartbeat and checks that the peer's certificate names that host. A shared
 * listener would have to choose the certificate by TLS SNI, which grpc-js's server credentials do
 * not offer (only by reaching into their private context options), and the console's duplex
 * stream names its host only in the first message, so a shared listener could not route it
 * without re-implementing the handler plumbing. Ports on loopback are cheap (2,000 is fine) and
 * the handlers stay exactly those of a real agent.
 *
 * Only migration is emulated (see ./migration.ts): the test driver cannot migrate.
 */
import { readdirSync, existsSync, mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { UserFacingError, type Logger } from '@drover/contract';
import { loadAgentConfig, type AgentConfig } from '../config.js';
import { startAgentRuntime, type AgentRuntime } from '../runtime.js';
import type { LibvirtManager } from '../libvirt/manager.js';
import { guestsOf, readLayout, writeSimHost, type SimLayout } from './layout.js';
import { SimMigrationRunner, SimPeerServer } from './migration.js';

export interface SimulateOptions {
  /** Directory of enrolment bundles: <baseConfig>/<host>/agent.yaml. */
  baseConfig: string;
  /** How many hosts (in natural name order, from `first`); all when absent. */
  count?: number;
  first?: number;
  /** Only these hosts (instead of count/first). */
  hosts?: string[];
  /** Where host files and migration journals go. */
  stateDir: string;
  layout?: string;
  guestsPerHost: number;
  hostMemoryMiB: number;
  /** Overrides for every host's config. */
  natsUrl?: string;
  listenIp: string;
  heartbeatMs?: number;
  reconcileMs?: number;
  migrationMs: number;
  /** How often each host re-reads its facts (capacity, pools, CPU); a real agent does it every heartbeat. */
  factsMs: number;
  /** How many hosts start at once. */
  startConcurrency: number;
}

export interface SimHost {
  host: string;
  runtime: AgentRuntime;
  port: number;
}

const natural = (a: string, b: string): number => a.localeCompare(b, 'en', { numeric: true });

/** The hosts of a bundle directory, in natural order. */
export function bundleHosts(baseConfig: string): string[] {
  if (!existsSync(baseConfig))
    throw new UserFacingError(
      `--base-config ${baseConfig}: no such directory; enrol hosts with drover-server enroll <host> --out ${baseConfig}/<host>`,
      2,
    );
  return readdirSync(baseConfig, { withFileTypes: true })
    .filter((d) => d.isDirectory() && existsSync(join(baseConfig, d.name, 'agent.yaml')))
    .map((d) => d.name)
    .sort(natural);
}

export class SimulatedFleet {
  readonly hosts = new Map<string, SimHost>();
  private constructor(
    readonly peers: SimPeerServer,
    private readonly log: Logger,
  ) {}

  static async start(o: SimulateOptions, log: Logger): Promise<SimulatedFleet> {
    const base = resolve(o.baseConfig);
    let names = o.hosts?.length ? o.hosts : bundleHosts(base);
    if (!o.hosts?.length) names = names.slice(o.first ?? 0, o.count !== undefined ? (o.first ?? 0) + o.count : undefined);
    if (names.length === 0)
      throw new UserFacingError(`no host bundles to simulate in ${base} (first ${o.first ?? 0}, count ${o.count ?? 'all'})`, 2);
    for (const h of names)
      if (!existsSync(join(base, h, 'agent.yaml')))
        throw new UserFacingError(`${join(base, h, 'agent.yaml')}: not found; enrol ${h} first`, 2);
    const layout: SimLayout | undefined = o.layout ? readLayout(o.layout) : undefined;
    mkdirSync(o.stateDir, { recursive: true });
    // eslint-disable-next-line prefer-const -- read by the peer server made before it is set
    let fleet: SimulatedFleet | undefined;
    const peers = new SimPeerServer(
      (h) => fleet?.hosts.get(h)?.runtime.lv as LibvirtManager | undefined,
      log.child({ op: 'sim-migration' }),
    );
    await peers.start(o.listenIp);
    fleet = new SimulatedFleet(peers, log);
    const f = fleet;
    const queue = [...names];
    const worker = async (): Promise<void> => {
      for (let h = queue.shift(); h; h = queue.shift()) await f.startHost(h, base, o, layout);
    };
    try {
      await Promise.all(Array.from({ length: Math.max(1, o.startConcurrency) }, worker));
    } catch (e) {
      await f.stop();
      throw e;
    }
    log.info({ hosts: names.length, first: names[0], last: names[names.length - 1], peerPort: peers.port }, 'simulated hosts ready');
    return f;
  }

  private async startHost(host: string, base: string, o: SimulateOptions, layout: SimLayout | undefined): Promise<void> {
    const uri = writeSimHost(o.stateDir, host, guestsOf(host, layout, o.guestsPerHost), { memoryMiB: o.hostMemoryMiB });
    const overrides: Record<string, unknown> = {
      'libvirt.uri': uri,
      'grpc.listen': `${o.listenIp}:0`,
      'grpc.advertise': '',
      'migration.uri': this.peers.uriOf(o.listenIp, host),
      'migration.journal': join(o.stateDir, host, 'migrations.json'),
      'storage.roots': [join(o.stateDir, host, 'vms')],
      ...(o.natsUrl ? { 'nats.url': o.natsUrl } : {}),
      ...(o.heartbeatMs ? { heartbeatMs: o.heartbeatMs } : {}),
      ...(o.reconcileMs ? { 'reports.reconcileMs': o.reconcileMs } : {}),
    };
    const cfg: AgentConfig = loadAgentConfig(join(base, host, 'agent.yaml'), overrides);
    if (cfg.host !== host) throw new UserFacingError(`${join(base, host, 'agent.yaml')}: is the bundle of '${cfg.host}', not '${host}'`, 2);
    // Hundreds of hosts connecting at once can make one NATS connect time out on a busy machine:
    // a real agent would be restarted by systemd; here the host is started again.
    for (let attempt = 1; ; attempt++) {
      try {
        const runtime = await startAgentRuntime(cfg, this.log, {
          simulated: true,
          factsEveryMs: o.factsMs,
          migrationRunner: new SimMigrationRunner({ durationMs: o.migrationMs }, this.peers),
        });
        this.hosts.set(host, { host, runtime, port: runtime.agent.port });
        return;
      } catch (e) {
        if (attempt >= 5) throw e;
        this.log.warn({ host, attempt, err: (e as Error).message }, 'simulated host did not start; trying again');
        await new Promise((r) => setTimeout(r, 500 * attempt));
      }
    }
  }

  /** Stops one host as if its agent died (no more heartbeats); the others go on. */
  async stopHost(host: string): Promise<boolean> {
    const h = this.hosts.get(host);
    if (!h) return false;
    this.hosts.delete(host);
    await h.runtime.stop();
    return true;
  }

  async stop(): Promise<void> {
    const all = [...this.hosts.values()];
    this.hosts.clear();
    await Promise.all(all.map((h) => h.runtime.stop().catch(() => undefined)));
    await this.peers.stop();
  }
}
