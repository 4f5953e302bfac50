/** Network plumbing of a lab: bridge, veth pairs, namespaces, link shaping. All via `ip`/`tc` argv. */
import { run, tryRun } from './exec';

export async function linkExists(name: string, netns?: string): Promise<boolean> {
  const args = netns ? ['ip', '-n', netns, 'link', 'show', 'dev', name] : ['ip', 'link', 'show', 'dev', name];
  return (await tryRun(args, { timeoutMs: 10_000 })) !== null;
}

export async function netnsList(): Promise<string[]> {
  const r = await run(['ip', 'netns', 'list'], { timeoutMs: 10_000 });
  return r.stdout
    .split('\n')
    .map((l) => l.split(' ')[0] ?? '')
    .filter(Boolean);
}

export async function netnsPids(netns: string): Promise<number[]> {
  const r = await tryRun(['ip', 'netns', 'pids', netns], { timeoutMs: 10_000 });
  if (!r) return [];
  return r.stdout
    .split(/\s+/)
    .filter(Boolean)
    .map(Number)
    .filter((n) => Number.isInteger(n) && n > 0);
}

/** IPv4 prefixes (a.b.c) of every address configured in the root namespace. */
export async function rootIpv4Prefixes(): Promise<Set<string>> {
  const r = await run(['ip', '-4', '-o', 'addr', 'show'], { timeoutMs: 10_000 });
  const out = new Set<string>();
  for (const m of r.stdout.matchAll(/inet (\d+\.\d+\.\d+)\.\d+\//g)) if (m[1]) out.add(m[1]);
  return out;
}

export async function createBridge(name: string, ip: string): Promise<void> {
  await run(['ip', 'link', 'add', 'name', name, 'type', 'bridge']);
  await run(['ip', 'addr', 'add', `${ip}/24`, 'dev', name]);
  await run(['ip', 'link', 'set', 'dev', name, 'up']);
}

export async function createNetns(name: string): Promise<void> {
  await run(['ip', 'netns', 'add', name]);
}

/** veth pair with one end in the bridge (root namespace) and the other as `vethHost` inside netns. */
export async function plugHost(opts: {
  netns: string;
  vethRoot: string;
  vethHost: string;
  bridge: string;
  ip: string;
  guestBridge: string;
}): Promise<void> {
  const { netns, vethRoot, vethHost, bridge, ip, guestBridge } = opts;
  await run(['ip', 'link', 'add', 'name', vethRoot, 'type', 'veth', 'peer', 'name', vethHost, 'netns', netns]);
  await run(['ip', 'link', 'set', 'dev', vethRoot, 'master', bridge, 'up']);
  await run(['ip', '-n', netns, 'addr', 'add', `${ip}/24`, 'dev', vethHost]);
  await run(['ip', '-n', netns, 'link', 'set', 'dev', vethHost, 'up']);
  await run(['ip', '-n', netns, 'link', 'set', 'dev', 'lo', 'up']);
  await run(['ip', '-n', netns, 'link', 'add', 'name', guestBridge, 'type', 'bridge']);
  await run(['ip', '-n', netns, 'link', 'set', 'dev', guestBridge, 'up']);
}

export async function deleteLink(name: string): Promise<void> {
  if (await linkExists(name)) await tryRun(['ip', 'link', 'del', 'dev', name], { timeoutMs: 10_000 });
}

export async function deleteNetns(name: string): Promise<void> {
  if ((await netnsList()).includes(name)) await tryRun(['ip', 'netns', 'del', name], { timeoutMs: 10_000 });
}

const RATE = /^\d+(\.\d+)?(bit|kbit|mbit|gbit|bps|kbps|mbps|gbps)$/;

/** Token-bucket limit on both directions of a host's link (root end: into the host; host end: out of it). */
export async function limit(netns: string, vethRoot: string, vethHost: string, rate: string): Promise<void> {
  if (!RATE.test(rate)) throw new Error(`lab: rate '${rate}' must look like 10mbit, 512kbit or 1gbit`);
  const tbf = ['root', 'tbf', 'rate', rate, 'burst', '64kb', 'latency', '400ms'];
  await run(['tc', 'qdisc', 'replace', 'dev', vethRoot, ...tbf]);
  await run(['ip', 'netns', 'exec', netns, 'tc', 'qdisc', 'replace', 'dev', vethHost, ...tbf]);
}

export async function unlimit(netns: string, vethRoot: string, vethHost: string): Promise<void> {
  await tryRun(['tc', 'qdisc', 'del', 'dev', vethRoot, 'root']);
  await tryRun(['ip', 'netns', 'exec', netns, 'tc', 'qdisc', 'del', 'dev', vethHost, 'root']);
}
