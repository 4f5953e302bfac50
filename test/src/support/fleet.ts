/**
 * A simulated fleet for fleet-scale tests and the fleet benchmark: a real nats-server and
 * drover-server, and `drover-agent simulate` processes each running many simulated hosts (every
 * one a full agent runtime with its own certificate, NKEY, libvirt test-driver connection, NATS
 * connection and gRPC listener).
 *
 * Enrolment goes through the server's own PKI code in-process (ClusterPki + writeAgentBundle,
 * exactly what `drover-server enroll <host> --out` runs), because 2,000 `drover-server enroll`
 * processes cost ~0.45 CPU-s each (node start-up), about 7 minutes on a 2-core machine. The
 * resulting state (CA, tables, agent bundles with their ECDSA keys and NKEYs) is cached on disk
 * per host list (DROVER_FLEET_CACHE, default ~/.cache/drover/fleet), so a second run starts at once.
 * Everything started is stopped by PID.
 */
import { createHash } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import {
  clientCredentials,
  clientOptions,
  RpcClient,
  type NodeResult__Output,
  type ReplyOf,
  type RequestOf,
  type ServerStreamMethod,
  type UnaryMethod,
} from '@drover/contract';
import { SqliteStores } from '@drover/server/lib/db/sqlite/stores.js';
import { ClusterPki } from '@drover/server/lib/pki/store.js';
import { writeAgentBundle, writeUserBundle } from '@drover/server/lib/bundles.js';
import { loadServerConfig } from '@drover/server/lib/config.js';
import { writeNatsConfig } from '@drover/server/lib/nats/natsconf.js';
import { BIN, freePort, run, startProc, tempDir, waitFor, cleanupDir, type Proc, type RunResult } from './procs.js';
import { startNats } from './nats.js';

export interface FleetGuest {
  name: string;
  memoryMiB?: number;
  vcpus?: number;
  state?: 'running' | 'paused' | 'shutoff';
}
/** host -> guests, in the format of `drover-agent simulate --layout`. */
export type FleetLayout = Record<string, FleetGuest[]>;

export interface FleetOptions {
  /** host -> guests; the hosts are enrolled and simulated in this order */
  layout: FleetLayout;
  /** extra enrolled hosts that no simulator runs (probes that publish as a host) */
  extraHosts?: string[];
  /** simulated hosts per simulator process */
  hostsPerSim?: number;
  /** hosts that run in a simulator process of their own (so a test can kill exactly them) */
  alone?: string[];
  heartbeatMs?: number;
  reconcileMs?: number;
  staleAfterMs?: number;
  downAfterMs?: number;
  migrationMs?: number;
  /** use the on-disk enrolment cache */
  cache?: boolean;
  logLevel?: string;
  /** extra YAML merged into the server config */
  serverConfig?: Record<string, unknown>;
}

export interface SimProc {
  proc: Proc;
  hosts: string[];
}

type AdminClient = RpcClient<'AdminService'>;
/** The admin methods that stream per-node results. */
type FanOutMethod = Exclude<ServerStreamMethod<'AdminService'>, 'WatchOperation'>;

export class FleetCluster {
  readonly procs: Proc[] = [];
  readonly sims: SimProc[] = [];
  server: Proc | undefined;
  natsPort = 0;
  grpcPort = 0;
  serverConfig = '';
  stateDir = '';
  agentsDir = '';
  layoutFile = '';
  bundles: Record<'admin' | 'operator' | 'viewer', string> = { admin: '', operator: '', viewer: '' };
  /** seconds spent enrolling (0 when the cache had it) */
  enrollS = 0;
  enrollCached = false;
  private admin: AdminClient | undefined;
  constructor(
    readonly dir: string,
    readonly opts: FleetOptions,
  ) {}

  get hosts(): string[] {
    return Object.keys(this.opts.layout);
  }

