/**
 * Small shared helpers for the benchmarks: medians and percentiles, wall-timed child processes,
 * the lab to run on, server/agent log lines (pino JSON) and operation timelines.
 */
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { attachLab, startLab, type Lab } from '../lab';
import { BIN } from '../support/procs.js';

export function median(xs: readonly number[]): number {
  if (!xs.length) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2;
}

/** Nearest-rank percentile (p in 0..100). */
export function percentile(xs: readonly number[], p: number): number {
  if (!xs.length) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))] as number;
}

export const r2 = (x: number): number => Math.round(x * 100) / 100;
export const r3 = (x: number): number => Math.round(x * 1000) / 1000;

export interface Timed {
  ms: number;
  code: number | null;
  stdout: string;
  stderr: string;
  startMs: number;
  endMs: number;
}

/**
 * Runs a command to completion and times it as the admin sees it: from just before spawn to the
 * child's exit (its start-up included). `startMs`/`endMs` are wall-clock (Date.now) for lining the
 * run up with log timestamps.
 */
export function timed(cmd: string, args: string[], opts: { env?: NodeJS.ProcessEnv; timeoutMs?: number } = {}): Promise<Timed> {
  return new Promise((res) => {
    const startMs = Date.now();
    const t0 = process.hrtime.bigint();
    const child = spawn(cmd, args, { env: { ...process.env, ...opts.env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const t = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 300_000);
    child.on('exit', (code) => {
      const ms = Number(process.hrtime.bigint() - t0) / 1e6;
      const endMs = Date.now();
      clearTimeout(t);
      // stdio may still be flushing; wait for close for the text, not for the time
      child.on('close', () => res({ ms, code, stdout, stderr, startMs, endMs }));
    });
  });
}

/** The drover CLI as a timed child process with a bundle. */
export function timedCli(bundle: string, args: string[], timeoutMs = 300_000): Promise<Timed> {
  return timed(process.execPath, [BIN.cli, ...args], { env: { DROVER_CONFIG: bundle }, timeoutMs });
}

/**
 * The lab named by DROVER_LAB_ID (must have `hosts` hosts, and TLS when `tls`), or a new one
 * stopped by `release`.
 */
export async function acquireLab(
  hosts: number,
  name: string,
  o: { tls?: boolean } = {},
): Promise<{ lab: Lab; release: () => Promise<void> }> {
  if (process.env.DROVER_LAB_ID) {
    const lab = attachLab(process.env.DROVER_LAB_ID);
    if (lab.hosts.length < hosts) throw new Error(`bench ${name}: lab ${lab.id} has ${lab.hosts.length} hosts; needs ${hosts}`);
    if (o.tls && !lab.tls)
      throw new Error(`bench ${name}: lab ${lab.id} is not a TLS lab; start one with npm run lab -- up --tls, or unset DROVER_LAB_ID`);
    return { lab, release: async () => undefined };
  }
  console.log(`bench ${name}: starting a ${hosts}-host${o.tls ? ' TLS' : ''} lab`);
  const lab = await startLab({ hosts, ...(o.tls ? { tls: true } : {}) });
  return { lab, release: async () => void (await lab.stop()) };
}

/** pino JSON lines of a log file (time as epoch ms), optionally only those after `sinceMs`. */
export interface LogLine {
  t: number;
  msg: string;
  [k: string]: unknown;
}
export function logLines(file: string, sinceMs = 0): LogLine[] {
  if (!existsSync(file)) return [];
  const out: LogLine[] = [];
  for (const l of readFileSync(file, 'utf8').split('\n')) {
    if (!l.startsWith('{')) continue;
    try {
      const o = JSON.parse(l) as Record<string, unknown>;
      const t = typeof o.time === 'string' ? Date.parse(o.time) : Number(o.time);
      if (t >= sinceMs) out.push({ ...o, t, msg: String(o.msg ?? '') });
    } catch {
      // not a log line
    }
  }
  return out;
}

export interface OpStep {
  id: string;
  guest: string;
  source: string;
  dest: string;
  state: string;
  error: string;
  startedMs: number;
  finishedMs: number;
  attempt: number;
}
export interface Op {
  id: string;
  kind: string;
  state: string;
  createdMs: number;
  finishedMs: number;
  summary: string;
  steps: OpStep[];
  unplaced: string[];
}

/** `operation op-...` in the CLI's text output. */
export function opIdOf(stdout: string): string | undefined {
  return /operation (op-[0-9a-z]+-[0-9a-f]+)/.exec(stdout)?.[1];
}

export function rssMb(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : NaN;
}

export function fmtS(ms: number): string {
  return `${(ms / 1000).toFixed(2)}s`;
}
