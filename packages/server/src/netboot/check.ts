/**
 * Syntax checks of generated DHCP configs before they replace the live file: the candidate is
 * written beside the live file and handed to the daemon's own checker (`dhcpd -t -cf`,
 * `dnsmasq --test`). No shell is involved.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';

export interface CheckResult {
  ok: boolean;
  /** The checker's own words about the problem (boilerplate dropped), when !ok. */
  problem: string;
}

// dhcpd prints its banner and file locations even on success; they say nothing about the problem
const BOILERPLATE =
  /^(Internet Systems Consortium|Copyright|All rights reserved|For info, please visit|Config file:|Database file:|PID file:|ldap|Source compiled|Wrote \d+|dnsmasq: syntax check OK)/;

/** Runs `argv`; ok when it exits 0. Never throws: a checker that cannot start is a failed check. */
export function runCheck(argv: readonly string[], timeoutMs = 20_000): Promise<CheckResult> {
  const [file, ...args] = argv as [string, ...string[]];
  return new Promise((resolve) => {
    execFile(
      file,
      args,
      { timeout: timeoutMs, killSignal: 'SIGKILL', maxBuffer: 1 << 20, encoding: 'utf8', shell: false },
      (err, stdout, stderr) => {
        if (!err) return resolve({ ok: true, problem: '' });
        const lines = `${stderr}\n${stdout}`
          .split('\n')
          .map((l) => l.trim())
          .filter((l) => l !== '' && !BOILERPLATE.test(l));
        const code = (err as { code?: unknown }).code;
        const how =
          typeof code === 'string' ? `could not start (${code})` : `exited with ${String(code ?? (err as { signal?: unknown }).signal)}`;
        resolve({ ok: false, problem: lines.slice(0, 4).join(' | ') || how });
      },
    );
  });
}

/**
 * Writes `content` to a scratch file next to `target` and runs `argvFor(scratch)` on it. The
 * scratch file is removed afterwards. Returns ok without running anything when `bin` is '' or
 * not installed.
 */
export async function checkCandidate(
  bin: string,
  target: string,
  content: Buffer,
  argvFor: (file: string, bin: string) => string[],
): Promise<CheckResult & { ran: boolean }> {
  if (bin === '' || !existsSync(bin)) return { ok: true, problem: '', ran: false };
  mkdirSync(dirname(target), { recursive: true });
  const scratch = join(dirname(target), `.${basename(target)}.drover-check-${process.pid}`);
  writeFileSync(scratch, content, { mode: 0o600 });
  try {
    return { ...(await runCheck(argvFor(scratch, bin))), ran: true };
  } finally {
    rmSync(scratch, { force: true });
  }
}