  static async start(opts: FleetOptions): Promise<FleetCluster> {
    const c = new FleetCluster(tempDir('drover-fleet-'), opts);
    try {
      await c.prepare();
      await c.startNatsAndServer();
    } catch (e) {
      await c.stop();
      throw e;
    }
    return c;
  }

  /** Server config, CA, enrolment (or the cache), admin bundles, nats config. */
  private async prepare(): Promise<void> {
    this.natsPort = await freePort();
    this.grpcPort = await freePort();
    this.serverConfig = join(this.dir, 'server.yaml');
    this.stateDir = join(this.dir, 'state');
    this.agentsDir = join(this.dir, 'agents');
    writeFileSync(
      this.serverConfig,
      stringify({
        stateDir: this.stateDir,
        grpc: { listen: `127.0.0.1:${this.grpcPort}` },
        nats: {
          url: `nats://127.0.0.1:${this.natsPort}`,
          listen: `127.0.0.1:${this.natsPort}`,
          configFile: join(this.dir, 'nats.conf'),
          pidFile: join(this.dir, 'nats.pid'),
        },
        hosts: { staleAfterMs: this.opts.staleAfterMs ?? 15_000, downAfterMs: this.opts.downAfterMs ?? 45_000, checkEveryMs: 250 },
        log: { level: this.opts.logLevel ?? 'warn' },
        ...(this.opts.serverConfig ?? {}),
      }),
    );
    const all = [...this.hosts, ...(this.opts.extraHosts ?? [])];
    const key = createHash('sha256').update(all.join(',')).digest('hex').slice(0, 16);
    const cacheRoot = process.env.DROVER_FLEET_CACHE || join(homedir(), '.cache', 'drover', 'fleet');
    const cached = join(cacheRoot, `${all.length}-${key}`);
    const t0 = Date.now();
    if (this.opts.cache && existsSync(join(cached, 'done'))) {
      cpSync(join(cached, 'state'), this.stateDir, { recursive: true });
      cpSync(join(cached, 'agents'), this.agentsDir, { recursive: true });
      this.enrollCached = true;
    } else {
      await this.enroll(all);
      if (this.opts.cache) {
        rmSync(cached, { recursive: true, force: true });
        mkdirSync(cached, { recursive: true });
        cpSync(this.stateDir, join(cached, 'state'), { recursive: true });
        cpSync(this.agentsDir, join(cached, 'agents'), { recursive: true });
        writeFileSync(join(cached, 'done'), new Date().toISOString());
      }
    }
    this.enrollS = (Date.now() - t0) / 1000;
    // Admin bundles name this run's server address; nats.conf this run's port.
    const cfg = loadServerConfig(this.serverConfig);
    const stores = SqliteStores.open(join(this.stateDir, 'drover.db'));
    try {
      const p = await ClusterPki.load(stores, this.stateDir);
      for (const role of ['admin', 'operator', 'viewer'] as const) {
        this.bundles[role] = join(this.dir, `${role}.yaml`);
        await writeUserBundle(p, { name: `fleet-${role}`, role, file: this.bundles[role], serverAddress: `127.0.0.1:${this.grpcPort}` });
      }
      await writeNatsConfig(cfg, p);
    } finally {
      await stores.close();
    }
    this.layoutFile = join(this.dir, 'layout.json');
    writeFileSync(this.layoutFile, JSON.stringify(this.opts.layout));
  }

  /** What `drover-server ca init` and `drover-server enroll <host> --out` do, for every host in one process. */
  private async enroll(hosts: string[]): Promise<void> {
    const cfg = loadServerConfig(this.serverConfig);
    const stores = SqliteStores.open(join(this.stateDir, 'drover.db'));
    try {
      const p = await ClusterPki.init(stores, this.stateDir, {});
      // Writes go in transactions of many hosts (one per host would cost a WAL commit each).
      for (let i = 0; i < hosts.length; i += 100) {
        const chunk = hosts.slice(i, i + 100);
        await stores.transaction(async (tx) => {
          for (const host of chunk) {
            await tx.hosts.enrolled(host, Date.now());
            await writeAgentBundle(p.in(tx), {
              host,
              dir: join(this.agentsDir, host),
              natsUrl: cfg.nats.url,
              serverAddress: cfg.grpc.listen,
              grpcListen: '127.0.0.1:0',
            });
          }
        });
      }
    } finally {
      await stores.close();
    }
  }

