/**
 * Property tests on random clusters. The capacity reference below is written from the documented
 * rules (cluster.ts, policy.ts), not by calling the scheduler's own accounting.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { checkMove, movable } from './check';
import { planEvacuation, planMoves } from './plan';
import { resolvePolicy, type Policy, type PolicyInput } from './policy';
import { simulateSchedule } from './schedule';
import type { ClusterSnapshot, CpuDescription, GuestInfo, HostInfo, InFlightMove, Plan, StorageEntry } from './types';

const CPUS: CpuDescription[] = [
  { model: 'Haswell', features: ['avx2', 'aes'] },
  { model: 'Skylake-Server', features: ['avx2', 'aes', 'avx512f'] },
  { model: 'Nehalem', features: ['sse4.2'] },
  { model: 'EPYC-Rome', features: ['avx2', 'aes', 'sha-ni'] },
];
const BRIDGES = ['br0', 'br1', 'br2'];
const URLS = ['nfs://a/vm', 'nfs://b/vm', 'iscsi://c/lun'];
const GROUPS = ['ga', 'gb', 'gc'];

const hostName = (i: number) => `h${i}`;

interface Raw {
  hosts: HostInfo[];
  guests: GuestInfo[];
  storage: StorageEntry[];
  inFlight: InFlightMove[];
}

const subset = <T>(xs: readonly T[]) => fc.subarray([...xs]);
/** `arb` once in `every` draws, null otherwise. */
const onceIn = <T>(every: number, arb: fc.Arbitrary<T>): fc.Arbitrary<T | null> =>
  fc.oneof({ weight: every - 1, arbitrary: fc.constant(null) }, { weight: 1, arbitrary: arb });

/**
 * Random clusters. `healthy` ones have every host up, kvm and out of maintenance and every guest
 * running, so plans are long and the pacing properties see many moves; the others mix in every
 * way a host or guest can be refused.
 */
