/** @drover/agent: what tests and tools may use of the agent besides its command line. */
export { startAgentRuntime, type AgentRuntime } from './runtime.js';
export { LibvirtManager, nextBackoff, type ManagerOptions, type OpenFn } from './libvirt/manager.js';
export { safeRestart, commandRunner, type RestartResult, type RestartRunner, type RestartTarget } from './hypervisor/restart.js';
export { ConsoleHub, ConsoleHubs, type ConsoleSink } from './console/hub.js';
export { loadAgentConfig, AgentConfigSchema, type AgentConfig } from './config.js';
export { SimulatedFleet, type SimulateOptions } from './simulate/index.js';
export { Migrations, type MigrationRunner } from './migration/migrations.js';
export { compareGuestCpu, describeGuestCpu } from './migration/cpu.js';
export type { RuntimeOptions } from './runtime.js';
