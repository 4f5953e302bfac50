/**
 * Safe hypervisor restart: suspend every running guest (and remember exactly which), restart
 * libvirtd with the configured command, wait for libvirt to answer again, resume exactly those
 * guests and check that each runs. A guest that was paused before stays paused. When the restart
 * fails the guests are resumed anyway and the failure is reported.
 */
import { execFile } from 'node:child_process';
import { DomainState, type Connection } from '@drover/libvirt';
import type { Logger } from '@drover/contract';

/** What RestartHypervisor answers (RestartHypervisorResponse). */
export interface RestartResult {
  suspended: string[];
  resumed: string[];
  leftPaused: string[];
  restarted: boolean;
  error: string;
}

/** What the restart needs from the connection manager. */
export interface RestartTarget {
  conn(): Connection;
  /** Resolves once a connection is up (the same one, or a new one after libvirtd came back). */
  waitConnected(timeoutMs: number): Promise<Connection>;
  /** The current connection was found dead: reconnect. */
  lost(reason: string): void;
}

/** Runs the restart; resolves when it finished, rejects when it failed. */
export type RestartRunner = () => Promise<void>;

/** A runner for an argv command (never a shell string). */
export function commandRunner(argv: readonly string[], timeoutMs = 120_000): RestartRunner {
  return () =>
    new Promise((res, rej) => {
      const [cmd, ...args] = argv;
      if (!cmd) {
        rej(new Error('hypervisor.restartCommand is empty'));
        return;
      }
      execFile(cmd, args, { timeout: timeoutMs }, (err, _stdout, stderr) => {
        if (err) rej(new Error(`${argv.join(' ')} failed: ${String(stderr).trim() || err.message}`));
        else res();
      });
    });
}

async function connectionAfter(t: RestartTarget, timeoutMs: number): Promise<Connection> {
  // The old connection may have died with the daemon without the close event having arrived yet.
  let c: Connection | undefined;
  try {
    c = t.conn();
  } catch {
    c = undefined; // already reconnecting
  }
  if (c && !(await c.isAlive().catch(() => false))) t.lost('libvirtd restarted');
  return t.waitConnected(timeoutMs);
}

export async function safeRestart(
  t: RestartTarget,
  run: RestartRunner,
  log: Logger,
  opts: { reconnectTimeoutMs?: number } = {},
): Promise<RestartResult> {
  const out: RestartResult = { suspended: [], resumed: [], leftPaused: [], restarted: false, error: '' };
  const errors: string[] = [];
  const conn = t.conn();
  for (const d of await conn.listAllDomains()) {
    const st = (await d.state()).state;
    if (st === DomainState.PAUSED) {
      out.leftPaused.push(d.name);
    } else if (st === DomainState.RUNNING || st === DomainState.BLOCKED) {
      try {
        await d.suspend();
        out.suspended.push(d.name);
        log.info({ node: d.name }, 'suspended for the hypervisor restart');
      } catch (e) {
        errors.push(`${d.name}: not suspended: ${(e as Error).message}`);
      }
    }
  }
  try {
    await run();
    out.restarted = true;
    log.info({ suspended: out.suspended.length }, 'hypervisor restarted');
  } catch (e) {
    errors.push(`restart: ${(e as Error).message}`);
    log.error({ err: (e as Error).message }, 'hypervisor restart failed; resuming the guests anyway');
  }
  let after: Connection | undefined;
  try {
    after = await connectionAfter(t, opts.reconnectTimeoutMs ?? 60_000);
  } catch (e) {
    errors.push(`reconnect: ${(e as Error).message}`);
  }
  if (after) {
    for (const name of out.suspended) {
      try {
        const d = await after.lookupDomainByName(name);
        if ((await d.state()).state === DomainState.PAUSED) await d.resume();
        const st = await d.state();
        if (st.state === DomainState.RUNNING) {
          out.resumed.push(name);
          log.info({ node: name }, 'resumed after the hypervisor restart');
        } else {
          errors.push(`${name}: ${st.stateName.toLowerCase()} after resume, not running`);
        }
      } catch (e) {
        errors.push(`${name}: not resumed: ${(e as Error).message}`);
      }
    }
  }
  out.leftPaused.sort();
  out.error = errors.join('; ');
  return out;
}