const arbClusterOf = (healthy: boolean): fc.Arbitrary<ClusterSnapshot> =>
  fc.integer({ min: 2, max: 10 }).chain((nHosts) => {
    const names = Array.from({ length: nHosts }, (_, i) => hostName(i));
    const arbHost = (name: string) =>
      fc
        .record({
          state: fc.oneof({ weight: 10, arbitrary: fc.constant('up') }, fc.constant('stale'), fc.constant('down')),
          maint: fc.integer({ min: 0, max: 15 }),
          hypervisor: fc.oneof({ weight: 9, arbitrary: fc.constant('kvm') }, fc.constant('xen')),
          total: fc.integer({ min: 8, max: 96 }),
          freeFrac: fc.integer({ min: 30, max: 100 }),
          override: onceIn(5, fc.integer({ min: 4, max: 96 })),
          cpus: fc.integer({ min: 2, max: 24 }),
          cpuOverride: onceIn(5, fc.integer({ min: 1, max: 24 })),
          cpu: fc.oneof({ weight: 6, arbitrary: fc.constant(CPUS[1] as CpuDescription) }, fc.constantFrom(...CPUS)),
          bridges: subset(BRIDGES.slice(1)).map((b) => ['br0', ...b]),
          storage: subset(URLS),
        })
        .map((r): HostInfo => {
          const overrides =
            r.override !== null || r.cpuOverride !== null
              ? {
                  ...(r.override !== null ? { memoryMiB: r.override * 1024 } : {}),
                  ...(r.cpuOverride !== null ? { cpus: r.cpuOverride } : {}),
                }
              : undefined;
          return {
            name,
            state: healthy ? 'up' : (r.state as HostInfo['state']),
            maintenance: !healthy && r.maint === 0,
            hypervisor: healthy ? 'kvm' : (r.hypervisor as HostInfo['hypervisor']),
            memoryTotalMiB: (healthy ? 4 : 1) * r.total * 1024,
            memoryFreeMiB: healthy ? 4 * r.total * 1024 : Math.floor((r.total * 1024 * r.freeFrac) / 100),
            cpus: healthy ? r.cpus * 2 : r.cpus,
            cpu: r.cpu,
            bridges: r.bridges,
            storage: r.storage,
            ...(overrides ? { overrides } : {}),
          };
        });
    const arbGuest = (i: number) =>
      fc
        .record({
          host: fc.integer({ min: 0, max: nHosts - 1 }),
          mem: fc.integer({ min: 1, max: 16 }),
          vcpus: fc.integer({ min: 1, max: 8 }),
          state: fc.oneof(
            { weight: 12, arbitrary: fc.constant('running') },
            fc.constantFrom('paused', 'shutoff', 'crashed', 'unknown', 'pmsuspended'),
          ),
          disks: fc.array(fc.constantFrom(...URLS, '/var/lib/libvirt/images'), { maxLength: 2 }),
          nics: fc.oneof({ weight: 4, arbitrary: fc.constant(['br0']) }, { weight: 1, arbitrary: subset(BRIDGES) }),
          dest: onceIn(8, subset(names)),
          group: onceIn(2, fc.constantFrom(...GROUPS)),
          cpu: onceIn(3, fc.oneof({ weight: 4, arbitrary: fc.constant(CPUS[0] as CpuDescription) }, fc.constantFrom(...CPUS))),
        })
        .map((r): GuestInfo => ({
          name: `g${i}`,
          uuid: `uuid-${i}`,
          host: hostName(r.host),
          memoryMiB: r.mem * 512,
          vcpus: r.vcpus,
          state: healthy ? 'running' : (r.state as GuestInfo['state']),
          disks: r.disks.map((u, k) => ({ device: `vd${'abc'[k]}`, url: `${u}/g${i}-${k}.qcow2` })),
          nicBridges: r.nics,
          ...(r.dest !== null ? { migrationdest: r.dest } : {}),
          ...(r.group !== null ? { antiAffinity: r.group } : {}),
          ...(r.cpu !== null ? { cpu: r.cpu } : {}),
        }));
    return fc.integer({ min: healthy ? 10 : 0, max: healthy ? 60 : 40 }).chain((nGuests) =>
      fc
        .record({
          hosts: fc.tuple(...names.map(arbHost)),
          guests: nGuests === 0 ? fc.constant([] as GuestInfo[]) : fc.tuple(...Array.from({ length: nGuests }, (_, i) => arbGuest(i))),
          storage: fc.tuple(...URLS.map((url) => fc.record({ url: fc.constant(url), shared: fc.boolean(), hosts: subset(names) }))),
          inFlight: fc.array(
            fc.record({ guest: fc.integer({ min: 0, max: Math.max(0, nGuests - 1) }), dest: fc.integer({ min: 0, max: nHosts - 1 }) }),
            { maxLength: 3 },
          ),
        })
        .map((r): Raw => {
          const seen = new Set<string>();
          const inFlight: InFlightMove[] = [];
          for (const m of nGuests === 0 ? [] : r.inFlight) {
            const g = r.guests[m.guest];
            if (!g || seen.has(g.name)) continue;
            seen.add(g.name);
            inFlight.push({ guest: g.name, source: g.host, dest: hostName(m.dest) });
          }
          return { hosts: [...r.hosts], guests: [...r.guests], storage: [...r.storage], inFlight };
        }),
    );
  });

const arbPolicy: fc.Arbitrary<PolicyInput> = fc.record({
  memoryHeadroomMiB: fc.constantFrom(0, 256, 1024),
  memoryHeadroomFraction: fc.constantFrom(0, 0, 0.05),
  vcpuOvercommit: fc.constantFrom(1, 4, 8),
  maxOut: fc.integer({ min: 1, max: 3 }),
  maxIn: fc.integer({ min: 1, max: 3 }),
  maxTotal: fc.integer({ min: 1, max: 5 }),
  copyStorage: fc.constantFrom('auto', 'always', 'never'),
});

type Request = { kind: 'evacuate'; host: string } | { kind: 'moves'; guests: string[]; dest: string | undefined };

