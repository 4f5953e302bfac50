/**
 * Host facts for the heartbeat, one small collector per fact (as Nomad's fingerprinters): each
 * reads what it needs from libvirt or the host and fills its part; one failing collector leaves
 * its fields at their defaults and does not stop the others.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { XMLParser } from 'fast-xml-parser';
import type { Connection, PoolInfo } from '@drover/libvirt';
import type { HostFacts__Output, StoragePoolInfo__Output } from '@drover/contract';
import { listGuests } from './guests.js';

export type Facts = HostFacts__Output;

export function emptyFacts(): Facts {
  return {
    memoryTotalMib: 0,
    memoryFreeMib: 0,
    cpus: 0,
    vcpusAllocated: 0,
    memoryAllocatedMib: 0,
    hypervisor: '',
    hypervisorVersion: '',
    libvirtVersion: '',
    cpuModel: '',
    cpuFeatures: [],
    pools: [],
    bridges: [],
    hvType: '',
    migrationUri: '',
  };
}

export interface FactContext {
  conn: Connection;
  uri: string;
  /** Where to look for bridges (tests point it elsewhere). */
  sysClassNet: string;
  managedCache?: Map<string, boolean>;
}

export interface FactCollector {
  readonly name: string;
  collect(ctx: FactContext, facts: Facts): Promise<void>;
}

const parser = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '@_', parseTagValue: false, parseAttributeValue: false });
type El = Record<string, unknown>;
const asList = (v: unknown): El[] =>
  Array.isArray(v) ? (v as El[]) : v !== undefined && v !== null && typeof v === 'object' ? [v as El] : [];
const fmt = (v: { major: number; minor: number; release: number }): string => `${v.major}.${v.minor}.${v.release}`;

const memory: FactCollector = {
  name: 'memory',
  async collect({ conn }, f) {
    const ni = await conn.nodeInfo();
    f.memoryTotalMib = Math.floor(ni.memoryKiB / 1024);
    f.cpus = ni.cpus;
    try {
      f.memoryFreeMib = Math.floor((await conn.freeMemory()) / (1024 * 1024));
    } catch {
      f.memoryFreeMib = -1; // filled in from the allocation below (the test driver has no free-memory call)
    }
  },
};

const allocation: FactCollector = {
  name: 'allocation',
  async collect({ conn, managedCache }, f) {
    const guests = await listGuests(conn, managedCache);
    let vcpus = 0;
    let mem = 0;
    for (const g of guests) {
      if (g.id < 0) continue; // only guests that run hold resources
      vcpus += g.vcpus;
      mem += g.memoryMib;
    }
    f.vcpusAllocated = vcpus;
    f.memoryAllocatedMib = mem;
  },
};

const hypervisor: FactCollector = {
  name: 'hypervisor',
  async collect({ conn }, f) {
    const type = await conn.type();
    f.hypervisor = type === 'TEST' ? 'Test' : type;
    f.hypervisorVersion = fmt(await conn.hypervisorVersion());
    f.libvirtVersion = fmt(await conn.libVersion());
    const caps = await conn.capabilities();
    if (type === 'QEMU') f.hvType = /<domain type=['"]kvm['"]/.test(caps) ? 'kvm' : 'qemu';
    else if (type === 'LIBXL' || type === 'Xen') f.hvType = 'xen';
    else f.hvType = type.toLowerCase();
  },
};

const cpu: FactCollector = {
  name: 'cpu',
  async collect({ conn }, f) {
    const caps = parser.parse(await conn.capabilities()) as El;
    const hostCpu = ((caps.capabilities as El | undefined)?.host as El | undefined)?.cpu as El | undefined;
    const model = hostCpu?.model;
    f.cpuModel =
      typeof model === 'string' ? model : typeof (model as El | undefined)?.['#text'] === 'string' ? String((model as El)['#text']) : '';
    if (!f.cpuModel) f.cpuModel = (await conn.nodeInfo()).model;
    const features = new Set<string>();
    for (const feat of asList(hostCpu?.feature)) if (typeof feat['@_name'] === 'string') features.add(feat['@_name']);
    // The test driver (and some old hosts) list flags as empty elements under <features>.
    for (const block of asList(hostCpu?.features))
      for (const k of Object.keys(block)) if (!k.startsWith('@_') && k !== '#text') features.add(k);
    f.cpuFeatures = [...features].sort();
  },
};

const pools: FactCollector = {
  name: 'pools',
  async collect({ conn }, f) {
    const out: StoragePoolInfo__Output[] = [];
    for (const p of await conn.listAllStoragePools()) {
      const [info, xml] = await Promise.all([p.info(), p.getXMLDesc()]);
      const doc = (parser.parse(xml) as El).pool as El | undefined;
      const path = ((doc?.target as El | undefined)?.path as string | undefined) ?? '';
      out.push({
        name: p.name,
        path,
        type: String(doc?.['@_type'] ?? ''),
        capacityBytes: info.capacity,
        allocationBytes: info.allocation,
        availableBytes: info.available,
        active: isRunning(info),
      });
    }
    f.pools = out.sort((a, b) => a.name.localeCompare(b.name));
  },
};

function isRunning(info: PoolInfo): boolean {
  return info.state === 2; // VIR_STORAGE_POOL_RUNNING
}

/** Linux bridges: interfaces with a `bridge` directory under /sys/class/net. */
export function hostBridges(sysClassNet = '/sys/class/net'): string[] {
  try {
    return readdirSync(sysClassNet)
      .filter((n) => existsSync(`${sysClassNet}/${n}/bridge`))
      .sort();
  } catch {
    return [];
  }
}

/** The bridges of the `<network>`s in a test driver node file (test:///abs/path.xml). */
export function testDriverBridges(uri: string): string[] {
  const m = /^test:\/\/(\/.+)$/.exec(uri);
  if (!m || m[1] === '/default') return [];
  try {
    const node = (parser.parse(readFileSync(m[1]!, 'utf8')) as El).node as El | undefined;
    return asList(node?.network)
      .map((n) => String((n.bridge as El | undefined)?.['@_name'] ?? ''))
      .filter(Boolean)
      .sort();
  } catch {
    return [];
  }
}

const bridges: FactCollector = {
  name: 'bridges',
  async collect({ conn, uri, sysClassNet }, f) {
    // @drover/libvirt has no network API yet: on the test driver the bridges come from its node file.
    f.bridges = (await conn.type()) === 'TEST' ? testDriverBridges(uri) : hostBridges(sysClassNet);
  },
};

export const COLLECTORS: readonly FactCollector[] = [memory, allocation, hypervisor, cpu, pools, bridges];

/** Runs every collector; returns the facts and the collectors that failed (with why). */
export async function collectFacts(
  ctx: FactContext,
  collectors: readonly FactCollector[] = COLLECTORS,
): Promise<{ facts: Facts; failed: { name: string; error: unknown }[] }> {
  const facts = emptyFacts();
  const failed: { name: string; error: unknown }[] = [];
  for (const c of collectors) {
    try {
      await c.collect(ctx, facts);
    } catch (error) {
      failed.push({ name: c.name, error });
    }
  }
  if (facts.memoryFreeMib < 0) facts.memoryFreeMib = Math.max(0, facts.memoryTotalMib - facts.memoryAllocatedMib);
  return { facts, failed };
}
