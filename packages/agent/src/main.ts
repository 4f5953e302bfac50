/** drover-agent's command line. */
import { Command, Option } from 'commander';
import { createLogger, runMain, background } from '@drover/contract';
import { loadAgentConfig } from './config.js';
import { startAgentRuntime } from './runtime.js';
import { enrollWithToken } from './enroll.js';
import { Connection } from '@drover/libvirt';
import { ensureSetupPool, planSetup, runSetup } from './setup/setup.js';
import { hostClients } from './disks/resolve.js';
import { initiatorIqn, type StorageClients } from './disks/clients.js';
import { SimulatedFleet } from './simulate/index.js';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export function main(argv: string[]): void {
  const program = new Command('drover-agent')
    .description('drover hypervisor host agent')
    .addOption(new Option('-c, --config <file>', 'agent config (YAML)').env('DROVER_AGENT_CONFIG').default('/etc/drover/agent.yaml'))
    .exitOverride();

  program
    .command('run', { isDefault: true })
    .description('run the agent')
    .action(async () => {
      const cfg = loadAgentConfig(program.opts<{ config: string }>().config);
      const log = createLogger('drover-agent', { level: cfg.log.level });
      const agent = await startAgentRuntime(cfg, log);
      const stop = (): void =>
        background(
          'agent stop',
          agent.stop().finally(() => process.exit(0)),
          log,
        );
      process.once('SIGTERM', stop);
      process.once('SIGINT', stop);
      await new Promise(() => undefined);
    });

  program
    .command('enroll')
    .description("exchange a one-time token for this host's certificate and write its config")
    .requiredOption('--server <addr>', "the server's enrolment address (host:port)")
    .requiredOption('--token <token>', 'token from `drover-server enroll <host> --token`')
    .requiredOption('--host <name>', "this host's name (DNS label)")
    .option('--out <dir>', 'where to write agent.yaml and its keys', '/etc/drover')
    .option('--grpc-listen <addr>', 'command listener to write into agent.yaml')
    .option('--libvirt-uri <uri>', 'libvirt URI to write into agent.yaml')
    .action(async (o: { server: string; token: string; host: string; out: string; grpcListen?: string; libvirtUri?: string }) => {
      const file = await enrollWithToken(o);
      process.stdout.write(`${o.host}: enrolled; config written to ${file}\n`);
    });

  program
    .command('setup-hypervisor')
    .description('make this host a drover hypervisor host: storage, iSCSI, relocation config, boot loader (Xen), systemd unit; idempotent')
    .option('--dry-run', 'print every file diff and command; change nothing')
    .option('--root <dir>', 'treat <dir> as / for every file (commands are then shown, not run)')
    .action(async (o: { dryRun?: boolean; root?: string }) => {
      const cfg = loadAgentConfig(program.opts<{ config: string }>().config);
      // The user-space storage path (libnfs check, iscsi-direct pool) where this kernel lacks the
      // clients. Under --root the running kernel says nothing about the image: the kernel's path,
      // unless the configuration says qemu.
      const clients: StorageClients = o.root
        ? { nfs: cfg.storage.nfsClient === 'qemu' ? 'qemu' : 'kernel', iscsi: cfg.storage.iscsiClient === 'qemu' ? 'qemu' : 'kernel' }
        : hostClients(cfg);
      const steps = planSetup(cfg.setup, cfg.storage.nfsMountBase, {
        clients,
        initiatorIqn: initiatorIqn(cfg.storage.initiatorIqn, cfg.host),
      });
      let conn: Connection | undefined;
      try {
        await runSetup(steps, {
          ...(o.root ? { root: o.root } : {}),
          dryRun: !!o.dryRun,
          print: (t) => process.stdout.write(t),
          pool: async (def) => ensureSetupPool((conn ??= await Connection.open(cfg.libvirt.uri)), def),
        });
      } finally {
        await conn?.close();
      }
    });

  program
    .command('simulate')
    .description(
      'SIMULATION: run many simulated hypervisor hosts in this process (libvirt test driver, one enrolment bundle each) for fleet tests and benchmarks',
    )
    .requiredOption(
      '--base-config <dir>',
      'enrolment bundles, one per host: <dir>/<host>/agent.yaml (drover-server enroll <host> --out <dir>/<host>)',
    )
    .option('--count <n>', 'how many hosts (in name order, from --first); default all', (v) => Number(v))
    .option('--first <k>', 'index of the first host to run', (v) => Number(v), 0)
    .option('--hosts <list>', 'run exactly these hosts (comma-separated) instead of --count/--first')
    .option('--state-dir <dir>', 'where host files and migration journals go (default: a new temp dir)')
    .option('--layout <file>', 'JSON {"<host>": [{"name", "memoryMiB", "vcpus", "state"}]} of the guests of each host')
    .option('--guests <n>', 'guests per host, named <host>-NN, when there is no --layout', (v) => Number(v), 20)
    .option('--host-memory-mib <n>', 'memory of each simulated host', (v) => Number(v), 262_144)
    .option('--nats-url <url>', "override the bundles' nats.url")
    .option('--listen-ip <ip>', 'loopback address for the command listeners', '127.0.0.1')
    .option('--heartbeat-ms <ms>', 'heartbeat interval of every host', (v) => Number(v))
    .option('--reconcile-ms <ms>', 'inventory reconcile interval of every host', (v) => Number(v))
    .option('--migration-ms <ms>', 'how long an emulated live migration takes', (v) => Number(v), 2000)
    .option('--facts-ms <ms>', 'how often each host re-reads its facts (a real agent: every heartbeat)', (v) => Number(v), 30_000)
    .option('--start-concurrency <n>', 'hosts started at once', (v) => Number(v), 16)
    .option('--log-level <level>', 'log level', 'warn')
    .action(
      async (o: {
        baseConfig: string;
        count?: number;
        first: number;
        hosts?: string;
        stateDir?: string;
        layout?: string;
        guests: number;
        hostMemoryMib: number;
        natsUrl?: string;
        listenIp: string;
        heartbeatMs?: number;
        reconcileMs?: number;
        migrationMs: number;
        factsMs: number;
        startConcurrency: number;
        logLevel: string;
      }) => {
        const log = createLogger('drover-agent-sim', { level: o.logLevel as 'warn' });
        const fleet = await SimulatedFleet.start(
          {
            baseConfig: o.baseConfig,
            ...(o.count !== undefined ? { count: o.count } : {}),
            first: o.first,
            ...(o.hosts
              ? {
                  hosts: o.hosts
                    .split(',')
                    .map((s) => s.trim())
                    .filter(Boolean),
                }
              : {}),
            stateDir: o.stateDir ?? mkdtempSync(join(tmpdir(), 'drover-sim-')),
            ...(o.layout ? { layout: o.layout } : {}),
            guestsPerHost: o.guests,
            hostMemoryMiB: o.hostMemoryMib,
            ...(o.natsUrl ? { natsUrl: o.natsUrl } : {}),
            listenIp: o.listenIp,
            ...(o.heartbeatMs ? { heartbeatMs: o.heartbeatMs } : {}),
            ...(o.reconcileMs ? { reconcileMs: o.reconcileMs } : {}),
            migrationMs: o.migrationMs,
            factsMs: o.factsMs,
            startConcurrency: o.startConcurrency,
          },
          log,
        );
        const names = [...fleet.hosts.keys()];
        process.stdout.write(`simulate: ${names.length} hosts ready (${names[0]}..${names[names.length - 1]})\n`);
        const stop = (): void =>
          void fleet.stop().then(
            () => process.exit(0),
            () => process.exit(1),
          );
        process.once('SIGTERM', stop);
        process.once('SIGINT', stop);
        await new Promise(() => undefined);
      },
    );

  runMain('drover-agent', async () => {
    try {
      await program.parseAsync(argv, { from: 'user' });
    } catch (e) {
      const ce = e as { code?: string };
      if (typeof ce.code === 'string' && ce.code.startsWith('commander.')) return ce.code === 'commander.helpDisplayed' ? 0 : 2;
      throw e;
    }
  });
}
