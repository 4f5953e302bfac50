/**
 * What the server knows of each hypervisor host: an in-memory view kept consistent with the
 * `hoststate` table. Heartbeats update the view at once; their table rows are written in batches
 * (one transaction for every host heard from in the last `flushMs`, the latest heartbeat of each),
 * since 2,000 hosts heartbeating every 5 s would otherwise cost 400 commits a second. A timer
 * re-classifies hosts as up/stale/down and writes transitions (after flushing what waits).
 */
import type { HostRecord, HostStore } from '../db/stores.js';
import { classify, type HostLiveness, type Thresholds } from './state.js';
import { background, codec, type Logger } from '@drover/contract';
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
  readonly listeners = new Set<(h: HostView, prev: HostLiveness) => void>();

  private constructor(
    private readonly store: HostStore,
    private readonly thresholds: Thresholds,
    private readonly log: Logger,
    private readonly now: () => number,
  ) {}

  /** The registry with every host the table knows. */
  static async open(store: HostStore, thresholds: Thresholds, log: Logger, now: () => number = Date.now): Promise<HostRegistry> {
    const reg = new HostRegistry(store, thresholds, log, now);
    for (const r of await store.all()) {
      reg.hosts.set(r.host, {
        ...r,
        state: r.state as HostLiveness,
        facts: r.facts ? factsCodec.decode(r.facts) : null,
      });
    }
    return reg;
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
      this.flushTimer = setTimeout(() => background('heartbeat rows', this.flush(), this.log), this.flushMs);
      this.flushTimer.unref();
    }
    if (!prev || prev.state !== 'up') {
      this.log.info({ host: hb.host, address: view.address, from: prev?.state ?? 'unknown' }, 'host up');
      for (const l of this.listeners) l(view, prev?.state ?? 'down');
    }
    return view;
  }

  /** Writes the heartbeat rows that wait, in one transaction. */
  async flush(): Promise<void> {
    if (this.flushTimer) clearTimeout(this.flushTimer);
    this.flushTimer = undefined;
    if (this.pending.size === 0) return;
    const rows = [...this.pending.values()].map((v): HostRecord => ({ ...v, facts: v.facts ? factsCodec.encode(v.facts) : null }));
    this.pending.clear();
    await this.store.saveHeartbeats(rows);
  }

  /** Re-classifies every host; writes and logs transitions. */
  async sweep(): Promise<void> {
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
    await this.flush();
    await this.store.setStates(changed.map(([h]) => ({ host: h.host, state: h.state })));
    for (const [h, prev] of changed) {
      this.log.warn({ host: h.host, from: prev, to: h.state, ageMs: now - h.lastSeenMs }, `host ${h.state}`);
      for (const l of this.listeners) l(h, prev);
    }
  }

  start(everyMs: number): void {
    this.timer = setInterval(() => background('host sweep', this.sweep(), this.log), everyMs);
    this.timer.unref();
  }
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.flush();
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
  async enrolled(host: string): Promise<void> {
    await this.store.enrolled(host, this.now());
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
  remove(host: string): Promise<void> {
    this.hosts.delete(host);
    this.pending.delete(host);
    return this.store.remove(host);
  }
  setMaintenance(host: string, on: boolean): Promise<void> {
    const h = this.hosts.get(host);
    if (h) h.maintenance = on;
    return this.store.setMaintenance(host, on);
  }
}
