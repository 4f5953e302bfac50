/**
 * Service reload after a config change. The command comes from drover's config as an argv array
 * (e.g. ["systemctl", "reload", "isc-dhcp-server"]) and runs without a shell, so no value in it is
 * ever interpreted by one.
 */
import { execFile } from 'node:child_process';
import { ReloadError } from './errors.js';

export interface ReloadOptions {
  /** Kill the command after this long; default 30 s. */
  timeoutMs?: number;
}

export interface ReloadResult {
  stdout: string;
  stderr: string;
}

function shown(argv: readonly string[]): string {
  return argv.map((a) => (/^[A-Za-z0-9_./:=,@+-]+$/.test(a) ? a : JSON.stringify(a))).join(' ');
}

/** Runs `argv` with execFile; resolves on exit 0, rejects with ReloadError otherwise. */
export function runReload(argv: readonly string[], opts: ReloadOptions = {}): Promise<ReloadResult> {
  if (!Array.isArray(argv) || argv.length === 0 || !argv.every((a) => typeof a === 'string' && !a.includes('\0')) || argv[0] === '') {
    const got = typeof argv === 'string' ? `the string ${JSON.stringify(argv)}` : JSON.stringify(argv);
    return Promise.reject(
      new ReloadError(
        [],
        null,
        null,
        '',
        `reload command must be a non-empty argv array of strings (e.g. ["systemctl", "reload", "isc-dhcp-server"]), got ${got}`,
      ),
    );
  }
  const timeout = opts.timeoutMs ?? 30_000;
  if (!Number.isInteger(timeout) || timeout <= 0) {
    return Promise.reject(
      new ReloadError(
        [...argv],
        null,
        null,
        '',
        `reload timeout must be a positive whole number of milliseconds, got ${String(opts.timeoutMs)}`,
      ),
    );
  }
  const [file, ...args] = argv as [string, ...string[]];
  return new Promise((resolve, reject) => {
    execFile(file, args, { timeout, killSignal: 'SIGKILL', maxBuffer: 1 << 20, encoding: 'utf8', shell: false }, (err, stdout, stderr) => {
      if (!err) return resolve({ stdout, stderr });
      const e = err as NodeJS.ErrnoException & { code?: string | number; killed?: boolean; signal?: NodeJS.Signals | null };
      const cmd = shown(argv);
      if (e.code === 'ERR_CHILD_PROCESS_STDIO_MAXBUFFER') {
        return reject(
          new ReloadError(
            [...argv],
            null,
            e.signal ?? null,
            stderr,
            `reload command ${cmd} wrote more than 1 MiB of output and was stopped`,
            err,
          ),
        );
      }
      if (typeof e.code === 'string') {
        return reject(new ReloadError([...argv], null, null, stderr, `reload command ${cmd} could not start: ${e.code}`, err));
      }
      if (e.killed && e.signal) {
        return reject(
          new ReloadError([...argv], null, e.signal, stderr, `reload command ${cmd} timed out after ${timeout} ms and was killed`, err),
        );
      }
      const exit = typeof e.code === 'number' ? e.code : null;
      const first = stderr.trim().split('\n').slice(-3).join(' | ');
      const how = exit !== null ? `exited with code ${exit}` : `was killed by ${e.signal ?? 'a signal'}`;
      return reject(
        new ReloadError([...argv], exit, e.signal ?? null, stderr, `reload command ${cmd} ${how}${first ? `: ${first}` : ''}`, err),
      );
    });
  });
}
