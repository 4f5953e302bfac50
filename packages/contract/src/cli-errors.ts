import { UserFacingError } from './errors.js';

/**
 * Runs a program's main function: an expected error (bad config, missing certificate,
 * unreachable peer) prints one line naming the problem and the fix, with a non-zero exit code
 * and no stack trace; anything else prints the stack (a bug).
 */
export function runMain(program: string, fn: () => Promise<void | number>): void {
  fn().then(
    (code) => {
      if (typeof code === 'number') process.exitCode = code;
    },
    (err: unknown) => {
      if (err instanceof UserFacingError) {
        process.stderr.write(`${program}: ${err.message}\n`);
        process.exitCode = err.exitCode;
      } else if (
        err &&
        typeof err === 'object' &&
        'code' in err &&
        typeof (err as { code: unknown }).code === 'string' &&
        /^E[A-Z]+$/.test((err as { code: string }).code)
      ) {
        process.stderr.write(`${program}: ${(err as unknown as Error).message}\n`);
        process.exitCode = 1;
      } else {
        process.stderr.write(`${program}: internal error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
        process.exitCode = 70;
      }
    },
  );
}
