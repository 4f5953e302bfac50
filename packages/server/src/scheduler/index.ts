/**
 * drover's scheduler: a cluster snapshot in, a plan out. Pure: no I/O, no clock, no randomness.
 *
 *   checkMove        every pre-check for one guest to one host (rmigrate <node> <host>)
 *   pickDestination  the best host for one guest (rmigrate <node>)
 *   planMoves        several guests, to one host or each to its best (rmigrate <noderange> [host])
 *   planEvacuation   every guest off one host (revacuate <host>)
 *   nextStartable    which planned moves may start now (the executor's pacing)
 *   simulateSchedule replay a plan with given durations (tests, benchmarks)
 */
export type {
  HostState,
  HypervisorType,
  GuestState,
  CpuDescription,
  HostOverrides,
  HostInfo,
  StorageEntry,
  GuestDisk,
  GuestInfo,
  InFlightMove,
  ClusterSnapshot,
  CheckName,
  StorageMode,
  StorageDecision,
  CheckResult,
  MoveTarget,
  Move,
  FilterCount,
  Unplaced,
  PlanWarning,
  HostRoom,
  Plan,
  Placement,
  ScheduleState,
  TimelineEvent,
  Simulation,
} from './types';
export { DEFAULT_POLICY, resolvePolicy, headroomMiB, type Policy, type PolicyInput, type CopyStorage } from './policy';
export { SchedulerError, type SchedulerErrorCode } from './errors';
export { ClusterIndex, indexSnapshot } from './cluster';
export { cpuCompatible, modelRank, prepareHostCpu, type CpuVerdict, type HostCpu } from './filters/cpu-models';
export { checkMove, movable } from './check';
export { planEvacuation, planMoves, pickDestination } from './plan';
export { nextStartable, simulateSchedule, retryOf, type Durations, type SimulateOptions } from './schedule';
