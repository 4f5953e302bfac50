import type { Command } from 'commander';
import { withApi } from '../run.js';
import { inlineNoderangeFiles } from './noderange-file.js';
import { callTables, checkOutput, printResults, runTableVerb, NODERANGE_HELP } from './tables-common.js';

const HELP = `
What it writes

  One line per node in drover's block of the server's hosts file (netboot.hostsFile
  under netboot.root): hosts.ip, the node name, <node>.<domain> (the domain of
  the node's network, else site.domain) and hosts.hostnames. Lines outside the
  block are left exactly as they are. Without a noderange: every node.

Examples

  makehosts
  makehosts -l compute
  makehosts -d node05
${NODERANGE_HELP}`;

export function register(program: Command): void {
  program
    .command('makehosts')
    .description("write the nodes' lines into the hosts file (all nodes when no noderange), or remove them with -d")
    .argument('[noderange]', 'the nodes (default: all)')
    .option('-d, --delete', "remove the nodes' lines")
    .option('-l, --longname', 'put <node>.<domain> before <node>')
    .option('-o, --output <format>', 'text or json', 'text')
    .addHelpText('after', HELP)
    .action(async (noderange: string | undefined, o: { delete?: boolean; longname?: boolean; output: string }) =>
      runTableVerb(() =>
        withApi(async (api) => {
          checkOutput(o.output);
          const req = { noderange: noderange ? inlineNoderangeFiles(noderange) : '', delete: !!o.delete, longNameFirst: !!o.longname };
          return printResults(await callTables(api, 'MakeHosts', req), o.output);
        }),
      ),
    );
}
