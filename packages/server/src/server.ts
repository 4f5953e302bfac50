/**
 * drover-server: opens the tables and the PKI, connects to NATS, records host states from
 * heartbeats and serves the admin API over mutual TLS.
 */
import * as grpc from '@grpc/grpc-js';
import {
  addHealthAndReflection,
  bindServer,
  serviceDefinition,
  connectNats,
  secureService,
  serverCredentials,
  UserFacingError,
  type Logger,
} from '@drover/contract';
import type { NatsConnection } from 'nats';
import { join } from 'node:path';
import type { ServerConfig } from './config.js';
import { SqliteStores } from './db/sqlite/stores.js';
import { ClusterPki } from './pki/store.js';
import { HostRegistry } from './hosts/registry.js';
import { ReportIngest } from './nats/reports.js';
import { writeNatsConfig } from './nats/natsconf.js';
import { adminHandlers } from './api/admin.js';
import { enrollHandlers } from './api/enroll.js';
import type { ServerContext } from './context.js';
import { auditWriter } from './audit.js';
import { Tables } from './tables/index.js';
import { InventoryStore } from './inventory/store.js';
import { AgentPool } from './agents/pool.js';
import { OperationEngine } from './operations/engine.js';
import { engineDeps } from './operations/wiring.js';
import { netbootService } from './api/netboot.js';
import { BootHttpServer } from './http/boot-server.js';

export class DroverServer {
  private constructor(
    readonly ctx: ServerContext,
    private readonly grpcServer: grpc.Server,
    private readonly enrollServer: grpc.Server | undefined,
    private readonly nc: NatsConnection,
    private readonly ingest: ReportIngest,
    readonly port: number,
    readonly enrollPort: number,
    private readonly bootHttp: BootHttpServer | undefined,
  ) {}

  static async start(cfg: ServerConfig, log: Logger): Promise<DroverServer> {
    const stores = SqliteStores.open(join(cfg.stateDir, 'drover.db'));
    const pki = await ClusterPki.load(stores, cfg.stateDir);
    const hosts = await HostRegistry.open(stores.hosts, cfg.hosts, log.child({ part: 'hosts' }));
    await writeNatsConfig(cfg, pki, log);
    const nc = await connectNats({ url: cfg.nats.url, seed: pki.natsSeed, name: 'drover-server', reconnect: true, timeoutMs: 3000 }).catch(
      async (e: Error) => {
        await stores.close();
        throw new UserFacingError(
          `cannot reach NATS at ${cfg.nats.url} (${e.message}); start nats-server with the config from 'drover-server nats-config', or set nats.url`,
        );
      },
    );
    const tls = { caPem: pki.caPem, certPem: pki.serverCertPem, keyPem: pki.serverKeyPem };
    const inventory = new InventoryStore(log.child({ part: 'inventory' }));
    const agents = new AgentPool(tls, hosts);
    const ingest = new ReportIngest(nc, hosts, inventory, agents, log.child({ part: 'reports' }));
    await ingest.ensureStreams();
    hosts.start(cfg.hosts.checkEveryMs);

    const tables = new Tables(stores);
    const ctx: ServerContext = {
      cfg,
      stores,
      pki,
      hosts,
      log,
      inventory,
      agents,
      ingest,
      advertise: cfg.grpc.advertise || cfg.grpc.listen,
      tables,
      expand: (noderange, opts) => tables.expand(noderange, opts),
      onEnrolled: async (host, nkey) => {
        await pki.setAgentNkey(host, nkey);
        await hosts.enrolled(host);
        await writeNatsConfig(cfg, pki, log);
      },
    };
    const engine = new OperationEngine(engineDeps(ctx, nc));
    ctx.operations = engine;
    // Operations interrupted by a restart are taken back before reports flow again.
    await engine.recover();
    ingest.start();
    const policy = { isRevoked: pki.isRevoked, log, audit: auditWriter(stores.audit) };
    const server = new grpc.Server({ 'grpc.max_receive_message_length': 64 << 20 });
    server.addService(serviceDefinition('AdminService'), secureService('AdminService', adminHandlers(ctx, engine), policy));
    addHealthAndReflection(server, ['AdminService']);
    const port = await bindServer(server, cfg.grpc.listen, serverCredentials(tls, true)).catch((e: Error) => {
      throw new UserFacingError(`cannot listen on ${cfg.grpc.listen} (${e.message}); choose another grpc.listen`);
    });
    ctx.advertise = cfg.grpc.advertise || cfg.grpc.listen.replace(/:0$/, `:${port}`);

    let enrollServer: grpc.Server | undefined;
    let enrollPort = 0;
    if (cfg.grpc.enrollListen) {
      enrollServer = new grpc.Server();
      enrollServer.addService(serviceDefinition('EnrollService'), secureService('EnrollService', enrollHandlers(ctx), policy));
      addHealthAndReflection(enrollServer, ['EnrollService']);
      enrollPort = await bindServer(enrollServer, cfg.grpc.enrollListen, serverCredentials(tls, false));
    }
    let bootHttp: BootHttpServer | undefined;
    if (cfg.netboot.httpListen) {
      bootHttp = await BootHttpServer.start(cfg.netboot.httpListen, netbootService(ctx), log.child({ part: 'boot-http' })).catch(
        (e: Error) => {
          throw new UserFacingError(
            `cannot listen on ${cfg.netboot.httpListen} for boot files (${e.message}); choose another netboot.httpListen`,
          );
        },
      );
    }
    log.info({ port, enrollPort, bootHttpPort: bootHttp?.port ?? 0, nats: cfg.nats.url, stateDir: cfg.stateDir }, 'drover-server ready');
    return new DroverServer(ctx, server, enrollServer, nc, ingest, port, enrollPort, bootHttp);
  }

  async stop(): Promise<void> {
    await this.ctx.hosts.stop();
    this.ctx.operations?.stop();
    this.ingest.stop();
    await this.bootHttp?.stop();
    await new Promise<void>((res) => this.grpcServer.tryShutdown(() => res()));
    if (this.enrollServer) await new Promise<void>((res) => this.enrollServer!.tryShutdown(() => res()));
    this.ctx.agents.close();
    await this.nc.drain().catch(() => undefined);
    await this.ctx.stores.close();
  }
}
