/** The agent's reports over NATS: inventory and lifecycle events, fed by the libvirt manager. */
import type { NatsConnection } from 'nats';
import type { LifecycleEventInfo } from '@drover/libvirt';
import { background, type Logger } from '@drover/contract';
import type { LibvirtManager } from '../libvirt/manager.js';
import { listGuests } from '../libvirt/guests.js';
import { InventoryReporter } from './inventory.js';
import { EventPublisher } from './events.js';

export { InventoryReporter, diffInventory, sameGuest } from './inventory.js';
export { EventPublisher, EventBuffer, guestEventOf } from './events.js';

export interface ReportsOptions {
  host: string;
  bootId: string;
  nc: NatsConnection;
  lv: LibvirtManager;
  log: Logger;
  reconcileMs: number;
  eventBuffer: number;
  /** Also told about every lifecycle event (console hubs end on stop). */
  onLifecycle?: (ev: LifecycleEventInfo) => void;
}

export class Reports {
  readonly inventory: InventoryReporter;
  readonly events: EventPublisher;
  private stopped = false;

  constructor(private readonly o: ReportsOptions) {
    const js = o.nc.jetstream();
    this.inventory = new InventoryReporter({
      host: o.host,
      bootId: o.bootId,
      log: o.log,
      reconcileMs: o.reconcileMs,
      list: () => listGuests(o.lv.conn(), o.lv.managedCache),
      publish: (subject, data) => o.nc.publish(subject, data),
    });
    this.events = new EventPublisher({
      host: o.host,
      bootId: o.bootId,
      log: o.log,
      max: o.eventBuffer,
      publish: async (subject, data, msgID) => {
        if (o.nc.isClosed()) throw new Error('NATS connection closed');
        await js.publish(subject, data, { msgID, timeout: 3000 });
      },
      onGap: () => background('full inventory', this.inventory.full('events lost'), o.log),
    });
  }

  start(): void {
    const { lv } = this.o;
    lv.on('connected', () => background('full inventory', this.inventory.full('libvirt connected'), this.o.log));
    lv.on('lifecycle', (ev) => {
      this.events.record(ev);
      this.inventory.changed();
      this.o.onLifecycle?.(ev);
    });
    this.inventory.start();
    if (lv.connection) background('full inventory', this.inventory.full('agent started'), this.o.log);
    background('NATS status watch', this.watchNats(), this.o.log);
  }

  private async watchNats(): Promise<void> {
    for await (const s of this.o.nc.status()) {
      if (this.stopped) break;
      if (s.type === 'reconnect') {
        background('event publication', this.events.pump(), this.o.log);
        background('full inventory', this.inventory.full('NATS reconnected'), this.o.log);
        // Core NATS delivers only to subscribers connected at the time: the server may come back
        // a moment after this agent, so the full list is sent once more when things settled.
        // (The heartbeat's inventory_seq lets the server spot anything still missed.)
        setTimeout(() => {
          if (!this.stopped) background('full inventory', this.inventory.full('NATS reconnected (settled)'), this.o.log);
        }, 2000).unref();
      }
    }
  }

  stop(): void {
    this.stopped = true;
    this.inventory.stop();
    this.events.stop();
  }
}