const arbCluster = fc.oneof(arbClusterOf(true), arbClusterOf(false));

/** A cluster with a request that fits it: evacuate one of its hosts, or move some of its guests. */
const arbCase: fc.Arbitrary<[ClusterSnapshot, Request]> = fc.noBias(
  arbCluster.chain((snap) => {
    const hosts = snap.hosts.map((h) => h.name);
    const guests = [...snap.guests.map((g) => g.name), 'ghost'];
    const req: fc.Arbitrary<Request> = fc.oneof(
      { weight: 2, arbitrary: fc.record({ kind: fc.constant('evacuate' as const), host: fc.constantFrom(...hosts) }) },
      fc.record({
        kind: fc.constant('moves' as const),
        guests: fc.subarray(guests, { maxLength: Math.min(10, guests.length) }),
        dest: fc.oneof(
          fc.constant(undefined),
          fc.constantFrom(...hosts),
          onceIn(10, fc.constant('nohost')).map((x) => x ?? undefined),
        ),
      }),
    );
    return fc.tuple(fc.constant(snap), req);
    // Unbiased: fast-check's bias towards small numbers would make nearly every host tiny, stale
    // and overfull, and the properties would hold vacuously (see the last test in this file).
  }),
);

function makePlan(snap: ClusterSnapshot, req: Request, policy: PolicyInput): Plan {
  if (req.kind === 'evacuate') return planEvacuation(snap, req.host, policy);
  return planMoves(snap, req.guests, req.dest, policy);
}

// --- the reference: room per host from the documented rules ---------------------------------

const HOLDS = new Set(['running', 'paused', 'pmsuspended', 'unknown']);

function referenceRoom(snap: ClusterSnapshot, pol: Policy): Map<string, { mem: number; vcpu: number }> {
  const room = new Map<string, { mem: number; vcpu: number }>();
  const guests = new Map(snap.guests.map((g) => [g.name, g]));
  for (const h of snap.hosts) {
    const mine = snap.guests.filter((g) => g.host === h.name && HOLDS.has(g.state));
    const active = mine.reduce((s, g) => s + g.memoryMiB, 0);
    const activeV = mine.reduce((s, g) => s + g.vcpus, 0);
    const cap = h.overrides?.memoryMiB ?? h.memoryTotalMiB;
    const free = h.overrides?.memoryMiB !== undefined ? cap - active : Math.min(h.memoryFreeMiB, h.memoryTotalMiB - active);
    const incoming = snap.inFlight
      .map((m) => ({ m, g: guests.get(m.guest) }))
      .filter(({ m, g }) => m.dest === h.name && g && g.host !== h.name);
    const inMem = incoming.reduce((s, { g }) => s + (g?.memoryMiB ?? 0), 0);
    const inV = incoming.reduce((s, { g }) => s + (g?.vcpus ?? 0), 0);
    const headroom = Math.max(pol.memoryHeadroomMiB, Math.ceil(pol.memoryHeadroomFraction * cap));
    room.set(h.name, {
      mem: free - headroom - inMem,
      vcpu: Math.floor((h.overrides?.cpus ?? h.cpus) * pol.vcpuOvercommit) - activeV - inV,
    });
  }
  return room;
}

function shuffle<T>(xs: readonly T[], seed: number): T[] {
  const out = [...xs];
  let s = seed >>> 0 || 1;
  for (let i = out.length - 1; i > 0; i--) {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    const j = s % (i + 1);
    [out[i], out[j]] = [out[j] as T, out[i] as T];
  }
  return out;
}

const RUNS = { numRuns: 300 };

