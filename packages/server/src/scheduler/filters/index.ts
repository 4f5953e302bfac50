/** The default filter chain, cheapest first within each scope. */
import { bridgesPresent } from './bridges';
import { memoryRoom, vcpuRoom } from './capacity';
import { cpuCompat } from './cpu';
import type { Filter } from './filter';
import { hostMaintenance, hostUp } from './host-state';
import { sameHypervisor } from './hypervisor';
import { migrationDest } from './migrationdest';
import { notSource } from './not-source';
import { storageReachable } from './storage';

export const DEFAULT_FILTERS: readonly Filter[] = [
  hostUp,
  hostMaintenance,
  notSource,
  sameHypervisor,
  migrationDest,
  bridgesPresent,
  cpuCompat,
  storageReachable,
  memoryRoom,
  vcpuRoom,
];

export { GUEST_CHECKS } from './guest';
export type { Filter, BoundFilter, FilterContext, FilterScope, GuestCheck } from './filter';
