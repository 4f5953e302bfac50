/**
 * Scheduler benchmark: plans the evacuation of one 40-guest host in a synthetic cluster of 2,000
 * hosts and 40,000 guests (deterministic generator, seeded).
 *
 *   node packages/server/lib/scheduler/plan.bench.js [--runs 50] [--seed 1] [--hosts 2000] [--guests 40000]
 *
 * Reports three timings: building the ClusterIndex alone; planning on a prebuilt index; and the
 * whole call on a raw snapshot (index build included), which is what `plan_ms` in the final JSON
 * line is.
 */
import { ClusterIndex } from './cluster';
import { planEvacuation } from './plan';
import type { ClusterSnapshot, CpuDescription, GuestInfo, HostInfo, InFlightMove, StorageEntry } from './types';

/** mulberry32: a small seeded PRNG, so the cluster is the same on every run. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const BASE_FEATURES = [
  'sse4.2',
  'popcnt',
  'aes',
  'avx',
  'xsave',
  'f16c',
  'rdrand',
  'fma',
  'bmi1',
  'bmi2',
  'avx2',
  'movbe',
  'invpcid',
  'erms',
];
const CPU_MODELS: CpuDescription[] = [
  { model: 'Haswell-noTSX', features: BASE_FEATURES },
  { model: 'Broadwell', features: [...BASE_FEATURES, 'adx', 'rdseed', 'smap'] },
  {
    model: 'Skylake-Server',
    features: [...BASE_FEATURES, 'adx', 'rdseed', 'smap', 'avx512f', 'avx512dq', 'avx512cd', 'avx512bw', 'avx512vl', 'clwb'],
  },
  {
    model: 'Cascadelake-Server',
    features: [...BASE_FEATURES, 'adx', 'rdseed', 'smap', 'avx512f', 'avx512dq', 'avx512cd', 'avx512bw', 'avx512vl', 'clwb', 'avx512vnni'],
  },
];

export interface SyntheticOptions {
  readonly seed: number;
  readonly hosts: number;
  readonly guests: number;
  /** Guests on the host to evacuate (host index 0). */
  readonly evacuee: number;
}

/** A cluster of racks of 40 hosts; each rack has its own shared NFS store and bridge, plus one cluster-wide Ceph pool. */
export function syntheticCluster(o: SyntheticOptions): { snapshot: ClusterSnapshot; source: string } {
  const rnd = prng(o.seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)] as T;
  const name = (i: number) => `node${String(i).padStart(4, '0')}`;
  const rack = (i: number) => Math.floor(i / 40);
  const hosts: HostInfo[] = [];
  const racks = rack(o.hosts - 1) + 1;
  const storage: StorageEntry[] = [{ url: 'ceph://pool/vm', shared: true, hosts: [] }];
  for (let r = 0; r < racks; r++) {
    const members: string[] = [];
    for (let i = r * 40; i < Math.min(o.hosts, (r + 1) * 40); i++) members.push(name(i));
    storage.push({ url: `nfs://rack${r}/vm`, shared: true, hosts: members });
  }
  for (let i = 0; i < o.hosts; i++) {
    const cpu = CPU_MODELS[Math.min(CPU_MODELS.length - 1, Math.floor(rnd() * 5))] as CpuDescription;
    hosts.push({
      name: name(i),
      state: rnd() < 0.01 ? 'stale' : 'up',
      maintenance: rnd() < 0.01,
      hypervisor: 'kvm',
      memoryTotalMiB: 262144,
      memoryFreeMiB: 262144 - 4096,
      cpus: 64,
      ...(rnd() < 0.05 ? { overrides: { memoryMiB: 196608 } } : {}),
      cpu,
      bridges: ['br0', `br-rack${rack(i)}`, ...(rnd() < 0.5 ? ['br-dmz'] : [])],
      storage: ['ceph://pool/vm', `nfs://rack${rack(i)}/vm`],
    });
  }
  const guests: GuestInfo[] = [];
  for (let g = 0; g < o.guests; g++) {
    const h = g < o.evacuee ? 0 : 1 + Math.floor(rnd() * (o.hosts - 1));
    const onRackStore = rnd() < 0.6;
    const group = g % 10 === 0 ? `grp${Math.floor(g / 30)}` : undefined;
    const guest: GuestInfo = {
      name: `vm${String(g).padStart(5, '0')}`,
      uuid: `00000000-0000-4000-8000-${String(g).padStart(12, '0')}`,
      host: name(h),
      memoryMiB: 1024 * (1 + Math.floor(rnd() * 16)),
      vcpus: 1 + Math.floor(rnd() * 8),
      state: rnd() < 0.95 ? 'running' : 'shutoff',
      disks: [{ device: 'vda', url: onRackStore ? `nfs://rack${rack(h)}/vm/g${g}.qcow2` : `ceph://pool/vm/g${g}` }],
      nicBridges: rnd() < 0.8 ? ['br0'] : ['br0', `br-rack${rack(h)}`],
      ...(group !== undefined ? { antiAffinity: group } : {}),
      ...(rnd() < 0.02
        ? { migrationdest: [name(1 + Math.floor(rnd() * (o.hosts - 1))), name(1 + Math.floor(rnd() * (o.hosts - 1)))] }
        : {}),
      ...(rnd() < 0.3 ? { cpu: pick(CPU_MODELS.slice(0, 3)) } : {}),
    };
    guests.push(guest);
  }
  const inFlight: InFlightMove[] = [];
  for (let k = 0; k < 20; k++) {
    const g = guests[o.evacuee + k * 97];
    if (g) inFlight.push({ guest: g.name, source: g.host, dest: name(1 + ((k * 131) % (o.hosts - 1))) });
  }
  return { snapshot: { hosts, guests, storage, inFlight }, source: name(0) };
}

