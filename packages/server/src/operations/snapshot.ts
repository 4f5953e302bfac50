/**
 * The cluster as the scheduler sees it, built from what the server knows: hosts and their facts
 * (heartbeats, `hypervisor` table overrides), guests as the agents report them joined with their
 * tables (vm.memory, storage, nics, migrationdest, antiaffinity), the `storage` table, and the
 * moves already in flight. Policy comes from `site` with documented defaults.
 */
import { parseNicList, parseStorageList, formatDiskSpec } from '@drover/contract';
import type { ServerContext } from '../context.js';
import type { ClusterSnapshot, GuestInfo, GuestState, HostInfo, HypervisorType, InFlightMove, PolicyInput } from '../scheduler/index.js';
import { storageDeclarations } from '../guests/storage.js';
import { isActive } from '../guests/state.js';

function guestState(s: string): GuestState {
  switch (s) {
    case 'POWER_STATE_ON':
    case 'POWER_STATE_BLOCKED':
    case 'POWER_STATE_SHUTTING_DOWN':
      return 'running';
    case 'POWER_STATE_PAUSED':
      return 'paused';
    case 'POWER_STATE_PMSUSPENDED':
      return 'pmsuspended';
    case 'POWER_STATE_OFF':
      return 'shutoff';
    case 'POWER_STATE_CRASHED':
      return 'crashed';
    default:
      return 'unknown';
  }
}

function hvType(t: string | undefined): HypervisorType {
  return t === 'kvm' || t === 'xen' ? t : 'qemu';
}

function num(v: string | undefined): number | undefined {
  const n = v === undefined || v === '' ? NaN : Number(v);
  return Number.isFinite(n) ? n : undefined;
}

export async function sitePolicy(ctx: ServerContext): Promise<PolicyInput> {
  const d = await ctx.tables.dump('site');
  const site = new Map(d.rows.map((r) => [r[d.columns.indexOf('key')]!, r[d.columns.indexOf('value')]!]));
  const p: Record<string, number> = {};
  const set = (k: string, field: string): void => {
    const n = num(site.get(k));
    if (n !== undefined) p[field] = n;
  };
  set('memheadroom', 'memoryHeadroomMiB');
  set('vcpuovercommit', 'vcpuOvercommit');
  set('maxout', 'maxOut');
  set('maxin', 'maxIn');
  set('maxtotal', 'maxTotal');
  return p as PolicyInput;
}

/** site.migrationtls: whether migrations use libvirt's TLS transport (default no). */
export async function siteMigrationTls(ctx: ServerContext): Promise<boolean> {
  const d = await ctx.tables.dump('site');
  const row = d.rows.find((r) => r[d.columns.indexOf('key')] === 'migrationtls');
  return row?.[d.columns.indexOf('value')] === '1';
}

type Reported = { host: string; g: { name: string; state: string } };

/**
 * A guest can be reported by two hosts for a moment (a report lagging a migration, a copy left
 * defined but off on its old host). The scheduler wants one entry per guest: the active copy,
 * and among several the one on the guest's recorded `vm.host`. The duplicate is logged, never
 * allowed to stop a whole plan.
 */
export function oneCopyEach<T extends Reported>(
  recordedHost: (name: string) => string | undefined,
  warn: (fields: object, msg: string) => void,
  reported: T[],
): T[] {
  const byName = new Map<string, T[]>();
  for (const r of reported) {
    const l = byName.get(r.g.name);
    if (l) l.push(r);
    else byName.set(r.g.name, [r]);
  }
  if (byName.size === reported.length) return reported;
  const out: T[] = [];
  for (const [name, copies] of byName) {
    if (copies.length === 1) {
      out.push(copies[0]!);
      continue;
    }
    const recorded = recordedHost(name);
    const rank = (r: T): number => (isActive(r.g.state) ? 2 : 0) + (r.host === recorded ? 1 : 0);
    const best = [...copies].sort((a, b) => rank(b) - rank(a))[0]!;
    warn(
      { node: name, host: best.host, reportedBy: copies.map((c) => `${c.host}:${c.g.state}`) },
      `${name} is reported by ${copies.length} hosts; planning with the copy on ${best.host}`,
    );
    out.push(best);
  }
  return out;
}

