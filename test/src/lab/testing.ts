/**
 * Test helpers that look at the machine directly (not at the lab's state file) to prove a lab is
 * gone: take a footprint while it runs, check the footprint after teardown.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { run, sleep } from './exec';
import { qemuPids, type Lab, type LabHost } from './lab';
import { readCount } from './guest';

export interface LabFootprint {
  dir: string;
  namespaces: string[];
  links: string[];
  pids: number[];
}

export async function footprint(lab: Lab): Promise<LabFootprint> {
  const pids: number[] = [];
  for (const h of lab.hosts) {
    if (h.pid) pids.push(h.pid);
    pids.push(...(await qemuPids(h)));
  }
  return { dir: lab.dir, namespaces: lab.hosts.map((h) => h.netns), links: [lab.bridge, ...lab.hosts.map((h) => h.vethRoot)], pids };
}

function pidAlive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return !/^\S+ \(.*\) [ZX] /s.test(stat);
  } catch {
    return false;
  }
}

/** What of the footprint still exists: namespaces, links, mounts (in any process), processes, the directory. */
export async function remains(fp: LabFootprint): Promise<string[]> {
  const out: string[] = [];
  const ns = (await run(['ip', 'netns', 'list'])).stdout;
  for (const n of fp.namespaces) if (new RegExp(`^${n}( |$)`, 'm').test(ns) || existsSync(`/run/netns/${n}`)) out.push(`namespace ${n}`);
  const links = (await run(['ip', '-o', 'link', 'show'])).stdout;
  for (const l of fp.links) if (links.includes(` ${l}:`) || links.includes(` ${l}@`)) out.push(`link ${l}`);
  for (const p of fp.pids) if (pidAlive(p)) out.push(`process ${p}`);
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d) || Number(d) === process.pid) continue;
    try {
      if (readFileSync(`/proc/${d}/mountinfo`, 'utf8').includes(fp.dir)) out.push(`mount of ${fp.dir} seen by process ${d}`);
      const cmd = readFileSync(`/proc/${d}/cmdline`, 'utf8');
      if (cmd.includes(fp.dir) && pidAlive(Number(d))) out.push(`process ${d} running from ${fp.dir}`);
    } catch {
      /* exited */
    }
  }
  if (existsSync(fp.dir)) out.push(`directory ${fp.dir}`);
  return out;
}

/** Waits until guest `name` has printed at least `min` counts (bounded). */
export async function waitForCount(host: LabHost | Lab, name: string, min: number, timeoutMs = 30_000): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const c = readCount(host, name);
    if (c !== null && c >= min) return c;
    if (Date.now() > deadline) throw new Error(`guest ${name} printed no count >= ${min} within ${timeoutMs} ms (last ${String(c)})`);
    await sleep(100);
  }
}

/** Reads the guest's count `n` times, `everyMs` apart. */
export async function sampleCounts(host: LabHost | Lab, name: string, n: number, everyMs: number): Promise<Array<number | null>> {
  const out: Array<number | null> = [];
  for (let i = 0; i < n; i += 1) {
    if (i) await sleep(everyMs);
    out.push(readCount(host, name));
  }
  return out;
}

/** `virsh domstate` of a guest, or null if the host does not know it. */
export async function domState(host: LabHost, name: string): Promise<string | null> {
  try {
    return (await run(['virsh', '-c', host.socketUri, 'domstate', name])).stdout.trim();
  } catch {
    return null;
  }
}
