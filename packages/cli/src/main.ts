/** `drover`: the admin CLI. Speaks gRPC (mutual TLS) to drover-server only. */
import { Command } from 'commander';
import { basename } from 'node:path';
import { runMain, UserFacingError } from '@drover/contract';
import { VERB_NAMES } from './verbs.js';
import { COMMANDS } from './commands/index.js';

export function buildProgram(): Command {
  const program = new Command('drover').description('drover admin CLI (xCAT verbs and noderanges)').exitOverride();
  for (const register of COMMANDS) register(program);
  return program;
}

export function main(argv: string[]): void {
  // Called as `nodeadd ...` through a link: the link's name is the verb.
  const invoked = basename(process.argv[1] ?? 'drover').replace(/\.js$/, '');
  const args = (VERB_NAMES as readonly string[]).includes(invoked) ? [invoked, ...argv] : argv;
  runMain('drover', async () => {
    try {
      await buildProgram().parseAsync(args, { from: 'user' });
    } catch (e) {
      const ce = e as { code?: string };
      if (typeof ce.code === 'string' && ce.code.startsWith('commander.')) {
        if (ce.code === 'commander.helpDisplayed' || ce.code === 'commander.version' || ce.code === 'commander.help') return 0;
        return 2;
      }
      if (e instanceof UserFacingError) throw e;
      throw e;
    }
  });
}