test('scheduler property - no host is over capacity and no limit is exceeded at any instant', () => {
  fc.assert(
    fc.property(
      arbCase,
      arbPolicy,
      fc.array(fc.integer({ min: 0, max: 20 }), { minLength: 64, maxLength: 64 }),
      fc.array(fc.boolean(), { minLength: 64, maxLength: 64 }),
      ([snap, req], policy, durs, fails) => {
        const pol = resolvePolicy(policy);
        const plan = makePlan(snap, req, policy);
        const idx = (m: { guest: string; attempt: number }) => Number(m.guest.slice(1)) * 2 + m.attempt - 1;
        const sim = simulateSchedule(plan, policy, (m) => durs[idx(m)] ?? 1, { fails: (m) => fails[idx(m)] ?? false });

        const room = referenceRoom(snap, pol);
        const out = new Map<string, number>();
        const inn = new Map<string, number>();
        let total = 0;
        const add = (m: Map<string, number>, k: string, d: number) => m.set(k, (m.get(k) ?? 0) + d);
        for (const e of sim.events) {
          const { source, dest, memoryMiB, vcpus } = e.move;
          const r = room.get(dest);
          const s = room.get(source);
          assert.ok(r && s, `unknown host in ${dest} or ${source}`);
          if (e.kind === 'start') {
            r.mem -= memoryMiB;
            r.vcpu -= vcpus;
            assert.ok(r.mem >= 0, `${dest} memory over capacity by ${-r.mem} MiB at t=${e.at}`);
            assert.ok(r.vcpu >= 0, `${dest} vCPUs over capacity at t=${e.at}`);
            add(out, source, 1);
            add(inn, dest, 1);
            total++;
            assert.ok((out.get(source) ?? 0) <= pol.maxOut, `maxOut exceeded on ${source} at t=${e.at}`);
            assert.ok((inn.get(dest) ?? 0) <= pol.maxIn, `maxIn exceeded on ${dest} at t=${e.at}`);
            assert.ok(total <= pol.maxTotal, `maxTotal exceeded at t=${e.at}`);
          } else {
            add(out, source, -1);
            add(inn, dest, -1);
            total--;
            if (e.kind === 'finish') {
              s.mem += memoryMiB;
              s.vcpu += vcpus;
            } else {
              r.mem += memoryMiB;
              r.vcpu += vcpus;
            }
          }
        }
        // Every planned move gets its first attempt; only retries can be left waiting.
        const started = new Set(sim.events.filter((e) => e.kind === 'start' && e.move.attempt === 1).map((e) => e.move.guest));
        assert.deepEqual(
          plan.moves.map((m) => m.guest).filter((g) => !started.has(g)),
          [],
        );
      },
    ),
    RUNS,
  );
});

test('scheduler property - each guest is placed at most once, unplaced guests do not move, every move passes its checks', () => {
  fc.assert(
    fc.property(arbCase, arbPolicy, ([snap, req], policy) => {
      const pol = resolvePolicy(policy);
      const plan = makePlan(snap, req, policy);
      const moved = plan.moves.map((m) => m.guest);
      assert.equal(new Set(moved).size, moved.length, 'a guest is moved twice');
      const unplaced = new Set(plan.unplaced.map((u) => u.guest));
      assert.equal(unplaced.size, plan.unplaced.length, 'a guest is unplaced twice');
      for (const g of moved) assert.ok(!unplaced.has(g), `${g} is both moved and unplaced`);
      for (const u of plan.unplaced) {
        assert.ok(u.reason.length > 0 && u.failures.length > 0, `${u.guest} has no reason`);
      }
      const guests = new Map(snap.guests.map((g) => [g.name, g]));
      if (req.kind === 'evacuate') {
        const src = req.host;
        const on = snap.guests
          .filter((g) => g.host === src)
          .map((g) => g.name)
          .sort();
        assert.deepEqual([...moved, ...unplaced].sort(), on, 'evacuation does not account for every guest on the host');
      }
      // Statically, all arrivals together fit every destination.
      const room = referenceRoom(snap, pol);
      for (const m of plan.moves) {
        assert.equal(m.source, guests.get(m.guest)?.host);
        assert.notEqual(m.dest, m.source);
        const r = room.get(m.dest);
        assert.ok(r);
        r.mem -= m.memoryMiB;
        r.vcpu -= m.vcpus;
        assert.ok(r.mem >= 0 && r.vcpu >= 0, `${m.dest} is overbooked by the plan`);
        const checks = checkMove(snap, m.guest, m.dest, policy);
        assert.ok(
          movable(checks),
          `${m.guest}->${m.dest}: ${checks
            .filter((c) => !c.pass && !c.soft)
            .map((c) => c.message)
            .join(' | ')}`,
        );
        assert.deepEqual(checks.find((c) => c.check === 'storage')?.storage, m.storage);
        if (m.alternative) {
          assert.notEqual(m.alternative.dest, m.dest);
          assert.ok(movable(checkMove(snap, m.guest, m.alternative.dest, policy)), `alternative of ${m.guest} fails its checks`);
        }
      }
    }),
    RUNS,
  );
});

