/** drover-server's command line: run the server, and the headnode's PKI and bundle commands. */
import { Command, Option } from 'commander';
import { resolve } from 'node:path';
import { writeFileSync } from 'node:fs';
import { createLogger, runMain, pki, UserFacingError, natsServerConfig, type UserRole, background } from '@drover/contract';
import { loadServerConfig, type ServerConfig } from './config.js';
import { SqliteStores } from './db/sqlite/stores.js';
import type { Stores } from './db/stores.js';
import { ClusterPki } from './pki/store.js';
import { writeAgentBundle, writeUserBundle } from './bundles.js';
import { writeNatsConfig } from './nats/natsconf.js';
import { HostRegistry } from './hosts/registry.js';
import { DroverServer } from './server.js';
import { backup } from './backup.js';
import { join } from 'node:path';

const DEFAULT_CONFIG = '/etc/drover/server.yaml';

function cfgFrom(opts: { config?: string; stateDir?: string }): ServerConfig {
  return loadServerConfig(
    opts.config ?? (process.env.DROVER_SERVER_CONFIG || DEFAULT_CONFIG),
    opts.stateDir ? { stateDir: resolve(opts.stateDir) } : {},
  );
}

function openStores(cfg: ServerConfig): Stores {
  return SqliteStores.open(join(cfg.stateDir, 'drover.db'));
}

async function withPki<T>(cfg: ServerConfig, fn: (p: ClusterPki) => Promise<T>): Promise<T> {
  const stores = openStores(cfg);
  try {
    return await fn(await ClusterPki.load(stores, cfg.stateDir));
  } finally {
    await stores.close();
  }
}

function parseDuration(s: string): number {
  const m = /^(\d+)(ms|s|m|h|d)?$/.exec(s.trim());
  if (!m) throw new UserFacingError(`--ttl '${s}': expected a duration like 90s, 15m, 2h`, 2);
  const n = Number(m[1]);
  return n * ({ ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }[m[2] ?? 's'] ?? 1000);
}

