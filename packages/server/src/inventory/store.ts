/**
 * The guests each host reports: an in-memory view built from the agents' inventories (full on
 * connect, diffs after) and lifecycle events. A gap in an inventory's sequence, an unknown host
 * after a server restart, or an agent's gap marker triggers a resync (ListGuests over gRPC), so
 * state is never silently lost.
 */
import type { GuestStatus__Output, Inventory__Output, GuestEvent__Output, Logger } from '@drover/contract';

export interface HostInventory { host: string; seq: number; bootId: string; updatedMs: number; guests: Map<string, GuestStatus__Output> }

export class InventoryStore {
  private readonly hosts = new Map<string, HostInventory>();
  /** Hosts whose inventory must be fetched again. */
  readonly needResync = new Set<string>();
  readonly listeners = new Set<(host: string, changed: GuestStatus__Output[], removed: string[]) => void>();

  constructor(private readonly log: Logger, private readonly now: () => number = Date.now) {}

  applyInventory(inv: Inventory__Output): void {
    const cur = this.hosts.get(inv.host);
    if (inv.full) {
      const guests = new Map(inv.guests.map((g) => [g.name, g]));
      const removed = cur ? [...cur.guests.keys()].filter((n) => !guests.has(n)) : [];
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
    for (const g of inv.guests) cur.guests.set(g.name, g);
    for (const n of inv.removed) cur.guests.delete(n);
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
      if (cur.guests.delete(ev.guest)) this.emit(ev.host, [], [ev.guest]);
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

  host(host: string): HostInventory | undefined { return this.hosts.get(host); }
  dropHost(host: string): void { this.hosts.delete(host); }

  /** Every host on which a guest of this name (or UUID) is defined. */
  whereIs(name: string, uuid?: string): { host: string; guest: GuestStatus__Output }[] {
    const out: { host: string; guest: GuestStatus__Output }[] = [];
    for (const h of this.hosts.values()) {
      const g = h.guests.get(name) ?? (uuid ? [...h.guests.values()].find((x) => x.uuid === uuid) : undefined);
      if (g) out.push({ host: h.host, guest: g });
    }
    return out;
  }
  allHosts(): HostInventory[] { return [...this.hosts.values()]; }

  private emit(host: string, changed: GuestStatus__Output[], removed: string[]): void {
    for (const l of this.listeners) l(host, changed, removed);
  }
}