test('scheduler property - co-located group members always come with warnings', () => {
  fc.assert(
    fc.property(arbCase, arbPolicy, ([snap, req], policy) => {
      const src = req.kind === 'evacuate' ? req.host : hostName(0);
      const plan = planEvacuation(snap, src, policy);
      const guests = new Map(snap.guests.map((g) => [g.name, g]));
      const arrivals = new Map<string, number>();
      for (const m of plan.moves) {
        const group = guests.get(m.guest)?.antiAffinity;
        if (group !== undefined) arrivals.set(`${m.dest}/${group}`, (arrivals.get(`${m.dest}/${group}`) ?? 0) + 1);
      }
      for (const [key, k] of arrivals) {
        const [dest, group] = key.split('/') as [string, string];
        const present =
          snap.guests.filter((g) => g.host === dest && g.antiAffinity === group).length +
          snap.inFlight.filter((f) => f.dest === dest && guests.get(f.guest)?.antiAffinity === group && guests.get(f.guest)?.host !== dest)
            .length;
        const warned = plan.warnings.filter((w) => w.host === dest && w.group === group).length;
        assert.equal(warned, present === 0 ? k - 1 : k, `${key}: ${k} arrivals, ${present} present, ${warned} warnings`);
      }
    }),
    RUNS,
  );
});

test('scheduler property - plans are deterministic and independent of input order', () => {
  fc.assert(
    fc.property(arbCase, arbPolicy, fc.integer(), ([snap, req], policy, seed) => {
      const a = makePlan(snap, req, policy);
      assert.deepEqual(makePlan(snap, req, policy), a);
      const shuffled: ClusterSnapshot = {
        hosts: shuffle(snap.hosts, seed),
        guests: shuffle(snap.guests, seed + 1),
        storage: shuffle(snap.storage, seed + 2),
        inFlight: shuffle(snap.inFlight, seed + 3),
      };
      const b = makePlan(shuffled, req.kind === 'moves' ? { ...req, guests: shuffle(req.guests, seed + 4) } : req, policy);
      assert.deepEqual(b, a);
    }),
    RUNS,
  );
});

test('scheduler property - the random clusters exercise real plans', () => {
  // Guards the generators: if they stopped producing moves, warnings or unplaced guests, the
  // properties above would pass vacuously.
  const samples = fc.sample(
    fc.tuple(arbCase, arbPolicy).map(([[snap, req], policy]) => [snap, req, policy] as const),
    { numRuns: 300, seed: 42 },
  );
  let moves = 0;
  let long = 0;
  let unplaced = 0;
  let warnings = 0;
  let alternatives = 0;
  for (const [snap, req, policy] of samples) {
    const p = makePlan(snap, req, policy);
    moves += p.moves.length;
    if (p.moves.length >= 6) long++;
    unplaced += p.unplaced.length;
    warnings += p.warnings.length;
    alternatives += p.moves.filter((m) => m.alternative).length;
  }
  assert.ok(moves > 400, `only ${moves} moves`);
  assert.ok(long > 20, `only ${long} plans with 6 moves or more`);
  assert.ok(unplaced > 300, `only ${unplaced} unplaced`);
  assert.ok(warnings > 10, `only ${warnings} warnings`);
  assert.ok(alternatives > 100, `only ${alternatives} alternatives`);
});