export function main(argv: string[]): void {
  const program = new Command('drover-server')
    .description('drover headnode server: tables, scheduler, durable operations, admin API')
    .addOption(new Option('-c, --config <file>', 'config file (YAML)').env('DROVER_SERVER_CONFIG'))
    .option('--state-dir <dir>', 'state directory (tables, CA, NATS files)')
    .exitOverride()
    .configureOutput({ writeErr: (s) => process.stderr.write(s) });

  program
    .command('run', { isDefault: true })
    .description('run the server')
    .action(async () => {
      const cfg = cfgFrom(program.opts());
      const log = createLogger('drover-server', { level: cfg.log.level });
      const srv = await DroverServer.start(cfg, log);
      const stop = (sig: string): void => {
        log.info({ sig }, 'stopping');
        background(
          'server stop',
          srv.stop().finally(() => process.exit(0)),
          log,
        );
      };
      process.once('SIGTERM', () => stop('SIGTERM'));
      process.once('SIGINT', () => stop('SIGINT'));
      await new Promise(() => undefined);
    });

  const ca = program.command('ca').description('the cluster certificate authority');
  ca.command('init')
    .description("create the cluster CA, the server's certificate and NATS key")
    .option('--dns <name...>', "extra DNS names for the server's certificate", [])
    .option('--ip <addr...>', "extra IP addresses for the server's certificate", [])
    .option('--force', 'replace an existing CA (every agent and admin must be enrolled again)')
    .action(async (o: { dns: string[]; ip: string[]; force?: boolean }) => {
      const cfg = cfgFrom(program.opts());
      const stores = openStores(cfg);
      try {
        const p = await ClusterPki.init(stores, cfg.stateDir, { dnsNames: o.dns, ips: o.ip, ...(o.force ? { force: true } : {}) });
        await writeNatsConfig(cfg, p);
        process.stdout.write(`cluster CA created in ${p.paths.dir} (fingerprint ${pki.fingerprintOf(p.caPem)})\n`);
      } finally {
        await stores.close();
      }
    });

  program
    .command('enroll <host>')
    .description('issue an agent certificate bundle (--out) or a one-time enrolment token (--token)')
    .option('--out <dir>', 'write agent.yaml with its certificate, key and NATS key into this directory')
    .option('--token', 'print a single-use token for `drover-agent enroll` instead')
    .option('--ttl <duration>', 'token lifetime', '15m')
    .option('--grpc-listen <addr>', "the agent's command listener, written into agent.yaml")
    .option('--grpc-advertise <addr>', 'the address the server uses to reach the agent')
    .option('--libvirt-uri <uri>', "the agent's libvirt URI")
    .action(
      async (
        host: string,
        o: { out?: string; token?: boolean; ttl: string; grpcListen?: string; grpcAdvertise?: string; libvirtUri?: string },
      ) => {
        if (!pki.NAME_RE.test(host))
          throw new UserFacingError(`host '${host}': a host name is a DNS label (letters, digits and '-', at most 63, no dots)`, 2);
        if (!o.out && !o.token) throw new UserFacingError('enroll: pass --out <dir> (write a bundle) or --token (print a token)', 2);
        const cfg = cfgFrom(program.opts());
        await withPki(cfg, async (p) => {
          await (await HostRegistry.open(p.stores.hosts, cfg.hosts, createLogger('drover-server', { level: 'silent' }))).enrolled(host);
          if (o.token) {
            const t = await p.createToken(host, parseDuration(o.ttl));
            process.stdout.write(`${t.token}\n`);
            return;
          }
          const b = await writeAgentBundle(p, {
            host,
            dir: resolve(o.out!),
            natsUrl: cfg.nats.url,
            serverAddress: cfg.grpc.advertise || cfg.grpc.listen,
            ...(o.grpcListen ? { grpcListen: o.grpcListen } : {}),
            ...(o.grpcAdvertise ? { grpcAdvertise: o.grpcAdvertise } : {}),
            ...(o.libvirtUri ? { libvirtUri: o.libvirtUri } : {}),
          });
          await writeNatsConfig(cfg, p);
          process.stdout.write(`${host}: agent bundle written to ${b.config}\n`);
        });
      },
    );

  const user = program.command('user').description('admin bundles');
  user
    .command('add <name>')
    .description("write an admin's bundle (server address, CA, key and certificate with its role)")
    .requiredOption('--role <role>', 'admin, operator or viewer')
    .option('--out <file>', 'bundle file', '')
    .option('--server <addr>', 'server address written into the bundle')
    .action(async (name: string, o: { role: string; out: string; server?: string }) => {
      if (!(pki.USER_ROLES as readonly string[]).includes(o.role))
        throw new UserFacingError(`--role '${o.role}': expected admin, operator or viewer`, 2);
      if (!pki.NAME_RE.test(name)) throw new UserFacingError(`user '${name}': a user name is letters, digits and '-', at most 63`, 2);
      const cfg = cfgFrom(program.opts());
      const file = resolve(o.out || `${name}.drover.yaml`);
      await withPki(cfg, async (p) => {
        await writeUserBundle(p, {
          name,
          role: o.role as UserRole,
          file,
          serverAddress: o.server ?? (cfg.grpc.advertise || cfg.grpc.listen),
        });
      });
      process.stdout.write(`${name}: ${o.role} bundle written to ${file} (use it with DROVER_CONFIG=${file})\n`);
    });

  program
    .command('revoke <kind> <name>')
    .description('revoke every certificate of an agent or a user (kind: agent|user); refused at once')
    .action(async (kind: string, name: string) => {
      if (kind !== 'agent' && kind !== 'user') throw new UserFacingError(`revoke: kind '${kind}': expected agent or user`, 2);
      const cfg = cfgFrom(program.opts());
      await withPki(cfg, async (p) => {
        const n = await p.revoke(kind, name);
        if (n === 0) throw new UserFacingError(`revoke: no valid certificate of ${kind} '${name}'`);
        await writeNatsConfig(cfg, p);
        process.stdout.write(`${name}: ${n} certificate(s) revoked\n`);
      });
    });

  program
    .command('renew <kind> <name>')
    .description('issue a fresh certificate (kind: agent|user) and revoke the old ones')
    .requiredOption('--out <path>', 'agent: bundle directory; user: bundle file')
    .option('--role <role>', 'user role', 'viewer')
    .action(async (kind: string, name: string, o: { out: string; role: string }) => {
      const cfg = cfgFrom(program.opts());
      await withPki(cfg, async (p) => {
        const old = await p.validSerials(kind === 'agent' ? 'agent' : 'user', name);
        if (kind === 'agent')
          await writeAgentBundle(p, {
            host: name,
            dir: resolve(o.out),
            natsUrl: cfg.nats.url,
            serverAddress: cfg.grpc.advertise || cfg.grpc.listen,
          });
        else if (kind === 'user')
          await writeUserBundle(p, {
            name,
            role: o.role as UserRole,
            file: resolve(o.out),
            serverAddress: cfg.grpc.advertise || cfg.grpc.listen,
          });
        else throw new UserFacingError(`renew: kind '${kind}': expected agent or user`, 2);
        for (const serial of old) await p.revokeSerial(serial);
        await writeNatsConfig(cfg, p);
        process.stdout.write(`${name}: renewed; ${old.length} old certificate(s) revoked\n`);
      });
    });

  program
    .command('nats-config')
    .description("print (or write) the nats-server configuration for this cluster's hosts")
    .option('--out <file>', 'write it to this file')
    .action(async (o: { out?: string }) => {
      const cfg = cfgFrom(program.opts());
      await withPki(cfg, async (p) => {
        const text = natsServerConfig({
          listen: cfg.nats.listen,
          storeDir: join(cfg.stateDir, 'nats', 'jetstream'),
          serverNkey: p.serverNkeyPublic(),
          agents: await p.natsUsers(),
          ...(cfg.nats.pidFile ? { pidFile: cfg.nats.pidFile } : {}),
        });
        if (o.out) writeFileSync(o.out, text, { mode: 0o600 });
        else process.stdout.write(text);
      });
    });

  program
    .command('backup <dir>')
    .description('copy the tables (online, consistent) and the CA into a new folder under <dir>')
    .action(async (dir: string) => {
      const cfg = cfgFrom(program.opts());
      const dest = await backup(cfg.stateDir, resolve(dir));
      process.stdout.write(`backup written to ${dest}\n`);
    });

  runMain('drover-server', async () => {
    try {
      await program.parseAsync(argv, { from: 'user' });
    } catch (e) {
      const ce = e as { code?: string; exitCode?: number };
      if (typeof ce.code === 'string' && ce.code.startsWith('commander.')) {
        return ce.code === 'commander.helpDisplayed' || ce.code === 'commander.version' ? 0 : 2;
      }
      throw e;
    }
  });
}
