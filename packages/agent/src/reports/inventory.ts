/**
 * The guest inventory on NATS: a full list when the agent (re)connects to NATS or libvirt, then a
 * diff (upserts and removed names on top of `base_seq`) after every change, driven by libvirt's
 * lifecycle events; a reconcile every ~30 s re-lists everything and sends a diff when anything
 * drifted (an event lost, a change libvirt does not announce).
 */
import { codec, subjects, type GuestStatus__Output, type Inventory, type Logger, background } from '@drover/contract';

export type GuestRow = GuestStatus__Output;

/** Fields whose change is worth a diff (CPU time moves all the time and is not one of them). */
const COMPARED: readonly (keyof GuestRow)[] = ['uuid', 'id', 'state', 'reason', 'memoryMib', 'vcpus', 'persistent', 'managed', 'migrating'];

export function sameGuest(a: GuestRow, b: GuestRow): boolean {
  return COMPARED.every((k) => a[k] === b[k]);
}

/** What changed from `prev` to `next`: guests new or different, and names gone. */
export function diffInventory(prev: ReadonlyMap<string, GuestRow>, next: readonly GuestRow[]): { upserts: GuestRow[]; removed: string[] } {
  const upserts: GuestRow[] = [];
  const seen = new Set<string>();
  for (const g of next) {
    seen.add(g.name);
    const p = prev.get(g.name);
    if (!p || !sameGuest(p, g)) upserts.push(g);
  }
  const removed = [...prev.keys()].filter((n) => !seen.has(n)).sort();
  return { upserts, removed };
}

export interface InventoryOptions {
  host: string;
  bootId: string;
  log: Logger;
  /** Lists every guest (throws when libvirt is away). */
  list(): Promise<GuestRow[]>;
  /** Publishes one encoded Inventory. */
  publish(subject: string, data: Uint8Array): void;
  reconcileMs: number;
  /** Waits this long after an event before listing, so a burst of events gives one diff. */
  debounceMs?: number;
  now?: () => number;
}

const invCodec = codec<Inventory>('Inventory');

export class InventoryReporter {
  /** Sequence of the last inventory published. */
  seq = 0;
  private known: Map<string, GuestRow> | undefined;
  private wantFull = true;
  private chain: Promise<void> = Promise.resolve();
  private debounce: NodeJS.Timeout | undefined;
  private timer: NodeJS.Timeout | undefined;
  private readonly log: Logger;

  constructor(private readonly o: InventoryOptions) {
    this.log = o.log.child({ host: o.host, op: 'inventory' });
  }

  start(): void {
    this.timer = setInterval(() => background('inventory sync', this.sync('reconcile'), this.log), this.o.reconcileMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    if (this.debounce) clearTimeout(this.debounce);
  }

  /** The next publication is a full inventory (NATS or libvirt reconnected, events were lost). */
  full(why: string): Promise<void> {
    this.wantFull = true;
    return this.sync(why);
  }

  /** Something changed: list again soon. */
  changed(): void {
    if (this.debounce) return;
    this.debounce = setTimeout(() => {
      this.debounce = undefined;
      background('inventory sync', this.sync('event'), this.log);
    }, this.o.debounceMs ?? 50);
  }

  /** Lists the guests and publishes a full inventory or a diff (nothing when nothing changed). */
  sync(why: string): Promise<void> {
    const run = this.chain.then(async () => {
      let rows: GuestRow[];
      try {
        rows = await this.o.list();
      } catch (e) {
        this.log.debug({ why, err: (e as Error).message }, 'inventory not listed');
        return;
      }
      const now = (this.o.now ?? Date.now)();
      const base = { host: this.o.host, timeMs: now, bootId: this.o.bootId };
      let msg: Inventory;
      if (this.wantFull || !this.known) {
        msg = { ...base, seq: this.seq + 1, baseSeq: 0, full: true, guests: rows, removed: [] };
      } else {
        const { upserts, removed } = diffInventory(this.known, rows);
        if (upserts.length === 0 && removed.length === 0) return;
        msg = { ...base, seq: this.seq + 1, baseSeq: this.seq, full: false, guests: upserts, removed };
      }
      try {
        this.o.publish(subjects.inventory(this.o.host), invCodec.encode(msg));
      } catch (e) {
        this.log.warn({ why, err: (e as Error).message }, 'inventory not published; a full one follows');
        this.wantFull = true;
        return;
      }
      this.seq = Number(msg.seq);
      this.wantFull = false;
      this.known = new Map(rows.map((g) => [g.name, g]));
      this.log.debug(
        { why, seq: this.seq, full: msg.full, guests: msg.guests?.length, removed: msg.removed?.length },
        'inventory published',
      );
    });
    this.chain = run.catch(() => undefined);
    return run;
  }
}
