/**
 * The operations engine's dependencies, from the server's parts: the journal on the stores (a
 * finished move's vm.host written through the tables in the step's transaction), the agent pool,
 * the host registry, inventory and tables for planning, NATS for progress, and the report ingest
 * for outcomes.
 */
import { codec, subjects, background, type MigrationOutcome__Output, type MigrationProgress__Output } from '@drover/contract';
import type { NatsConnection } from 'nats';
import type { ServerContext } from '../context.js';
import { buildGuestSpec } from '../guests/spec.js';
import { buildSnapshot, siteMigrationTls, sitePolicy } from './snapshot.js';
import { systemClock, type Bus, type Cluster, type EngineDeps, type Journal } from './deps.js';

const progressCodec = codec<MigrationProgress__Output>('MigrationProgress');

export function engineDeps(ctx: ServerContext, nc: NatsConnection): EngineDeps {
  const journal: Journal = {
    operations: ctx.stores.operations,
    moved: (step, guest, host) =>
      ctx.stores.transaction(async (tx) => {
        await tx.operations.saveStep(step);
        await ctx.tables.in(tx).recordMove(guest, host);
      }),
  };
  const cluster: Cluster = {
    snapshot: (inFlight, focus) => buildSnapshot(ctx, inFlight, focus),
    sitePolicy: () => sitePolicy(ctx),
    migrationTls: () => siteMigrationTls(ctx),
    host: (name) => ctx.hosts.get(name),
    setMaintenance: (host, on) => ctx.hosts.setMaintenance(host, on),
    recordedHosts: (guests) => ctx.tables.getMany(guests, 'vm.host'),
    guestSpec: (guest, dest) => buildGuestSpec(ctx.tables, guest, dest ? { host: dest } : {}),
    noteGuest: (host, g) => ctx.inventory.noteGuest(host, g),
    guestsOn: (host) => [...(ctx.inventory.host(host)?.guests.keys() ?? [])],
  };
  const outcomeListeners = new Set<(o: MigrationOutcome__Output) => Promise<void>>();
  ctx.ingest.listeners.outcome = async (o) => {
    for (const fn of outcomeListeners) await fn(o);
  };
  const bus: Bus = {
    progress: (opId, fn) => {
      const sub = nc.subscribe(`${subjects.allMigrations.replace(/\*$/, '')}${opId}`);
      const read = async (): Promise<void> => {
        for await (const m of sub) {
          try {
            fn(m.subject.split('.')[3] ?? '', progressCodec.decode(m.data));
          } catch {
            // best effort
          }
        }
      };
      background('progress subscription', read(), ctx.log);
      return () => sub.unsubscribe();
    },
    outcomes: (fn) => {
      outcomeListeners.add(fn);
      return () => outcomeListeners.delete(fn);
    },
  };
  return { journal, agents: ctx.agents, cluster, bus, clock: systemClock, log: ctx.log };
}
