/**
 * Guest lifecycle events through JetStream, each with a message id (boot id + sequence) so the
 * server drops duplicates. While NATS is away events wait in a bounded buffer and go out in order
 * on reconnect; when the buffer overflows the waiting events are dropped, and what is sent first
 * on reconnect is a gap marker followed by a full inventory.
 */
import { codec, subjects, type GuestEvent, type Logger, type PowerState__Output, background } from '@drover/contract';
import type { LifecycleEventInfo } from '@drover/libvirt';

const evCodec = codec<GuestEvent>('GuestEvent');

/** The state a lifecycle event leaves the guest in. */
const STATE_AFTER: Record<string, PowerState__Output> = {
  STARTED: 'POWER_STATE_ON',
  RESUMED: 'POWER_STATE_ON',
  SUSPENDED: 'POWER_STATE_PAUSED',
  STOPPED: 'POWER_STATE_OFF',
  SHUTDOWN: 'POWER_STATE_SHUTTING_DOWN',
  CRASHED: 'POWER_STATE_CRASHED',
  PMSUSPENDED: 'POWER_STATE_PMSUSPENDED',
};

export function guestEventOf(host: string, eventId: string, ev: LifecycleEventInfo, timeMs: number): GuestEvent {
  return {
    host,
    eventId,
    timeMs,
    guest: ev.domain.name,
    uuid: ev.domain.uuid,
    kind: ev.eventName.toLowerCase(),
    detail: ev.detailName.toLowerCase(),
    state: STATE_AFTER[ev.eventName] ?? 'POWER_STATE_UNSPECIFIED',
    gap: false,
  };
}

/** A bounded FIFO that remembers it overflowed. */
export class EventBuffer<T> {
  private items: T[] = [];
  /** Events were dropped since the last `takeGap()`. */
  gap = false;
  dropped = 0;
  constructor(readonly max: number) {}

  get length(): number {
    return this.items.length;
  }

  /** Adds an item; on overflow everything waiting is dropped (a full inventory will replace it). */
  push(x: T): void {
    if (this.items.length >= this.max) {
      this.dropped += this.items.length;
      this.items = [];
      this.gap = true;
    }
    this.items.push(x);
  }

  peek(): T | undefined {
    return this.items[0];
  }

  shift(): T | undefined {
    return this.items.shift();
  }

  takeGap(): boolean {
    const g = this.gap;
    this.gap = false;
    this.dropped = 0;
    return g;
  }
}

export interface EventPublisherOptions {
  host: string;
  bootId: string;
  log: Logger;
  max: number;
  /** Publishes one event with its id through JetStream; rejects when it was not stored. */
  publish(subject: string, data: Uint8Array, msgId: string): Promise<void>;
  /** Events were lost: send a full inventory. */
  onGap(): void;
  /** How long to wait before trying again after a failed publish. */
  retryMs?: number;
  now?: () => number;
}

export class EventPublisher {
  private seq = 0;
  readonly buffer: EventBuffer<GuestEvent>;
  private pumping = false;
  private retry: NodeJS.Timeout | undefined;
  private stopped = false;
  private readonly log: Logger;

  constructor(private readonly o: EventPublisherOptions) {
    this.buffer = new EventBuffer(o.max);
    this.log = o.log.child({ host: o.host, op: 'events' });
  }

  private nextId(): string {
    return `${this.o.bootId}-${++this.seq}`;
  }

  /** Queues a lifecycle event and sends what waits. */
  record(ev: LifecycleEventInfo): void {
    const ge = guestEventOf(this.o.host, this.nextId(), ev, (this.o.now ?? Date.now)());
    this.buffer.push(ge);
    this.log.debug({ node: ge.guest, kind: ge.kind, detail: ge.detail, id: ge.eventId }, 'guest event');
    background('event publication', this.pump(), this.log);
  }

  stop(): void {
    this.stopped = true;
    if (this.retry) clearTimeout(this.retry);
  }

  /** Sends everything waiting, in order; stops at the first failure and tries again later. */
  async pump(): Promise<void> {
    if (this.pumping || this.stopped) return;
    this.pumping = true;
    try {
      if (this.buffer.gap) {
        const dropped = this.buffer.dropped;
        const gapEvent: GuestEvent = {
          host: this.o.host,
          eventId: this.nextId(),
          timeMs: (this.o.now ?? Date.now)(),
          guest: '',
          uuid: '',
          kind: 'gap',
          detail: `${dropped} events lost`,
          state: 'POWER_STATE_UNSPECIFIED',
          gap: true,
        };
        if (!(await this.send(gapEvent))) return;
        this.buffer.takeGap();
        this.log.warn({ dropped }, 'events were lost while NATS was away; gap marker sent, full inventory follows');
        this.o.onGap();
      }
      for (let ev = this.buffer.peek(); ev; ev = this.buffer.peek()) {
        if (!(await this.send(ev))) return;
        if (this.buffer.peek() === ev) this.buffer.shift(); // unless an overflow emptied the buffer meanwhile
      }
    } finally {
      this.pumping = false;
    }
  }

  private async send(ev: GuestEvent): Promise<boolean> {
    try {
      await this.o.publish(subjects.event(this.o.host), evCodec.encode(ev), String(ev.eventId));
      return true;
    } catch (e) {
      this.log.debug({ err: (e as Error).message, waiting: this.buffer.length }, 'event not published; will retry');
      if (!this.retry && !this.stopped) {
        this.retry = setTimeout(() => {
          this.retry = undefined;
          background('event publication', this.pump(), this.log);
        }, this.o.retryMs ?? 1000);
        this.retry.unref();
      }
      return false;
    }
  }
}