  private async startNatsAndServer(): Promise<void> {
    this.procs.push((this.nats = await startNats(this.dir, join(this.dir, 'nats.conf'), this.natsPort)));
    writeFileSync(join(this.dir, 'nats.pid'), String(this.nats.pid));
    // DROVER_FLEET_SERVER_BIN: another build of drover-server (a before/after comparison)
    const bin = process.env.DROVER_FLEET_SERVER_BIN || BIN.server;
    const p = startProc('drover-server', process.execPath, [bin, '--config', this.serverConfig, 'run'], { dir: this.dir });
    this.server = p;
    this.procs.push(p);
    await waitFor(
      'drover-server to answer',
      async () => {
        if (!p.running) throw new Error(`drover-server exited; see ${p.logFile}`);
        await this.whoAmI();
        return true;
      },
      30_000,
      150,
    );
  }
  nats: Proc | undefined;

  /** Starts the simulator processes (hostsPerSim hosts each; `alone` hosts one per process). */
  startSims(): SimProc[] {
    const per = this.opts.hostsPerSim ?? 250;
    const alone = new Set(this.opts.alone ?? []);
    const groups: string[][] = [];
    const rest = this.hosts.filter((h) => !alone.has(h));
    for (let i = 0; i < rest.length; i += per) groups.push(rest.slice(i, i + per));
    for (const h of alone) if (this.opts.layout[h]) groups.push([h]);
    const started: SimProc[] = [];
    for (const [i, hosts] of groups.entries()) started.push(this.startSim(hosts, `sim${i}`));
    return started;
  }

  startSim(hosts: string[], name: string): SimProc {
    const args = [
      BIN.agent,
      'simulate',
      '--base-config',
      this.agentsDir,
      '--hosts',
      hosts.join(','),
      '--state-dir',
      join(this.dir, 'simstate'),
      '--layout',
      this.layoutFile,
      '--nats-url',
      `nats://127.0.0.1:${this.natsPort}`,
      '--migration-ms',
      String(this.opts.migrationMs ?? 1000),
      '--log-level',
      this.opts.logLevel ?? 'warn',
      ...(this.opts.heartbeatMs ? ['--heartbeat-ms', String(this.opts.heartbeatMs)] : []),
      ...(this.opts.reconcileMs ? ['--reconcile-ms', String(this.opts.reconcileMs)] : []),
    ];
    const proc = startProc(name, process.execPath, args, { dir: this.dir });
    const s = { proc, hosts };
    this.procs.push(proc);
    this.sims.push(s);
    return s;
  }

  /** Resolves when the simulator printed its ready line. */
  async simReady(s: SimProc, timeoutMs = 120_000): Promise<void> {
    let done = false;
    const exited = s.proc.exited.then((code) => {
      if (!done)
        throw new Error(
          `${s.proc.name} exited (${code}): ${readFileSync(s.proc.logFile, 'utf8').trim().split('\n').slice(-3).join(' | ').slice(0, 600)}`,
        );
    });
    try {
      await Promise.race([
        exited,
        waitFor(
          `${s.proc.name} (${s.hosts.length} hosts) ready`,
          () => readFileSync(s.proc.logFile, 'utf8').includes('hosts ready ('),
          timeoutMs,
          200,
        ),
      ]);
    } finally {
      done = true;
    }
  }

