import type { Command } from 'commander';
import { withApi } from '../run.js';
import { colour, formatAge, printJson, printTable } from '../output.js';

const STATE: Record<string, string> = { HOST_STATE_UP: 'up', HOST_STATE_STALE: 'stale', HOST_STATE_DOWN: 'down' };

export function register(program: Command): void {
  program
    .command('lshosts')
    .description('list hypervisor hosts: state (up/stale/down from heartbeats), address, last seen')
    .argument('[hosts]', 'comma-separated host names (default: all)')
    .option('-o, --output <format>', 'text or json', 'text')
    .action(async (hosts: string | undefined, o: { output: string }) =>
      withApi(async (api) => {
        const r = await api.call('ListHosts', { noderange: hosts ?? '' });
        const rows = r.hosts.map((h) => ({
          host: h.name,
          state: STATE[h.state] ?? 'unknown',
          address: h.address,
          lastSeenAgeMs: h.lastSeenMs ? h.ageMs : null,
          libvirt: h.libvirtReachable ? 'ok' : h.libvirtError || 'unreachable',
          maintenance: h.maintenance,
          memoryMiB: h.facts?.memoryTotalMib ?? 0,
          freeMiB: h.facts?.memoryFreeMib ?? 0,
          cpus: h.facts?.cpus ?? 0,
        }));
        if (o.output === 'json') return printJson(rows);
        printTable(
          ['HOST', 'STATE', 'ADDRESS', 'LAST SEEN', 'LIBVIRT', 'MEM MiB', 'FREE MiB', 'CPUS'],
          rows.map((h) => [
            h.host,
            colour(h.state) + (h.maintenance ? ' (maint)' : ''),
            h.address || '-',
            h.lastSeenAgeMs === null ? 'never' : `${formatAge(h.lastSeenAgeMs)} ago`,
            h.libvirt,
            // No facts yet (libvirt just connected): '-' rather than a misleading 0.
            ...(h.cpus ? [h.memoryMiB, h.freeMiB, h.cpus] : ['-', '-', '-']),
          ]),
        );
      }),
    );
}
