/** mkvm, rmvm, lsvm and wvid. */
import type { Command } from 'commander';
import { UserFacingError, powerStateWord } from '@drover/contract';
import { withApi } from '../run.js';
import { inlineNoderangeFiles } from './noderange-file.js';
import { checkOutput } from './tables-common.js';
import { streamResults } from './fanout.js';
import { colour, formatAge, printJson, printTable } from '../output.js';

export function register(program: Command): void {
  program
    .command('mkvm')
    .description('define guests on their vm.host and create their disks, without starting them')
    .argument('<noderange>', 'guests')
    .option('-s, --size <size>', 'size of disks created (e.g. 20G); default: from vm.storage, else 4G')
    .option('-o, --output <format>', 'text or json', 'text')
    .action(async (noderange: string, o: { size?: string; output: string }) =>
      withApi(async (api) => {
        checkOutput(o.output);
        process.exitCode = await streamResults(api, 'MkVm', { noderange: inlineNoderangeFiles(noderange), size: o.size ?? '' }, o.output);
      }),
    );

  program
    .command('rmvm')
    .description('undefine guests (a running guest is refused without -f)')
    .argument('<noderange>', 'guests')
    .option('-f, --force', 'power the guest off first')
    .option('-p, --purge', 'also delete its disks')
    .option('-o, --output <format>', 'text or json', 'text')
    .action(async (noderange: string, o: { force?: boolean; purge?: boolean; output: string }) =>
      withApi(async (api) => {
        checkOutput(o.output);
        process.exitCode = await streamResults(
          api,
          'RmVm',
          { noderange: inlineNoderangeFiles(noderange), force: !!o.force, purge: !!o.purge },
          o.output,
        );
      }),
    );

  program
    .command('lsvm')
    .description('guests on one hypervisor host, as its agent reports them (the old xm list)')
    .argument('<host>', 'hypervisor host')
    .option('--live', 'ask the agent now instead of using the last report')
    .option('-o, --output <format>', 'text or json', 'text')
    .action(async (host: string, o: { live?: boolean; output: string }) =>
      withApi(async (api) => {
        checkOutput(o.output);
        const r = await api.call('LsVm', { host, live: !!o.live });
        const rows = r.guests.map((g) => ({
          name: g.name,
          id: g.id,
          memoryMiB: g.memoryMib,
          vcpus: g.vcpus,
          state: powerStateWord(g.state, 'column'),
          reason: g.reason,
          cpuTimeS: Math.round(g.cpuTimeNs / 1e8) / 10,
          managed: g.managed,
        }));
        if (o.output === 'json')
          return printJson({ host: r.host, hostState: r.hostState.replace('HOST_STATE_', '').toLowerCase(), ageMs: r.ageMs, guests: rows });
        if (r.hostState !== 'HOST_STATE_UP')
          process.stderr.write(
            `${host}: host is ${r.hostState.replace('HOST_STATE_', '').toLowerCase()}; showing its last report (${formatAge(r.ageMs)} old)\n`,
          );
        printTable(
          ['NAME', 'ID', 'MEM MiB', 'VCPUS', 'STATE', 'REASON', 'TIME(s)', 'MANAGED'],
          rows.map((g) => [
            g.name,
            g.id < 0 ? '-' : g.id,
            g.memoryMiB,
            g.vcpus,
            colour(g.state),
            g.reason || '-',
            g.cpuTimeS,
            g.managed ? 'yes' : 'no',
          ]),
        );
      }),
    );

  program
    .command('wvid')
    .description('VNC details of guests: host, port and a one-time password (5 minutes)')
    .argument('<noderange>', 'guests')
    .option('--ttl <seconds>', 'how long the one-time password is valid (1 to 3600; default 300)')
    .option('-o, --output <format>', 'text or json', 'text')
    .action(async (noderange: string, o: { ttl?: string; output: string }) =>
      withApi(async (api) => {
        checkOutput(o.output);
        let passwordTtlS = 0;
        if (o.ttl !== undefined) {
          passwordTtlS = Number(o.ttl);
          if (!Number.isInteger(passwordTtlS) || passwordTtlS < 1 || passwordTtlS > 3600)
            throw new UserFacingError(`wvid: --ttl '${o.ttl}': expected whole seconds from 1 to 3600`, 2);
        }
        process.exitCode = await streamResults(api, 'Wvid', { noderange: inlineNoderangeFiles(noderange), passwordTtlS }, o.output);
      }),
    );
}
