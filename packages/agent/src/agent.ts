/**
 * drover-agent: obeys the server's gRPC commands (mutual TLS; only the server's certificate is
 * accepted) and reports over NATS with its own key: heartbeats with capacity and libvirt state,
 * inventory, events, migration progress.
 */
import * as grpc from '@grpc/grpc-js';
import { readFileSync, existsSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import type { NatsConnection } from 'nats';
import {
  addHealthAndReflection,
  bindServer,
  codec,
  connectNats,
  serviceDefinition,
  type Implementation,
  inboxPrefix,
  secureService,
  serverCredentials,
  subjects,
  UserFacingError,
  type Heartbeat,
  type HostFacts,
  type Logger,
  type TlsFiles,
  background,
} from '@drover/contract';
import type { AgentConfig } from './config.js';
import { AGENT_VERSION } from './version.js';

export { AGENT_VERSION };
const hbCodec = codec<Heartbeat>('Heartbeat');

/** Reads the agent's certificate, key, CA and NATS seed, or says how to enrol when one is missing. */
export function readTls(cfg: AgentConfig): TlsFiles {
  for (const [what, f] of [
    ['CA certificate', cfg.tls.ca],
    ['certificate', cfg.tls.cert],
    ['key', cfg.tls.key],
    ['NATS seed', cfg.nats.seedFile],
  ] as const) {
    if (!existsSync(f))
      throw new UserFacingError(
        `missing ${what} ${f}; enrol this host first: drover-agent enroll --server <addr> --token <token> (or drover-server enroll ${cfg.host} --out <dir> on the headnode)`,
      );
  }
  return {
    caPem: readFileSync(cfg.tls.ca, 'utf8'),
    certPem: readFileSync(cfg.tls.cert, 'utf8'),
    keyPem: readFileSync(cfg.tls.key, 'utf8'),
  };
}

/** What a heartbeat says about libvirt and capacity; the libvirt connection manager provides it. */
export interface HostReporter {
  libvirt(): { reachable: boolean; uri: string; error: string; sinceMs: number };
  facts(): HostFacts | undefined;
  /** The sequence of the last inventory published, so the server can spot a gap. */
  inventorySeq?(): number;
}

const noLibvirt: HostReporter = {
  libvirt: () => ({ reachable: false, uri: '', error: 'no libvirt URI configured', sinceMs: 0 }),
  facts: () => undefined,
};

export class DroverAgent {
  private seq = 0;
  private timer: NodeJS.Timeout | undefined;
  port = 0;

  private constructor(
    readonly cfg: AgentConfig,
    readonly log: Logger,
    readonly nc: NatsConnection,
    private readonly server: grpc.Server,
    private readonly reporter: HostReporter,
    readonly bootId: string,
    readonly simulated: boolean,
  ) {}

  static async start(
    cfg: AgentConfig,
    log: Logger,
    opts: { reporter?: HostReporter; handlers: Implementation<'AgentService'>; bootId?: string; simulated?: boolean },
  ): Promise<DroverAgent> {
    const tls = readTls(cfg);
    const seed = readFileSync(cfg.nats.seedFile, 'utf8').trim();
    const nc = await connectNats({
      url: cfg.nats.url,
      seed,
      name: `drover-agent ${cfg.host}`,
      inboxPrefix: inboxPrefix(cfg.host),
      reconnect: true,
      timeoutMs: 3000,
    }).catch((e: Error) => {
      throw new UserFacingError(
        `cannot reach NATS at ${cfg.nats.url} (${e.message}); check nats.url in the agent config and that nats-server runs`,
      );
    });
    const server = new grpc.Server({ 'grpc.max_receive_message_length': 64 << 20 });
    server.addService(serviceDefinition('AgentService'), secureService('AgentService', opts.handlers, { log }));
    addHealthAndReflection(server, ['AgentService']);
    const agent = new DroverAgent(cfg, log, nc, server, opts.reporter ?? noLibvirt, opts.bootId ?? randomUUID(), opts.simulated ?? false);
    agent.port = await bindServer(server, cfg.grpc.listen, serverCredentials(tls, true)).catch((e: Error) => {
      throw new UserFacingError(`cannot listen on ${cfg.grpc.listen} (${e.message}); set grpc.listen in the agent config`);
    });
    background('NATS status watch', agent.watchNats(), log);
    agent.heartbeat();
    agent.timer = setInterval(() => agent.heartbeat(), cfg.heartbeatMs);
    log.info({ host: cfg.host, port: agent.port, nats: cfg.nats.url }, 'drover-agent ready');
    return agent;
  }

  /** The address the server should use to reach this agent. */
  get advertise(): string {
    return this.cfg.grpc.advertise || this.cfg.grpc.listen.replace(/:0$/, `:${this.port}`);
  }

  heartbeat(): void {
    const lv = this.reporter.libvirt();
    const facts = this.reporter.facts();
    const hb: Heartbeat = {
      host: this.cfg.host,
      seq: ++this.seq,
      timeMs: Date.now(),
      grpcAddress: this.advertise,
      libvirt: lv,
      ...(facts ? { facts } : {}),
      agentVersion: AGENT_VERSION,
      bootId: this.bootId,
      inventorySeq: this.reporter.inventorySeq?.() ?? 0,
      simulated: this.simulated,
    };
    try {
      this.nc.publish(subjects.heartbeat(this.cfg.host), hbCodec.encode(hb));
    } catch (e) {
      this.log.warn({ host: this.cfg.host, err: (e as Error).message }, 'heartbeat not published');
    }
  }

  private async watchNats(): Promise<void> {
    for await (const s of this.nc.status()) {
      const lvl = s.type === 'error' || s.type === 'disconnect' ? 'warn' : 'info';
      this.log[lvl]({ host: this.cfg.host, nats: s.type, data: String(s.data) }, `nats ${s.type}`);
    }
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await new Promise<void>((res) => this.server.tryShutdown(() => res()));
    await this.nc.drain().catch(() => undefined);
  }
}
