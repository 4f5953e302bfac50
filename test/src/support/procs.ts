/**
 * Test support: real processes started by PID and stopped by that PID (never by name), free
 * loopback ports, temp directories, and a bounded wait.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, openSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

export const REPO = resolve(__dirname, '../../..');
export const BIN = {
  server: join(REPO, 'packages/server/bin/drover-server.js'),
  agent: join(REPO, 'packages/agent/bin/drover-agent.js'),
  cli: join(REPO, 'packages/cli/bin/drover.js'),
};

export function tempDir(prefix = 'drover-test-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

export function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((res, rej) => {
    const s = createServer();
    s.once('error', rej);
    s.listen(0, host, () => {
      const a = s.address();
      s.close(() => res(typeof a === 'object' && a ? a.port : 0));
    });
  });
}

export async function waitFor<T>(
  what: string,
  fn: () => Promise<T | undefined | false> | T | undefined | false,
  timeoutMs = 15_000,
  everyMs = 100,
): Promise<T> {
  const end = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v !== undefined && v !== false) return v as T;
    } catch (e) {
      last = e;
    }
    if (Date.now() > end)
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? ` (last error: ${(last as Error).message})` : ''}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/** A started child process with its log file; `stop()` kills exactly this PID. */
export class Proc {
  readonly exited: Promise<number | null>;
  constructor(
    readonly name: string,
    readonly child: ChildProcess,
    readonly logFile: string,
  ) {
    this.exited = new Promise((res) => child.once('exit', (code) => res(code)));
  }
  get pid(): number {
    return this.child.pid ?? -1;
  }
  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }
  kill(sig: NodeJS.Signals = 'SIGTERM'): void {
    if (this.running) this.child.kill(sig);
  }
  async stop(timeoutMs = 5000): Promise<void> {
    if (!this.running) return;
    this.child.kill('SIGTERM');
    const t = setTimeout(() => this.child.kill('SIGKILL'), timeoutMs);
    await this.exited;
    clearTimeout(t);
  }
}

export function startProc(name: string, cmd: string, args: string[], opts: { dir: string; env?: NodeJS.ProcessEnv; cwd?: string }): Proc {
  const logFile = join(opts.dir, `${name}.log`);
  const fd = openSync(logFile, 'a');
  const child = spawn(cmd, args, { cwd: opts.cwd ?? opts.dir, env: { ...process.env, ...opts.env }, stdio: ['ignore', fd, fd] });
  return new Proc(name, child, logFile);
}

export interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
}
/** Runs a command to completion (argv, never a shell string). */
export function run(
  cmd: string,
  args: string[],
  opts: { env?: NodeJS.ProcessEnv; input?: string; timeoutMs?: number; cwd?: string } = {},
): Promise<RunResult> {
  return new Promise((res) => {
    const child = spawn(cmd, args, { cwd: opts.cwd, env: { ...process.env, ...opts.env }, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const t = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 60_000);
    child.on('close', (code) => {
      clearTimeout(t);
      res({ code, stdout, stderr });
    });
    child.stdin.end(opts.input ?? '');
  });
}

export function cleanupDir(dir: string): void {
  if (!process.env.DROVER_KEEP_TEST_DIRS) rmSync(dir, { recursive: true, force: true });
}
