/** Small process helpers for the lab: argv arrays only, bounded waits, no shell strings. */
import { execFile, type ExecFileOptions } from 'node:child_process';
import { readFileSync } from 'node:fs';

export interface RunResult {
  stdout: string;
  stderr: string;
}

/** Raised when a lab command exits non-zero; carries the command line and its stderr. */
export class LabCommandError extends Error {
  override readonly name = 'LabCommandError';
  constructor(
    readonly argv: readonly string[],
    readonly code: number | string | null,
    readonly stderr: string,
    readonly stdout: string,
  ) {
    super(`${argv.join(' ')}: ${stderr.trim() || stdout.trim() || `exit ${String(code)}`}`);
  }
}

/** Runs argv[0] with the remaining arguments; rejects with LabCommandError on failure. */
export function run(argv: readonly string[], opts: ExecFileOptions & { timeoutMs?: number } = {}): Promise<RunResult> {
  const [file, ...args] = argv;
  if (!file) return Promise.reject(new Error('run: empty argv'));
  return new Promise((resolve, reject) => {
    execFile(
      file,
      args,
      { maxBuffer: 64 * 1024 * 1024, timeout: opts.timeoutMs ?? 60_000, killSignal: 'SIGKILL', encoding: 'utf8', ...opts },
      (err, stdout, stderr) => {
        const out = String(stdout);
        const errText = String(stderr);
        if (err) {
          const code = (err as NodeJS.ErrnoException & { code?: number | string }).code ?? null;
          reject(new LabCommandError(argv, code, errText || err.message, out));
        } else resolve({ stdout: out, stderr: errText });
      },
    );
  });
}

/** Like run, but resolves to null instead of rejecting (for best-effort cleanup steps). */
export async function tryRun(argv: readonly string[], opts: ExecFileOptions & { timeoutMs?: number } = {}): Promise<RunResult | null> {
  try {
    return await run(argv, opts);
  } catch {
    return null;
  }
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Process start time in clock ticks since boot (field 22 of /proc/<pid>/stat), or null if gone. */
export function procStartTime(pid: number): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // rest[0] is field 3 (state); field 22 is rest[19]
    const v = Number(rest[19]);
    return Number.isFinite(v) ? v : null;
  } catch {
    return null;
  }
}

/** True if the process exists and is not a zombie. */
export function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    return state !== 'Z' && state !== 'X';
  } catch {
    return false;
  }
}

/** True if pid is alive and is still the process that had this start time. */
export function sameProcess(pid: number, start: number | undefined): boolean {
  if (!alive(pid)) return false;
  return start === undefined || procStartTime(pid) === start;
}

/** Polls until check() returns a value other than undefined/false, or the deadline passes. */
export async function waitFor<T>(
  what: string,
  timeoutMs: number,
  check: () => Promise<T | undefined | false> | T | undefined | false,
  everyMs = 50,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastErr: unknown;
  for (;;) {
    try {
      const v = await check();
      if (v !== undefined && v !== false) return v;
    } catch (err) {
      lastErr = err;
    }
    if (Date.now() >= deadline) {
      const why = lastErr instanceof Error ? `: ${lastErr.message}` : '';
      throw new Error(`lab: timed out after ${timeoutMs} ms waiting for ${what}${why}`);
    }
    await sleep(everyMs);
  }
}
