/**
 * CPU compatibility as a pure comparison of two CPU descriptions.
 *
 * A guest that requires CPU model M with features F can run on a host offering model H with
 * features G when both hold:
 *
 * 1. Features: F ⊆ G (exact flag names as libvirt spells them; case-insensitive).
 * 2. Model order: H is at least M in M's family. Families are ordered lists of libvirt/QEMU model
 *    names, oldest first:
 *    - intel: Conroe < Penryn < Nehalem < Westmere < SandyBridge < IvyBridge < Haswell < Broadwell
 *      < Skylake-Client < Skylake-Server < Cascadelake-Server < Cooperlake < Icelake-Server
 *      < SapphireRapids < GraniteRapids
 *    - amd: Opteron_G1 < Opteron_G2 < Opteron_G3 < Opteron_G4 < Opteron_G5 < EPYC < EPYC-Rome
 *      < EPYC-Milan < EPYC-Genoa
 *    - generic x86 (qemu32 < kvm32 < qemu64 < kvm64 < x86-64-v1 < … < x86-64-v4): a guest asking
 *      for a generic model runs on any intel or amd host, or a generic host of equal or higher
 *      rank; the feature check does the real work there.
 *    Variant suffixes (`-v2`, `-IBRS`, `-noTSX`, `-IBPB`) rank as their base model, so
 *    `Haswell-noTSX-IBRS` is a Haswell; what a variant adds or removes shows up in the features.
 *    Across intel and amd nothing is compatible. A model in no family (another architecture, a
 *    new name) is compatible only with the identical model name.
 *
 * The order is coarse on purpose: it stops a guest pinned to a newer generation from landing on
 * an older one even when the feature list in the definition is short, and the feature subset
 * check catches what the order cannot (e.g. a Skylake-Client host lacking avx512 that a
 * Skylake-Server guest lists).
 */
import type { CpuDescription } from '../types';

type Family = 'intel' | 'amd' | 'generic';

const FAMILY_ORDER: Readonly<Record<Family, readonly string[]>> = {
  intel: [
    'Conroe',
    'Penryn',
    'Nehalem',
    'Westmere',
    'SandyBridge',
    'IvyBridge',
    'Haswell',
    'Broadwell',
    'Skylake-Client',
    'Skylake-Server',
    'Cascadelake-Server',
    'Cooperlake',
    'Icelake-Server',
    'SapphireRapids',
    'GraniteRapids',
  ],
  amd: ['Opteron_G1', 'Opteron_G2', 'Opteron_G3', 'Opteron_G4', 'Opteron_G5', 'EPYC', 'EPYC-Rome', 'EPYC-Milan', 'EPYC-Genoa'],
  generic: ['qemu32', 'kvm32', 'qemu64', 'kvm64', 'x86-64-v1', 'x86-64-v2', 'x86-64-v3', 'x86-64-v4'],
};

interface ModelRank {
  readonly family: Family;
  readonly rank: number;
  /** The base name as spelled in the table. */
  readonly base: string;
}

const RANKS: ReadonlyMap<string, ModelRank> = (() => {
  const m = new Map<string, ModelRank>();
  for (const family of Object.keys(FAMILY_ORDER) as Family[]) {
    FAMILY_ORDER[family].forEach((base, rank) => m.set(base.toLowerCase(), { family, rank, base }));
  }
  return m;
})();

const VARIANT_SUFFIX = /-(v\d+|ibrs|notsx|ibpb)$/;

/** Finds a model's family and rank, looking through variant suffixes. */
export function modelRank(model: string): ModelRank | undefined {
  let name = model.trim().toLowerCase();
  for (;;) {
    const hit = RANKS.get(name);
    if (hit) return hit;
    const stripped = name.replace(VARIANT_SUFFIX, '');
    if (stripped === name) return undefined;
    name = stripped;
  }
}

/** A host CPU prepared for repeated comparisons. */
export interface HostCpu {
  readonly model: string;
  readonly features: ReadonlySet<string>;
}

export function prepareHostCpu(cpu: CpuDescription): HostCpu {
  return { model: cpu.model, features: new Set(cpu.features.map((f) => f.toLowerCase())) };
}

export interface CpuVerdict {
  readonly ok: boolean;
  /** Why the model is not acceptable, or undefined when it is. */
  readonly modelProblem?: string;
  /** Required features the host lacks, in the order the guest lists them. */
  readonly missing: readonly string[];
}

/** Whether a guest requiring `required` can run on a host with CPU `host` (see the file comment). */
export function cpuCompatible(required: CpuDescription, host: HostCpu): CpuVerdict {
  const missing: string[] = [];
  for (const f of required.features) if (!host.features.has(f.toLowerCase())) missing.push(f);
  const modelProblem = modelMismatch(required.model, host.model);
  return modelProblem === undefined ? { ok: missing.length === 0, missing } : { ok: false, modelProblem, missing };
}

function modelMismatch(guestModel: string, hostModel: string): string | undefined {
  if (guestModel.trim().toLowerCase() === hostModel.trim().toLowerCase()) return undefined;
  const g = modelRank(guestModel);
  const h = modelRank(hostModel);
  if (!g) return `model ${guestModel} is not in drover's CPU order, so only an identical model qualifies (host has ${hostModel})`;
  if (!h) return `host model ${hostModel} is not in drover's CPU order, so it cannot stand in for ${guestModel}`;
  if (g.family === 'generic') {
    if (h.family !== 'generic' || h.rank >= g.rank) return undefined;
    return `host model ${hostModel} is older than ${guestModel} in the generic x86 order`;
  }
  if (h.family !== g.family) return `host model ${hostModel} (${h.family}) is not in the ${g.family} family of ${guestModel}`;
  if (h.rank < g.rank) return `host model ${hostModel} is older than ${guestModel} in the ${g.family} order`;
  return undefined;
}
