/**
 * The server's side of the agents' reports: subscribes to every host's heartbeats (and, in later
 * stages, inventories and events), decodes the protobuf messages and hands them on. The subject's
 * host token is authoritative: NATS permissions make sure an agent can publish only as itself.
 */
import type { NatsConnection, Subscription } from 'nats';
import { AckPolicy, DeliverPolicy } from 'nats';
import {
  codec,
  subjects,
  hostOfSubject,
  EVENTS_STREAM,
  EVENTS_STREAM_SUBJECTS,
  SERVER_CONSUMER,
  type Logger,
  type Heartbeat__Output,
  type Inventory__Output,
  type GuestEvent__Output,
  type MigrationOutcome__Output,
  background,
} from '@drover/contract';
import type { HostRegistry } from '../hosts/registry.js';
import type { InventoryStore } from '../inventory/store.js';
import type { AgentPool } from '../agents/pool.js';

const hbCodec = codec<Heartbeat__Output>('Heartbeat');
const invCodec = codec<Inventory__Output>('Inventory');
const evCodec = codec<GuestEvent__Output>('GuestEvent');
const outcomeCodec = codec<MigrationOutcome__Output>('MigrationOutcome');

/** Who wants migration outcomes and progress (the operations engine). */
export interface ReportListeners {
  outcome?(o: MigrationOutcome__Output): Promise<void> | void;
  event?(e: GuestEvent__Output): void;
}

export class ReportIngest {
  private subs: Subscription[] = [];
  private resyncTimer: NodeJS.Timeout | undefined;
  private stopped = false;
  readonly listeners: ReportListeners = {};
  constructor(
    private readonly nc: NatsConnection,
    private readonly hosts: HostRegistry,
    private readonly inventory: InventoryStore,
    private readonly pool: AgentPool,
    private readonly log: Logger,
  ) {}

  /** Creates the JetStream stream the server depends on (idempotent). */
  async ensureStreams(): Promise<void> {
    const jsm = await this.nc.jetstreamManager();
    const cfg = {
      name: EVENTS_STREAM,
      subjects: EVENTS_STREAM_SUBJECTS,
      duplicate_window: 120_000_000_000,
      max_age: 7 * 86400_000_000_000,
    };
    try {
      await jsm.streams.info(EVENTS_STREAM);
      await jsm.streams.update(EVENTS_STREAM, cfg);
    } catch {
      await jsm.streams.add(cfg);
    }
    try {
      await jsm.consumers.info(EVENTS_STREAM, SERVER_CONSUMER);
    } catch {
      await jsm.consumers.add(EVENTS_STREAM, {
        durable_name: SERVER_CONSUMER,
        ack_policy: AckPolicy.Explicit,
        deliver_policy: DeliverPolicy.All,
        max_ack_pending: 10_000,
        ack_wait: 30_000_000_000,
      });
    }
  }

  start(): void {
    // Callback subscriptions: a message is handled as the client parses it, without an async
    // iterator's promise per message (about twice the ingest rate at fleet scale).
    this.subs.push(
      this.nc.subscribe(subjects.allHeartbeats, {
        callback: (err, m) => {
          if (err) return;
          const host = hostOfSubject(m.subject);
          try {
            const hb = hbCodec.decode(m.data);
            if (!host || hb.host !== host) {
              this.log.warn({ subject: m.subject, claimed: hb.host }, 'heartbeat names another host than its subject; dropped');
              return;
            }
            this.hosts.heartbeat(hb);
            this.inventory.checkSeq(hb.host, hb.bootId, hb.inventorySeq);
          } catch (e) {
            this.log.warn({ subject: m.subject, err: (e as Error).message }, 'undecodable heartbeat dropped');
          }
        },
      }),
    );
    this.subs.push(
      this.nc.subscribe(subjects.allInventories, {
        callback: (err, m) => {
          if (err) return;
          const host = hostOfSubject(m.subject);
          try {
            const msg = invCodec.decode(m.data);
            if (msg.host !== host) return;
            this.inventory.applyInventory(msg);
          } catch (e) {
            this.log.warn({ subject: m.subject, err: (e as Error).message }, 'undecodable inventory dropped');
          }
        },
      }),
    );
    background('event consumer', this.consumeEvents(), this.log);
    this.resyncTimer = setInterval(() => background('inventory resync', this.resync(), this.log), 500);
    this.resyncTimer.unref();
  }

  /** Lifecycle events and migration outcomes from the JetStream stream (durable, de-duplicated). */
  private async consumeEvents(): Promise<void> {
    const js = this.nc.jetstream();
    while (!this.stopped) {
      try {
        const consumer = await js.consumers.get(EVENTS_STREAM, SERVER_CONSUMER);
        const msgs = await consumer.consume({ max_messages: 500 });
        for await (const m of msgs) {
          if (this.stopped) break;
          const host = hostOfSubject(m.subject);
          try {
            if (m.subject.endsWith('.outcome')) {
              const o = outcomeCodec.decode(m.data);
              if (o.source === host || o.dest === host) await this.listeners.outcome?.(o);
            } else {
              const ev = evCodec.decode(m.data);
              if (ev.host === host) {
                this.inventory.applyEvent(ev);
                this.listeners.event?.(ev);
              }
            }
            m.ack();
          } catch (e) {
            this.log.warn({ subject: m.subject, err: (e as Error).message }, 'event not processed; will be redelivered');
            m.nak(1000);
          }
        }
      } catch (e) {
        if (this.stopped) return;
        this.log.warn({ err: (e as Error).message }, 'event consumer interrupted; retrying');
        await new Promise((r) => setTimeout(r, 1000));
      }
    }
  }

  private resyncing = new Set<string>();
  /** When each host was first seen needing a resync. */
  private wanting = new Map<string, number>();
  /**
   * A host's first heartbeat usually overtakes its first full inventory (they travel on separate
   * subjects), so a resync is asked only when the need outlives this grace; otherwise every host
   * of a starting fleet would be listed over gRPC once for nothing (2,000 calls and channels).
   */
  resyncGraceMs = 2000;
  /** Fetches the full guest list of hosts whose inventory is missing or out of sequence. */
  private async resync(): Promise<void> {
    const now = Date.now();
    for (const host of this.wanting.keys()) if (!this.inventory.needResync.has(host)) this.wanting.delete(host);
    for (const host of [...this.inventory.needResync]) {
      const since = this.wanting.get(host);
      if (since === undefined) this.wanting.set(host, now);
      if (now - (since ?? now) < this.resyncGraceMs) continue;
      if (this.resyncing.has(host) || this.resyncing.size >= 16) continue;
      const h = this.hosts.get(host);
      if (!h || h.state !== 'up' || !h.address) continue;
      this.resyncing.add(host);
      this.pool
        .call(host, 'ListGuests', {}, { deadlineMs: 15_000 })
        .then((r) => this.inventory.replace(host, r.guests, r.inventorySeq, r.bootId))
        .catch((e: Error) => this.log.warn({ host, err: e.message }, 'inventory resync failed'))
        .finally(() => this.resyncing.delete(host));
    }
  }

  stop(): void {
    this.stopped = true;
    if (this.resyncTimer) clearInterval(this.resyncTimer);
    for (const s of this.subs) s.unsubscribe();
    this.subs = [];
  }
}
