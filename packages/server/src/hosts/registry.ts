/**
 * What the server knows of each hypervisor host: an in-memory view kept consistent with the
 * `hoststate` table. Heartbeats update the view at once; their table rows are written in batches
 * (one transaction for every host heard from in the last `flushMs`, the latest heartbeat of each),
 * since 2,000 hosts heartbeating every 5 s would otherwise cost 400 commits a second. A timer
 * re-classifies hosts as up/stale/down and writes transitions (after flushing what waits).
 */
import type { Db } from '../db/database.js';
import { classify, type HostLiveness, type Thresholds } from './state.js';
import { codec, type Logger } from '@drover/contract';
import type { Heartbeat__Output, HostFacts__Output } from '@drover/contract';

export interface HostView {
  host: string;
  address: string;
  state: HostLiveness;
  lastSeenMs: number;
  bootId: string;
  libvirtReachable: boolean;
  libvirtError: string;
  facts: HostFacts__Output | null;
  maintenance: boolean;
  simulated: boolean;
}

const factsCodec = codec<HostFacts__Output>('HostFacts');

export class HostRegistry {
  private readonly hosts = new Map<string, HostView>();
  private timer: NodeJS.Timeout | undefined;
  /** Heartbeat rows not yet written, by host (only the latest matters). */
  private readonly pending = new Map<string, HostView>();
  private flushTimer: NodeJS.Timeout | undefined;
  /** How long a heartbeat's row may wait before it is written. */
  flushMs = 1000;
  private readonly upsert;
  private readonly setState;
  readonly listeners = new Set<(h: HostView, prev: HostLiveness) => void>();

  constructor(
    private readonly db: Db,
    private readonly thresholds: Thresholds,
    private readonly log: Logger,
    private readonly now: () => number = Date.now,
  ) {
    this.upsert =
      db.prepare(`INSERT INTO hoststate(host, address, state, last_seen_ms, boot_id, libvirt_reachable, libvirt_error, facts, simulated)
      VALUES (@host, @address, @state, @lastSeenMs, @bootId, @libvirtReachable, @libvirtError, @facts, @simulated)
      ON CONFLICT(host) DO UPDATE SET address = excluded.address, state = excluded.state, last_seen_ms = excluded.last_seen_ms,
        boot_id = excluded.boot_id, libvirt_reachable = excluded.libvirt_reachable, libvirt_error = excluded.libvirt_error,
        facts = excluded.facts, simulated = excluded.simulated`);
    this.setState = db.prepare('UPDATE hoststate SET state = ? WHERE host = ?');
    for (const r of db.prepare('SELECT * FROM hoststate').all() as Record<string, unknown>[]) {
      const facts = r.facts ? factsCodec.decode(r.facts as Uint8Array) : null;
      this.hosts.set(String(r.host), {
        host: String(r.host),
        address: String(r.address),
        state: r.state as HostLiveness,
        lastSeenMs: Number(r.last_seen_ms),
        bootId: String(r.boot_id),
        libvirtReachable: Boolean(r.libvirt_reachable),
        libvirtError: String(r.libvirt_error),
        facts,
        maintenance: Boolean(r.maintenance),
        simulated: Boolean(r.simulated),
      });
    }
  }

  /** Records a heartbeat. Returns the host's view. */
  heartbeat(hb: Heartbeat__Output): HostView {
    const now = this.now();
    const prev = this.hosts.get(hb.host);
    const view: HostView = {
      host: hb.host,
      address: hb.grpcAddress,
      state: 'up',
      lastSeenMs: now,
      bootId: hb.bootId,
      libvirtReachable: hb.libvirt?.reachable ?? false,
      libvirtError: hb.libvirt?.error ?? '',
      facts: hb.facts ?? null,
      maintenance: prev?.maintenance ?? false,
      simulated: hb.simulated,
    };
    this.hosts.set(hb.host, view);
    this.pending.set(hb.host, view);
    if (!this.flushTimer) {
      this.flushTimer = setTimeout(() => this.flush(), this.flushMs);
      this.flushTimer.unref();
    }
    if (!prev || prev.state !== 'up') {
      this.log.info({ host: hb.host, address: view.address, from: prev?.state ?? 'unknown' }, 'host up');
      for (const l of this.listeners) l(view, prev?.state ?? 'down');
    }
    return view;
  }

  /** Writes the heartbeat rows that wait, in one transaction. */
  flush(): void {
    if (this.flushTimer) clearTimeout(this.flushTimer);
    this.flushTimer = undefined;
    if (this.pending.size === 0) return;
    const rows = [...this.pending.values()];
    this.pending.clear();
    this.db.transaction(() => {
      for (const v of rows) {
        this.upsert.run({
          host: v.host,
          address: v.address,
          state: v.state,
          lastSeenMs: v.lastSeenMs,
          bootId: v.bootId,
          libvirtReachable: v.libvirtReachable ? 1 : 0,
          libvirtError: v.libvirtError,
          facts: v.facts ? Buffer.from(factsCodec.encode(v.facts)) : null,
          simulated: v.simulated ? 1 : 0,
        });
      }
    })();
  }

  /** Re-classifies every host; writes and logs transitions. */
  sweep(): void {
    const now = this.now();
    const changed: [HostView, HostLiveness][] = [];
    for (const h of this.hosts.values()) {
      const s = classify(h.lastSeenMs, now, this.thresholds);
      if (s !== h.state) {
        changed.push([h, h.state]);
        h.state = s;
      }
    }
    if (changed.length === 0) return;
    this.flush();
    this.db.transaction(() => {
      for (const [h] of changed) this.setState.run(h.state, h.host);
    })();
    for (const [h, prev] of changed) {
      this.log.warn({ host: h.host, from: prev, to: h.state, ageMs: now - h.lastSeenMs }, `host ${h.state}`);
      for (const l of this.listeners) l(h, prev);
    }
  }

  start(everyMs: number): void {
    this.timer = setInterval(() => this.sweep(), everyMs);
    this.timer.unref();
  }
  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.flush();
  }

  get(host: string): HostView | undefined {
    const h = this.hosts.get(host);
    if (h) h.state = classify(h.lastSeenMs, this.now(), this.thresholds);
    return h;
  }
  all(): HostView[] {
    const now = this.now();
    return [...this.hosts.values()]
      .map((h) => ({ ...h, state: classify(h.lastSeenMs, now, this.thresholds) }))
      .sort((a, b) => a.host.localeCompare(b.host, 'en', { numeric: true }));
  }
  /** Registers a host at enrolment (it appears in the cluster, down until it heartbeats). */
  enrolled(host: string): void {
    this.db
      .prepare(
        "INSERT INTO hoststate(host, state, enrolled_ms) VALUES (?, 'down', ?) ON CONFLICT(host) DO UPDATE SET enrolled_ms = excluded.enrolled_ms",
      )
      .run(host, this.now());
    if (!this.hosts.has(host)) {
      this.hosts.set(host, {
        host,
        address: '',
        state: 'down',
        lastSeenMs: 0,
        bootId: '',
        libvirtReachable: false,
        libvirtError: '',
        facts: null,
        maintenance: false,
        simulated: false,
      });
    }
  }
  remove(host: string): void {
    this.hosts.delete(host);
    this.pending.delete(host);
    this.db.prepare('DELETE FROM hoststate WHERE host = ?').run(host);
  }
  setMaintenance(host: string, on: boolean): void {
    const h = this.hosts.get(host);
    if (h) h.maintenance = on;
    this.db.prepare('UPDATE hoststate SET maintenance = ? WHERE host = ?').run(on ? 1 : 0, host);
  }
}
