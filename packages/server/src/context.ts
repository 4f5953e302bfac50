import type { Logger } from '@drover/contract';
import type { ServerConfig } from './config.js';
import type { Stores } from './db/stores.js';
import type { ClusterPki } from './pki/store.js';
import type { HostRegistry } from './hosts/registry.js';
import type { ExpandOpts, Tables } from './tables/index.js';
import type { InventoryStore } from './inventory/store.js';
import type { AgentPool } from './agents/pool.js';
import type { ReportIngest } from './nats/reports.js';
import type { OperationEngine } from './operations/engine.js';

/** What every handler may use: config, tables, PKI, the host registry and the logger. */
export interface ServerContext {
  cfg: ServerConfig;
  /** everything kept in the database, one store per concern */
  stores: Stores;
  pki: ClusterPki;
  hosts: HostRegistry;
  /** guests as the agents report them */
  inventory: InventoryStore;
  /** gRPC clients to the agents */
  agents: AgentPool;
  ingest: ReportIngest;
  /** durable migrate/evacuate/maintenance operations (set once the server has started) */
  operations?: OperationEngine;
  log: Logger;
  advertise: string;
  /** The xCAT tables (nodelist, vm, nodehm, ..., site, networks, storage). */
  tables: Tables;
  /** Expands a noderange against the tables; unknown names are an error unless requireKnown is false. */
  expand(noderange: string, opts?: ExpandOpts): Promise<string[]>;
  /** A host enrolled: record its NATS key, make it appear, rewrite the NATS config. */
  onEnrolled(host: string, nkey: string): Promise<void>;
}
