import type { Command } from 'commander';
import { UserFacingError, type PowerAction } from '@drover/contract';
import { withApi } from '../run.js';
import { inlineNoderangeFiles } from './noderange-file.js';
import { checkOutput, NODERANGE_HELP } from './tables-common.js';
import { streamResults } from './fanout.js';

const ACTIONS: Record<string, PowerAction> = {
  on: 'POWER_ACTION_ON',
  off: 'POWER_ACTION_OFF',
  softoff: 'POWER_ACTION_SOFTOFF',
  reset: 'POWER_ACTION_RESET',
  reboot: 'POWER_ACTION_REBOOT',
  boot: 'POWER_ACTION_BOOT',
  stat: 'POWER_ACTION_STAT',
  state: 'POWER_ACTION_STAT',
  suspend: 'POWER_ACTION_SUSPEND',
  resume: 'POWER_ACTION_RESUME',
};

export function register(program: Command): void {
  program
    .command('rpower')
    .description('power guests: on, off (destroy), softoff (ACPI), reset, reboot, boot, suspend, resume, stat')
    .argument('<noderange>', 'guests')
    .argument('<action>', Object.keys(ACTIONS).join('|'))
    .option('--live', 'stat: ask the agents instead of the reported inventory')
    .option('-t, --timeout <seconds>', 'softoff: how long to wait for the guest to stop', '60')
    .option('--fanout <n>', 'agent calls in flight at once', '64')
    .option('-o, --output <format>', 'text or json', 'text')
    .addHelpText(
      'after',
      `\nA guest is first defined on its vm.host by its first 'on' (MAC and disks created as needed).\nstat answers from what the agents report: on, off, paused, crashed, or unknown when the host is\nstale or down (with the reason).\n\n${NODERANGE_HELP}`,
    )
    .action(async (noderange: string, action: string, o: { live?: boolean; timeout: string; fanout: string; output: string }) =>
      withApi(async (api) => {
        checkOutput(o.output);
        const a = ACTIONS[action];
        if (!a) throw new UserFacingError(`rpower: action '${action}': expected one of ${Object.keys(ACTIONS).join(', ')}`, 2);
        const timeout = Number(o.timeout);
        const fanout = Number(o.fanout);
        if (!Number.isInteger(timeout) || timeout <= 0) throw new UserFacingError(`--timeout '${o.timeout}': expected whole seconds`, 2);
        if (!Number.isInteger(fanout) || fanout <= 0) throw new UserFacingError(`--fanout '${o.fanout}': expected a positive number`, 2);
        const req = {
          noderange: inlineNoderangeFiles(noderange),
          action: a,
          live: !!o.live,
          timeoutMs: timeout * 1000,
          concurrency: fanout,
        };
        process.exitCode = await streamResults(api, a === 'POWER_ACTION_STAT' ? 'PowerStat' : 'Power', req, o.output, { expect: 100 });
      }),
    );
}