  /** A gRPC client of the admin API with the admin bundle (bulk calls the CLI would make one process per call for). */
  adminClient(role: 'admin' | 'operator' | 'viewer' = 'admin'): AdminClient {
    if (role === 'admin' && this.admin) return this.admin;
    const b = parse(readFileSync(this.bundles[role], 'utf8')) as { server: string; ca: string; cert: string; key: string };
    const c = new RpcClient(
      'AdminService',
      b.server,
      clientCredentials({ caPem: b.ca, certPem: b.cert, keyPem: b.key }),
      clientOptions('drover-server', { 'grpc.max_receive_message_length': 256 << 20 }),
    );
    if (role === 'admin') this.admin = c;
    return c;
  }

  call<M extends UnaryMethod<'AdminService'>>(
    method: M,
    req: RequestOf<'AdminService', M>,
    deadlineMs = 60_000,
  ): Promise<ReplyOf<'AdminService', M>> {
    return this.adminClient().unary(method, req, { deadlineMs });
  }

  whoAmI(): Promise<unknown> {
    return this.call('WhoAmI', {}, 2000);
  }

  /** A server-streaming admin call, collected. */
  stream<M extends FanOutMethod>(method: M, req: RequestOf<'AdminService', M>, deadlineMs = 120_000): Promise<NodeResult__Output[]> {
    return new Promise((res, rej) => {
      const out: NodeResult__Output[] = [];
      const s = this.adminClient().serverStream(method, req, { deadlineMs });
      s.on('data', (r: NodeResult__Output) => out.push(r));
      s.on('error', rej);
      s.on('end', () => res(out));
    });
  }

  /** nodeadd of every guest (groups all,fleet), then vm.host per host: one NodeAdd and one ChDef per host over one connection. */
  async addNodes(concurrency = 8): Promise<void> {
    const all = Object.values(this.opts.layout)
      .flat()
      .map((g) => g.name);
    for (let i = 0; i < all.length; i += 10_000) {
      await this.call(
        'NodeAdd',
        { noderange: all.slice(i, i + 10_000).join(','), attrs: { groups: 'all,fleet', 'vm.memory': '512M' } },
        300_000,
      );
    }
    const queue = Object.entries(this.opts.layout).filter(([, gs]) => gs.length > 0);
    const worker = async (): Promise<void> => {
      for (let e = queue.shift(); e; e = queue.shift()) {
        const [host, guests] = e;
        await this.call(
          'ChDef',
          { noderange: guests.map((g) => g.name).join(','), attrs: { 'vm.host': host }, remove: [], plus: false, minus: false },
          120_000,
        );
      }
    };
    await Promise.all(Array.from({ length: concurrency }, worker));
  }

  /** Runs the `drover` CLI with a role's bundle. */
  cli(args: string[], role: 'admin' | 'operator' | 'viewer' = 'admin', timeoutMs = 300_000): Promise<RunResult> {
    return run(process.execPath, [BIN.cli, ...args], { env: { DROVER_CONFIG: this.bundles[role] }, timeoutMs });
  }

  async cliJson<T>(args: string[], role: 'admin' | 'operator' | 'viewer' = 'admin'): Promise<T> {
    const r = await this.cli([...args, '-o', 'json'], role);
    if (r.code !== 0) throw new Error(`drover ${args.join(' ')} failed (${r.code}): ${r.stderr.trim()}`);
    return JSON.parse(r.stdout) as T;
  }

  /** The NATS seed of an enrolled host (probes publish as that host). */
  hostSeed(host: string): string {
    return readFileSync(join(this.agentsDir, host, 'nats.seed'), 'utf8').trim();
  }
  serverSeed(): string {
    return readFileSync(join(this.stateDir, 'pki', 'server-nats.seed'), 'utf8').trim();
  }
  get natsUrl(): string {
    return `nats://127.0.0.1:${this.natsPort}`;
  }

  async stop(): Promise<void> {
    this.admin?.close();
    for (const p of [...this.procs].reverse()) await p.stop(10_000).catch(() => undefined);
    cleanupDir(this.dir);
  }
}

/** Resident set size of a process in MiB (Linux /proc), or NaN when gone. */
export function rssMiB(pid: number): number {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) / 1024 : NaN;
  } catch {
    return NaN;
  }
}
