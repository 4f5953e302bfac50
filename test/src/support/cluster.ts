/**
 * A real small drover cluster for integration tests: a CA made by `drover-server ca init`,
 * nats-server with the config drover-server generates, drover-server and N drover-agents as
 * separate processes, and admin bundles for each role. Everything is stopped by PID.
 */
import { writeFileSync } from 'node:fs';
import type { ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { BIN, freePort, run, startProc, tempDir, waitFor, cleanupDir, Proc, type RunResult } from './procs.js';
import { startNats } from './nats.js';

export interface ClusterOptions {
  agents?: number;
  /** agent heartbeat interval */
  heartbeatMs?: number;
  staleAfterMs?: number;
  downAfterMs?: number;
  /** libvirt URI per agent index (test driver files) */
  libvirtUri?: (i: number, host: string) => string;
  hostNames?: string[];
  enroll?: boolean;
  /** address NATS and drover-server listen on (default 127.0.0.1; the lab bridge in lab tests) */
  bindIp?: string;
  /** where each agent's command service listens (default 127.0.0.1:<free port>) */
  agentListen?: (host: string) => string;
  /** starts an agent process some other way (inside a lab host's namespaces) */
  spawnAgent?: (host: string, argv: string[], env: NodeJS.ProcessEnv, logFile: string) => ChildProcess;
  /** extra environment for one agent (e.g. its libvirt migration URI) */
  agentEnv?: (host: string) => NodeJS.ProcessEnv;
  /** extra YAML merged into the server config */
  serverConfig?: Record<string, unknown>;
}

export interface AgentProc {
  host: string;
  dir: string;
  config: string;
  proc: Proc | undefined;
  port: number;
}

export class TestCluster {
  readonly procs: Proc[] = [];
  readonly agents: AgentProc[] = [];
  server: Proc | undefined;
  nats: Proc | undefined;
  natsPort = 0;
  grpcPort = 0;
  enrollPort = 0;
  serverConfig = '';
  bundles: Record<'admin' | 'operator' | 'viewer', string> = { admin: '', operator: '', viewer: '' };
  constructor(
    readonly dir: string,
    readonly opts: ClusterOptions,
  ) {}

  static async start(opts: ClusterOptions = {}): Promise<TestCluster> {
    const c = new TestCluster(tempDir('drover-cluster-'), opts);
    try {
      await c.init();
    } catch (e) {
      await c.stop();
      throw e;
    }
    return c;
  }

  private async init(): Promise<void> {
    this.natsPort = await freePort();
    this.grpcPort = await freePort();
    this.enrollPort = await freePort();
    this.serverConfig = join(this.dir, 'server.yaml');
    const ip = this.opts.bindIp ?? '127.0.0.1';
    writeFileSync(
      this.serverConfig,
      stringify({
        stateDir: join(this.dir, 'state'),
        grpc: { listen: `${ip}:${this.grpcPort}`, enrollListen: `${ip}:${this.enrollPort}` },
        nats: {
          url: `nats://${ip}:${this.natsPort}`,
          listen: `${ip}:${this.natsPort}`,
          configFile: join(this.dir, 'nats.conf'),
          pidFile: join(this.dir, 'nats.pid'),
        },
        hosts: { staleAfterMs: this.opts.staleAfterMs ?? 15_000, downAfterMs: this.opts.downAfterMs ?? 45_000, checkEveryMs: 100 },
        log: { level: 'info' },
        ...(this.opts.serverConfig ?? {}),
      }),
    );
    await this.serverCmd(['ca', 'init']);
    for (const role of ['admin', 'operator', 'viewer'] as const) {
      this.bundles[role] = join(this.dir, `${role}.yaml`);
      await this.serverCmd(['user', 'add', `test-${role}`, '--role', role, '--out', this.bundles[role]]);
    }
    const names = this.opts.hostNames ?? Array.from({ length: this.opts.agents ?? 0 }, (_, i) => `node${String(i + 1).padStart(2, '0')}`);
    for (const [i, host] of names.entries()) {
      const listen = this.opts.agentListen?.(host) ?? `127.0.0.1:${await freePort()}`;
      const port = Number(listen.split(':').pop());
      const adir = join(this.dir, 'agents', host);
      const args = ['enroll', host, '--out', adir, '--grpc-listen', listen];
      const uri = this.opts.libvirtUri?.(i, host);
      if (uri) args.push('--libvirt-uri', uri);
      await this.serverCmd(args);
      this.agents.push({ host, dir: adir, config: join(adir, 'agent.yaml'), proc: undefined, port });
    }
    this.nats = await startNats(this.dir, join(this.dir, 'nats.conf'), this.natsPort, ip);
    writeFileSync(join(this.dir, 'nats.pid'), String(this.nats.pid));
    this.procs.push(this.nats);
    await this.startServer();
    for (const a of this.agents) this.startAgent(a.host);
  }

  async serverCmd(args: string[]): Promise<RunResult> {
    const r = await run(process.execPath, [BIN.server, '--config', this.serverConfig, ...args]);
    if (r.code !== 0) throw new Error(`drover-server ${args.join(' ')} failed (${r.code}): ${r.stderr.trim()}`);
    return r;
  }

  async startServer(): Promise<Proc> {
    const p = startProc('drover-server', process.execPath, [BIN.server, '--config', this.serverConfig, 'run'], { dir: this.dir });
    this.server = p;
    this.procs.push(p);
    await waitFor(
      'drover-server to answer',
      async () => {
        if (!p.running) throw new Error(`drover-server exited; see ${p.logFile}`);
        const r = await this.cli(['lshosts', '-o', 'json']);
        return r.code === 0;
      },
      20_000,
      150,
    );
    return p;
  }

  startAgent(host: string, env: NodeJS.ProcessEnv = {}): Proc {
    const a = this.agents.find((x) => x.host === host);
    if (!a) throw new Error(`no agent ${host}`);
    const fullEnv = { DROVER_AGENT_HEARTBEAT_MS: String(this.opts.heartbeatMs ?? 500), ...(this.opts.agentEnv?.(host) ?? {}), ...env };
    const argv = [process.execPath, BIN.agent, '--config', a.config, 'run'];
    let p: Proc;
    if (this.opts.spawnAgent) {
      const logFile = join(this.dir, `agent-${host}.log`);
      p = new Proc(`agent-${host}`, this.opts.spawnAgent(host, argv, { ...process.env, ...fullEnv }, logFile), logFile);
    } else {
      p = startProc(`agent-${host}`, argv[0]!, argv.slice(1), { dir: this.dir, env: fullEnv });
    }
    a.proc = p;
    this.procs.push(p);
    return p;
  }

  /** Runs the `drover` CLI with a role's bundle. */
  cli(args: string[], role: 'admin' | 'operator' | 'viewer' = 'admin', env: NodeJS.ProcessEnv = {}): Promise<RunResult> {
    return run(process.execPath, [BIN.cli, ...args], { env: { DROVER_CONFIG: this.bundles[role], ...env }, timeoutMs: 120_000 });
  }

  async cliJson<T>(args: string[], role: 'admin' | 'operator' | 'viewer' = 'admin'): Promise<T> {
    const r = await this.cli([...args, '-o', 'json'], role);
    if (r.code !== 0) throw new Error(`drover ${args.join(' ')} failed (${r.code}): ${r.stderr.trim()}`);
    return JSON.parse(r.stdout) as T;
  }

  /** Waits (as lshosts shows it) until `count` hosts are up with libvirt connected; with `facts`, also their first facts reported. */
  async waitHostsUp(count: number, o: { facts?: boolean; timeoutMs?: number } = {}): Promise<void> {
    await waitFor(
      `${count} host(s) up with libvirt${o.facts ? ' and facts' : ''}`,
      async () => {
        const hs = await this.cliJson<{ state: string; libvirt: string; cpus: number }[]>(['lshosts']);
        return hs.filter((h) => h.state === 'up' && h.libvirt === 'ok' && (!o.facts || h.cpus > 0)).length === count;
      },
      o.timeoutMs ?? 60_000,
      300,
    );
  }

  async stop(): Promise<void> {
    for (const p of [...this.procs].reverse()) await p.stop().catch(() => undefined);
    cleanupDir(this.dir);
  }
}
