import { antiAffinitySpread } from './anti-affinity';
import { mostFreeMemory } from './free-memory';
import type { Ranker } from './ranker';

/** Anti-affinity first (it must win whenever it can), then free memory; name breaks ties. */
export const DEFAULT_RANKERS: readonly Ranker[] = [antiAffinitySpread, mostFreeMemory];

export type { Ranker, BoundRanker } from './ranker';
