/**
 * Runs a command on a pseudo-terminal, as an admin at a shell would: util-linux `script` (Debian's
 * bsdutils, always installed) gives it a pty, copies what we write to the pty (so "\x03" is a real
 * Ctrl-C: the line discipline sends SIGINT) and copies the pty's output back. script runs the
 * command through $SHELL -c; the command is exec'd so no shell stays in the foreground process
 * group: dash (CI's /bin/sh) would die of the SIGINT the command handles, and script would then
 * report 130 for a command that exited 1.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { waitFor } from './procs.js';

export interface Terminal {
  proc: ChildProcess;
  /** Everything the command wrote to the terminal so far (escape sequences included). */
  output(): string;
  /** Types `s` at the terminal. */
  type(s: string): void;
  /** Waits until the output matches. */
  waitFor(what: string, re: RegExp, timeoutMs?: number): Promise<void>;
  /** The command's exit code. */
  exited: Promise<number>;
  kill(): void;
}

const quote = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`;

/** `argv` is quoted word by word into script's command line (fixed test arguments, no user input). */
export function onTerminal(argv: string[], env: NodeJS.ProcessEnv): Terminal {
  const proc = spawn('script', ['-q', '-f', '-e', '-c', `exec ${argv.map(quote).join(' ')}`, '/dev/null'], {
    env: { ...process.env, ...env, SHELL: '/bin/sh', TERM: 'xterm', COLUMNS: '160', LINES: '40' },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let out = '';
  proc.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  proc.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number>((res) => proc.once('exit', (code, sig) => res(code ?? (sig ? 128 : 1))));
  return {
    proc,
    output: () => out,
    type: (s) => void proc.stdin!.write(s),
    waitFor: (what, re, timeoutMs = 60_000) =>
      waitFor(what, () => re.test(out), timeoutMs, 100).then(
        () => undefined,
        (e: Error) => {
          throw new Error(`${e.message}\n--- terminal output ---\n${out.slice(-3000)}`);
        },
      ),
    exited,
    kill: () => void (proc.exitCode === null && proc.kill('SIGKILL')),
  };
}