function stats(xs: number[]): { median: number; p95: number } {
  const s = [...xs].sort((a, b) => a - b);
  const at = (q: number) => s[Math.min(s.length - 1, Math.max(0, Math.ceil(q * s.length) - 1))] ?? NaN;
  return { median: at(0.5), p95: at(0.95) };
}

function arg(args: string[], flag: string, dflt: number): number {
  const i = args.indexOf(flag);
  const v = i >= 0 ? Number(args[i + 1]) : dflt;
  if (!Number.isFinite(v) || v <= 0) throw new Error(`${flag} needs a positive number`);
  return v;
}

const r2 = (x: number) => Math.round(x * 100) / 100;

export async function run(args: string[]): Promise<void> {
  const runs = arg(args, '--runs', 50);
  const o: SyntheticOptions = {
    seed: arg(args, '--seed', 1),
    hosts: arg(args, '--hosts', 2000),
    guests: arg(args, '--guests', 40000),
    evacuee: 40,
  };
  const { snapshot, source } = syntheticCluster(o);

  const time = (f: () => unknown): number => {
    const t0 = performance.now();
    f();
    return performance.now() - t0;
  };
  for (let i = 0; i < 5; i++) planEvacuation(snapshot, source); // warm-up

  const indexMs: number[] = [];
  const indexedMs: number[] = [];
  const fullMs: number[] = [];
  let plan = planEvacuation(snapshot, source);
  for (let i = 0; i < runs; i++) {
    let idx: ClusterIndex | undefined;
    indexMs.push(time(() => (idx = new ClusterIndex(snapshot))));
    indexedMs.push(time(() => planEvacuation(idx as ClusterIndex, source)));
    fullMs.push(time(() => (plan = planEvacuation(snapshot, source))));
  }
  const ix = stats(indexMs);
  const pl = stats(indexedMs);
  const full = stats(fullMs);
  console.log(`scheduler: ${o.hosts} hosts, ${o.guests} guests, evacuating ${source} (${o.evacuee} guests), ${runs} runs, seed ${o.seed}`);
  console.log(
    `  plan: ${plan.moves.length} moves, ${plan.unplaced.length} unplaced, ${plan.warnings.length} warnings, ${plan.moves.filter((m) => m.alternative).length} with alternatives`,
  );
  console.log(`  index build           median ${r2(ix.median)} ms   p95 ${r2(ix.p95)} ms`);
  console.log(`  plan on built index   median ${r2(pl.median)} ms   p95 ${r2(pl.p95)} ms`);
  console.log(`  plan from snapshot    median ${r2(full.median)} ms   p95 ${r2(full.p95)} ms   (index build included; target < 20 ms)`);
  console.log(
    JSON.stringify({
      bench: 'scheduler',
      hosts: o.hosts,
      guests: o.guests,
      plan_ms: r2(full.median),
      plan_p95_ms: r2(full.p95),
      plan_indexed_ms: r2(pl.median),
      plan_indexed_p95_ms: r2(pl.p95),
      index_ms: r2(ix.median),
      runs,
      moves: plan.moves.length,
      unplaced: plan.unplaced.length,
    }),
  );
}

if (require.main === module) {
  run(process.argv.slice(2)).catch((err: unknown) => {
    console.error(`plan.bench: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  });
}
