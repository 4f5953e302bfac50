/**
 * What the operations engine and its step runner use, and nothing more: the journal, the agents
 * (drover's own interface, so a test can stand in for them), the cluster as planning sees it, a
 * clock, and the bus that carries migration progress and outcomes. The server wires these to its
 * stores, agent pool, host registry and NATS (operations/wiring.ts).
 */
import type {
  GuestSpec,
  GuestStatus__Output,
  MigrationOutcome__Output,
  MigrationProgress__Output,
  ReplyOf,
  RequestOf,
  Logger,
} from '@drover/contract';
import type { OperationStore, StepRecord } from '../db/stores.js';
import type { HostView } from '../hosts/registry.js';
import type { ClusterSnapshot, InFlightMove, PolicyInput } from '../scheduler/index.js';

/** The agent calls a migration makes. */
export type EngineMethod =
  | 'GetGuest'
  | 'ListGuests'
  | 'PrepareMigration'
  | 'StartMigration'
  | 'AbortMigration'
  | 'QueryMigration'
  | 'CheckReachable'
  | 'GuestCpu'
  | 'CompareCpu'
  | 'Power';

export interface CallOptions {
  deadlineMs?: number;
  /** Call a host whose heartbeats are late (not one that is down). */
  allowStale?: boolean;
}

/** The agents, one per host; a call rejects with a DroverError naming the host. */
export interface Agents {
  call<M extends EngineMethod>(
    host: string,
    method: M,
    req: Omit<RequestOf<'AgentService', M>, 'host'>,
    opts?: CallOptions,
  ): Promise<ReplyOf<'AgentService', M>>;
}

export interface Clock {
  now(): number;
  sleep(ms: number): Promise<void>;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  sleep: (ms) => new Promise((res) => setTimeout(res, ms).unref()),
};

/** Migration progress (best effort, NATS) and outcomes (durable, JetStream). */
export interface Bus {
  /** Progress reports of one operation's steps with the host that sent each; returns the way to stop. */
  progress(opId: string, fn: (from: string, p: MigrationProgress__Output) => void): () => void;
  /** Every migration outcome; returns the way to stop. */
  outcomes(fn: (o: MigrationOutcome__Output) => Promise<void>): () => void;
}

/** The cluster as the engine plans and runs moves in it. */
export interface Cluster {
  /** The scheduler's snapshot with `inFlight` holding room; `focus`: the guests that may move. */
  snapshot(inFlight: readonly InFlightMove[], focus?: ReadonlySet<string>): Promise<ClusterSnapshot>;
  /** Migration policy from the site table (before a request's overrides). */
  sitePolicy(): Promise<PolicyInput>;
  /** site.migrationtls: whether migrations use libvirt's TLS transport. */
  migrationTls(): Promise<boolean>;
  /** A host's liveness and facts. */
  host(name: string): HostView | undefined;
  setMaintenance(host: string, on: boolean): Promise<void>;
  /** vm.host of guests (absent when unset). */
  recordedHosts(guests: readonly string[]): Promise<Map<string, string>>;
  /** The spec a destination defines the guest from (the tables, the destination's facts). */
  guestSpec(guest: string, dest: HostView | undefined): Promise<GuestSpec>;
  /** A guest as its host answered just now (fresher than the last report). */
  noteGuest(host: string, g: GuestStatus__Output): void;
  /** The guests the last report of `host` lists. */
  guestsOn(host: string): string[];
}

/** The operations journal, and the one write that crosses into the tables. */
export interface Journal {
  readonly operations: OperationStore;
  /** Writes `step` (now done) and records its guest on `host` (vm.host), in one transaction. */
  moved(step: StepRecord, guest: string, host: string): Promise<void>;
}

export interface EngineDeps {
  journal: Journal;
  agents: Agents;
  cluster: Cluster;
  bus: Bus;
  clock: Clock;
  log: Logger;
}
