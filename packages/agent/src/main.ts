/** drover-agent's command line. */
import { Command, Option } from 'commander';
import { createLogger, runMain } from '@drover/contract';
import { loadAgentConfig } from './config.js';
import { startAgentRuntime } from './runtime.js';
import { enrollWithToken } from './enroll.js';
import { planSetup, runSetup } from './setup/setup.js';

export function main(argv: string[]): void {
  const program = new Command('drover-agent')
    .description('drover hypervisor host agent')
    .addOption(new Option('-c, --config <file>', 'agent config (YAML)').env('DROVER_AGENT_CONFIG').default('/etc/drover/agent.yaml'))
    .exitOverride();

  program.command('run', { isDefault: true }).description('run the agent').action(async () => {
    const cfg = loadAgentConfig(program.opts<{ config: string }>().config);
    const log = createLogger('drover-agent', { level: cfg.log.level });
    const agent = await startAgentRuntime(cfg, log);
    const stop = (): void => void agent.stop().then(() => process.exit(0));
    process.once('SIGTERM', stop);
    process.once('SIGINT', stop);
    await new Promise(() => undefined);
  });

  program.command('enroll').description('exchange a one-time token for this host\'s certificate and write its config')
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

  program.command('setup-hypervisor').description('make this host a drover hypervisor host: storage, iSCSI, relocation config, boot loader (Xen), systemd unit; idempotent')
    .option('--dry-run', 'print every file diff and command; change nothing')
    .option('--root <dir>', 'treat <dir> as / for every file (commands are then shown, not run)')
    .action(async (o: { dryRun?: boolean; root?: string }) => {
      const cfg = loadAgentConfig(program.opts<{ config: string }>().config);
      const steps = planSetup(cfg.setup, cfg.storage.nfsMountBase);
      await runSetup(steps, { ...(o.root ? { root: o.root } : {}), dryRun: !!o.dryRun, print: (t) => process.stdout.write(t) });
    });

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
