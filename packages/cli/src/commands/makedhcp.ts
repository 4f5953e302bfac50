import type { Command } from 'commander';
import { withApi } from '../run.js';
import { inlineNoderangeFiles } from './noderange-file.js';
import { callTables, checkOutput, printResults, runTableVerb, NODERANGE_HELP } from './tables-common.js';

const HELP = `
What it writes (under the server's netboot.root; netboot.dhcp picks ISC dhcpd, dnsmasq or both)

  -n            the subnets of the networks table and the site options
                (site.master, site.domain, site.nameservers, site.dhcplease)
  <noderange>   one host entry per node: mac.mac, hosts.ip, noderes.netboot
  -d            removes the nodes' host entries

  Each file is checked with the daemon's own checker (dhcpd -t, dnsmasq --test)
  before it replaces the live one, then the server runs netboot.dhcpReload.
  Prints "node: done" or "node: <reason>"; exits 1 when any node failed.

Examples

  makedhcp -n
  makedhcp compute
  makedhcp -d node05
${NODERANGE_HELP}`;

export function register(program: Command): void {
  program
    .command('makedhcp')
    .description('write DHCP entries: makedhcp -n (networks), makedhcp <noderange> (hosts), makedhcp -d <noderange> (remove)')
    .argument('[noderange]', 'the nodes whose host entries to write (or remove with -d)')
    .option('-n, --networks', 'write the subnets from the networks table and the site options')
    .option('-a, --all', 'every defined node')
    .option('-d, --delete', "remove the nodes' host entries")
    .option('-o, --output <format>', 'text or json', 'text')
    .addHelpText('after', HELP)
    .action(async (noderange: string | undefined, o: { networks?: boolean; all?: boolean; delete?: boolean; output: string }) =>
      runTableVerb(() =>
        withApi(async (api) => {
          checkOutput(o.output);
          const req = {
            noderange: noderange ? inlineNoderangeFiles(noderange) : '',
            networks: !!o.networks,
            delete: !!o.delete,
            all: !!o.all,
          };
          return printResults(await callTables(api, 'MakeDhcp', req), o.output);
        }),
      ),
    );
}
