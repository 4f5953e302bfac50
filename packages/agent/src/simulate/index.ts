/** drover-agent simulate: many simulated hosts in one process (fleet tests and benchmarks). */
export { SimulatedFleet, bundleHosts, type SimulateOptions, type SimHost } from './fleet.js';
export { SimMigrationRunner, SimPeerServer } from './migration.js';
export { guestsOf, readLayout, writeSimHost, type SimGuest, type SimLayout } from './layout.js';
