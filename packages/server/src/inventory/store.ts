/**
 * The guests each host reports: an in-memory view built from the agents' inventories (full on
 * connect, diffs after) and lifecycle events. A gap in an inventory's sequence, an unknown host
 * after a server restart, or an agent's gap marker triggers a resync (ListGuests over gRPC), so
 * state is never silently lost.
 */
import type { GuestStatus__Output, Inventory__Output, GuestEvent__Output, Logger } from '@drover/contract';

export interface HostInventory {
  host: string;
  seq: number;
  bootId: string;
  updatedMs: number;
  guests: Map<string, GuestStatus__Output>;
}

/** name (or UUID) -> the hosts reporting a guest of that name (or UUID). */
class HostIndex {
  private readonly m = new Map<string, Set<string>>();
  add(key: string, host: string): void {
    if (!key) return;
    let s = this.m.get(key);
    if (!s) this.m.set(key, (s = new Set()));
    s.add(host);
  }
  delete(key: string, host: string): void {
    const s = this.m.get(key);
    if (!s) return;
    s.delete(host);
    if (s.size === 0) this.m.delete(key);
  }
  get(key: string): ReadonlySet<string> | undefined {
    return this.m.get(key);
  }
}

export class InventoryStore {
  private readonly hosts = new Map<string, HostInventory>();
  /** Indexes over every host's guests, so a lookup by guest costs O(hosts having it), not O(hosts). */
  private readonly byName = new HostIndex();
  private readonly byUuid = new HostIndex();
  /** Hosts whose inventory must be fetched again. */
  readonly needResync = new Set<string>();
  readonly listeners = new Set<(host: string, changed: GuestStatus__Output[], removed: string[]) => void>();

  constructor(
    private readonly log: Logger,
    private readonly now: () => number = Date.now,
  ) {}

  applyInventory(inv: Inventory__Output): void {
    const cur = this.hosts.get(inv.host);
    if (inv.full) {
      const guests = new Map(inv.guests.map((g) => [g.name, g]));
      const removed = cur ? [...cur.guests.keys()].filter((n) => !guests.has(n)) : [];
      if (cur) for (const g of cur.guests.values()) this.unindex(inv.host, g);
      for (const g of guests.values()) this.index(inv.host, g);
      this.hosts.set(inv.host, { host: inv.host, seq: inv.seq, bootId: inv.bootId, updatedMs: this.now(), guests });
      this.needResync.delete(inv.host);
      this.emit(inv.host, inv.guests, removed);
      return;
    }
    if (!cur || cur.bootId !== inv.bootId || cur.seq !== inv.baseSeq) {
      this.log.info({ host: inv.host, have: cur?.seq, base: inv.baseSeq }, 'inventory diff does not follow what we have; resync');
      this.needResync.add(inv.host);
      return;
    }
    for (const g of inv.guests) this.put(cur, g);
    for (const n of inv.removed) this.drop(cur, n);
    cur.seq = inv.seq;
    cur.updatedMs = this.now();
    this.emit(inv.host, inv.guests, inv.removed);
  }

  /** A full listing fetched over gRPC (resync). */
  replace(host: string, guests: GuestStatus__Output[], seq: number, bootId: string): void {
    this.applyInventory({ host, seq, baseSeq: 0, full: true, guests, removed: [], timeMs: this.now(), bootId });
  }

  /** A lifecycle event updates one guest's state at once (the inventory diff confirms it). */
  applyEvent(ev: GuestEvent__Output): void {
    if (ev.gap) {
      this.needResync.add(ev.host);
      return;
    }
    const cur = this.hosts.get(ev.host);
    if (!cur) return;
    if (ev.kind === 'undefined') {
      if (this.drop(cur, ev.guest)) this.emit(ev.host, [], [ev.guest]);
      return;
    }
    const g = cur.guests.get(ev.guest);
    if (g && ev.state && ev.state !== 'POWER_STATE_UNSPECIFIED') {
      g.state = ev.state;
      g.reason = ev.detail;
      cur.updatedMs = this.now();
      this.emit(ev.host, [g], []);
    }
  }

  /** Heartbeats carry the agent's last inventory sequence: a mismatch means we missed something. */
  checkSeq(host: string, bootId: string, inventorySeq: number): void {
    const cur = this.hosts.get(host);
    if (!cur || cur.bootId !== bootId || cur.seq < inventorySeq) this.needResync.add(host);
    // A heartbeat naming the sequence we hold confirms our view is still the host's view.
    else if (cur.seq === inventorySeq) cur.updatedMs = this.now();
  }

  /**
   * One guest as an agent just answered for it (GetGuest): recorded at once, and the host's full
   * list is fetched again so the sequence of diffs stays consistent.
   */
  noteGuest(host: string, g: GuestStatus__Output): void {
    let cur = this.hosts.get(host);
    if (!cur) this.hosts.set(host, (cur = { host, seq: -1, bootId: '', updatedMs: this.now(), guests: new Map() }));
    this.put(cur, g);
    this.needResync.add(host);
    this.emit(host, [g], []);
  }

  host(host: string): HostInventory | undefined {
    return this.hosts.get(host);
  }
  dropHost(host: string): void {
    const cur = this.hosts.get(host);
    if (cur) for (const g of cur.guests.values()) this.unindex(host, g);
    this.hosts.delete(host);
  }

  /** Every host on which a guest of this name (or UUID) is defined (hosts in the order they first reported). */
  whereIs(name: string, uuid?: string): { host: string; guest: GuestStatus__Output }[] {
    const byName = this.byName.get(name);
    const byUuid = uuid ? this.byUuid.get(uuid) : undefined;
    if (!byName && !byUuid) return [];
    const candidates = new Set<string>([...(byName ?? []), ...(byUuid ?? [])]);
    const out: { host: string; guest: GuestStatus__Output }[] = [];
    for (const host of candidates.size > 1 ? [...this.hosts.keys()].filter((h) => candidates.has(h)) : candidates) {
      const h = this.hosts.get(host);
      if (!h) continue;
      let g = h.guests.get(name);
      if (!g && uuid)
        for (const x of h.guests.values())
          if (x.uuid === uuid) {
            g = x;
            break;
          }
      if (g) out.push({ host, guest: g });
    }
    return out;
  }

  private index(host: string, g: GuestStatus__Output): void {
    this.byName.add(g.name, host);
    this.byUuid.add(g.uuid, host);
  }
  private unindex(host: string, g: GuestStatus__Output): void {
    this.byName.delete(g.name, host);
    this.byUuid.delete(g.uuid, host);
  }
  private put(cur: HostInventory, g: GuestStatus__Output): void {
    const prev = cur.guests.get(g.name);
    if (prev) this.unindex(cur.host, prev);
    cur.guests.set(g.name, g);
    this.index(cur.host, g);
  }
  private drop(cur: HostInventory, name: string): boolean {
    const prev = cur.guests.get(name);
    if (!prev) return false;
    this.unindex(cur.host, prev);
    return cur.guests.delete(name);
  }
  allHosts(): HostInventory[] {
    return [...this.hosts.values()];
  }

  private emit(host: string, changed: GuestStatus__Output[], removed: string[]): void {
    for (const l of this.listeners) l(host, changed, removed);
  }
}