/**
 * `focus` names the guests that may move: only they need their table attributes (storage, NICs,
 * migrationdest); every other guest counts for capacity and anti-affinity only, so a plan on a
 * 40,000-guest cluster reads the tables for a few guests, not all of them.
 */
export async function buildSnapshot(
  ctx: ServerContext,
  inFlight: readonly InFlightMove[],
  focus?: ReadonlySet<string>,
): Promise<ClusterSnapshot> {
  const hv = await ctx.tables.dump('hypervisor');
  const at = (name: string): number => hv.columns.indexOf(name);
  const overrides = new Map(hv.rows.map((r) => [r[at('node')]!, { memory: num(r[at('memory')]), cpus: num(r[at('cpus')]) }]));
  const hosts: HostInfo[] = ctx.hosts.all().map((h) => {
    const f = h.facts;
    const o = overrides.get(h.host);
    return {
      name: h.host,
      state: h.state,
      maintenance: h.maintenance,
      hypervisor: hvType(f?.hvType),
      memoryTotalMiB: f?.memoryTotalMib ?? 0,
      memoryFreeMiB: f?.memoryFreeMib ?? 0,
      cpus: f?.cpus ?? 0,
      ...(o && (o.memory !== undefined || o.cpus !== undefined)
        ? { overrides: { ...(o.memory !== undefined ? { memoryMiB: o.memory } : {}), ...(o.cpus !== undefined ? { cpus: o.cpus } : {}) } }
        : {}),
      cpu: { model: f?.cpuModel ?? '', features: f?.cpuFeatures ?? [] },
      bridges: f?.bridges ?? [],
      storage: (f?.pools ?? []).map((p) => `dir://${p.path}`),
    };
  });
  // Table attributes of every managed guest the agents report.
  const all = ctx.inventory.allHosts().flatMap((h) => [...h.guests.values()].map((g) => ({ host: h.host, g })));
  const reportedTwice = new Set<string>();
  const seen = new Set<string>();
  for (const r of all) (seen.has(r.g.name) ? reportedTwice : seen).add(r.g.name);
  const recorded = reportedTwice.size ? await ctx.tables.getMany([...reportedTwice], 'vm.host') : new Map<string, string>();
  const reported = oneCopyEach(
    (n) => recorded.get(n),
    (f, m) => ctx.log.warn(f, m),
    all,
  );
  const known = new Set(await ctx.tables.nodeNames());
  const names = (focus ? [...focus] : reported.map((r) => r.g.name)).filter((n) => known.has(n));
  const attrs = await ctx.tables.nodeAttrs(names);
  const groups = await ctx.tables.values('vm.antiaffinity');
  const guests: GuestInfo[] = [];
  for (const { host, g } of reported) {
    const a = attrs.get(g.name);
    const group = a?.['vm.antiaffinity'] ?? groups.get(g.name);
    let disks: { url: string }[] = [];
    let nicBridges: string[] = [];
    try {
      disks = a?.['vm.storage'] ? parseStorageList(a['vm.storage']).map((d) => ({ url: formatDiskSpec(d) })) : [];
      nicBridges = a?.['vm.nics'] ? parseNicList(a['vm.nics']).flatMap((n) => (n.bridge ? [n.bridge] : [])) : [];
    } catch {
      // invalid values cannot be stored; ignore defensively
    }
    const md = a?.['vm.migrationdest']
      ?.split(',')
      .map((s) => s.trim())
      .filter(Boolean);
    guests.push({
      name: g.name,
      uuid: g.uuid,
      host,
      memoryMiB: g.memoryMib,
      vcpus: g.vcpus,
      state: guestState(g.state),
      disks,
      nicBridges,
      ...(md && md.length ? { migrationdest: md } : {}),
      ...(group ? { antiAffinity: group } : {}),
    });
  }
  const storage = (await storageDeclarations(ctx.tables)).map((d) => ({ url: d.url, shared: d.shared, hosts: d.hosts }));
  return { hosts, guests, storage, inFlight };
}
