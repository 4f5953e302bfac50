/**
 * The agent's one libvirt connection: opened from the configured URI, kept alive with keepalive
 * probes, reopened with backoff when libvirtd restarts or dies (event listeners are attached to
 * every new connection), and the source of the heartbeat's libvirt status and host facts.
 * Nothing else in the agent opens libvirt: handlers ask this manager for the connection.
 */
import { EventEmitter } from 'node:events';
import * as grpc from '@grpc/grpc-js';
import { Connection, ErrorNumber, LibvirtError, type CloseEventInfo, type LifecycleEventInfo } from '@drover/libvirt';
import { DroverError, type HostFacts, type Logger, background } from '@drover/contract';
import type { HostReporter } from '../agent.js';
import { collectFacts, type Facts } from './facts.js';
import { isConnectionLost } from './errors.js';

export type OpenFn = (uri: string) => Promise<Connection>;

export interface ManagerOptions {
  uri: string;
  host: string;
  log: Logger;
  keepaliveIntervalS?: number;
  keepaliveCount?: number;
  reconnectMinMs?: number;
  reconnectMaxMs?: number;
  /** How often facts are refreshed (and the connection probed). */
  factsEveryMs?: number;
  /** Opens a connection; Connection.open by default (tests inject their own). */
  open?: OpenFn;
  /** Whether to collect host facts (off in tests of the reconnect logic). */
  facts?: boolean;
  sysClassNet?: string;
}

export interface ManagerEvents {
  /** A connection is up; `reconnect` is false the first time. */
  connected: [conn: Connection, info: { reconnect: boolean }];
  /** The connection was lost (or could not be made), with why. */
  disconnected: [error: string];
  /** A guest lifecycle event from the current connection. */
  lifecycle: [ev: LifecycleEventInfo];
  /** Facts were refreshed. */
  facts: [facts: Facts];
}

export declare interface LibvirtManager {
  on<K extends keyof ManagerEvents>(event: K, listener: (...args: ManagerEvents[K]) => void): this;
  once<K extends keyof ManagerEvents>(event: K, listener: (...args: ManagerEvents[K]) => void): this;
  off<K extends keyof ManagerEvents>(event: K, listener: (...args: ManagerEvents[K]) => void): this;
  emit<K extends keyof ManagerEvents>(event: K, ...args: ManagerEvents[K]): boolean;
}

/** The next delay of an exponential backoff (doubling from min, capped at max). */
export function nextBackoff(prev: number | undefined, min: number, max: number): number {
  return prev === undefined ? min : Math.min(max, Math.max(min, prev * 2));
}

export class LibvirtManager extends EventEmitter implements HostReporter {
  private current: Connection | undefined;
  private connecting: Promise<void> | undefined;
  private retryTimer: NodeJS.Timeout | undefined;
  private factsTimer: NodeJS.Timeout | undefined;
  private delay: number | undefined;
  private stopped = true;
  private everConnected = false;
  private lastError = 'not connected yet';
  private since = Date.now();
  private lastFacts: Facts | undefined;
  private refreshing: Promise<void> | undefined;
  /** Whether each domain (by UUID) carries drover's metadata; reset for a guest when it is redefined. */
  readonly managedCache = new Map<string, boolean>();
  readonly log: Logger;
  private readonly open: OpenFn;

  constructor(readonly opts: ManagerOptions) {
    super();
    this.log = opts.log.child({ host: opts.host, op: 'libvirt' });
    this.open = opts.open ?? ((uri) => Connection.open(uri));
  }

  get uri(): string {
    return this.opts.uri;
  }

  /** Starts connecting (in the background; failures are retried with backoff). */
  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    background('libvirt connect', this.connect(), this.log);
    if (this.opts.facts !== false) {
      this.factsTimer = setInterval(() => background('host facts refresh', this.refreshFacts(), this.log), this.opts.factsEveryMs ?? 5000);
      this.factsTimer.unref();
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    if (this.factsTimer) clearInterval(this.factsTimer);
    this.retryTimer = undefined;
    this.factsTimer = undefined;
    const c = this.current;
    this.current = undefined;
    if (c) await c.close().catch(() => undefined);
  }

  /** The live connection, if any. */
  get connection(): Connection | undefined {
    return this.current;
  }

  /** The live connection, or UNAVAILABLE naming why libvirt cannot be reached. */
  conn(): Connection {
    if (this.current) return this.current;
    throw new DroverError('LIBVIRT_UNAVAILABLE', `libvirt at ${this.opts.uri} is not reachable: ${this.lastError}`, {
      status: grpc.status.UNAVAILABLE,
      host: this.opts.host,
      hint: 'the agent reconnects by itself; check that libvirtd runs',
    });
  }

  /** Resolves with a connection once one is up (or rejects after `timeoutMs`). */
  waitConnected(timeoutMs: number): Promise<Connection> {
    if (this.current) return Promise.resolve(this.current);
    return new Promise((res, rej) => {
      const t = setTimeout(() => {
        this.off('connected', on);
        rej(
          new DroverError(
            'LIBVIRT_UNAVAILABLE',
            `libvirt at ${this.opts.uri} did not come back within ${timeoutMs} ms: ${this.lastError}`,
            { status: grpc.status.UNAVAILABLE, host: this.opts.host },
          ),
        );
      }, timeoutMs);
      const on = (c: Connection): void => {
        clearTimeout(t);
        res(c);
      };
      this.once('connected', on);
    });
  }

  /** The heartbeat's view of libvirt. */
  libvirt(): { reachable: boolean; uri: string; error: string; sinceMs: number } {
    return { reachable: !!this.current, uri: this.opts.uri, error: this.current ? '' : this.lastError, sinceMs: this.since };
  }

  facts(): HostFacts | undefined {
    return this.current ? this.lastFacts : undefined;
  }

  /**
   * Drops the connection (when a call found it dead) and reconnects now. Returns at once; the
   * 'connected' event tells when it is back.
   */
  lost(reason: string): void {
    const c = this.current;
    if (!c) return;
    this.detach(c, reason);
    void c.close().catch(() => undefined);
    this.scheduleRetry(0);
  }

  /** Re-reads every fact now. */
  refreshFacts(): Promise<void> {
    const c = this.current;
    if (!c || this.opts.facts === false) return Promise.resolve();
    this.refreshing ??= (async () => {
      try {
        const alive = await c.isAlive().catch((e: unknown) => {
          if (isConnectionLost(e)) return false;
          return true;
        });
        if (!alive && this.current === c) {
          this.lost('the connection stopped answering');
          return;
        }
        const { facts, failed } = await collectFacts({
          conn: c,
          uri: this.opts.uri,
          sysClassNet: this.opts.sysClassNet ?? '/sys/class/net',
          managedCache: this.managedCache,
        });
        for (const f of failed) {
          this.log.debug({ fact: f.name, err: (f.error as Error).message }, 'fact not collected');
          if (isConnectionLost(f.error) && this.current === c) {
            this.lost((f.error as Error).message);
            return;
          }
        }
        if (this.current === c) {
          this.lastFacts = facts;
          this.emit('facts', facts);
        }
      } finally {
        this.refreshing = undefined;
      }
    })();
    return this.refreshing;
  }

  private connect(): Promise<void> {
    this.connecting ??= (async () => {
      try {
        if (this.stopped || this.current) return;
        let c: Connection;
        try {
          c = await this.open(this.opts.uri);
        } catch (e) {
          const msg = (e as Error).message;
          if (msg !== this.lastError) this.log.warn({ uri: this.opts.uri, err: msg }, 'libvirt not reachable; retrying');
          this.lastError = msg;
          this.scheduleRetry();
          return;
        }
        if (this.stopped) {
          await c.close().catch(() => undefined);
          return;
        }
        await this.keepalive(c);
        this.attach(c);
      } finally {
        this.connecting = undefined;
      }
    })();
    return this.connecting;
  }

  private async keepalive(c: Connection): Promise<void> {
    const interval = this.opts.keepaliveIntervalS ?? 5;
    if (interval <= 0) return;
    try {
      await c.setKeepAlive(interval, this.opts.keepaliveCount ?? 3);
    } catch (e) {
      // Local drivers (test, and qemu:///system without a daemon) have no keepalive: fine.
      const level =
        e instanceof LibvirtError && (e.code === ErrorNumber.NO_SUPPORT || e.code === ErrorNumber.INTERNAL_ERROR) ? 'debug' : 'warn';
      this.log[level]({ err: (e as Error).message }, 'libvirt keepalive not enabled');
    }
  }

  private readonly onLifecycle = (ev: LifecycleEventInfo): void => {
    if (ev.eventName === 'DEFINED' || ev.eventName === 'UNDEFINED') this.managedCache.delete(ev.domain.uuid);
    this.emit('lifecycle', ev);
  };

  private attach(c: Connection): void {
    this.current = c;
    this.delay = undefined;
    this.lastError = '';
    this.since = Date.now();
    this.managedCache.clear();
    c.on('lifecycle', this.onLifecycle);
    c.once('close', (info: CloseEventInfo) => {
      if (this.current !== c) return;
      this.detach(c, `connection closed (${info.reasonName})`);
      this.scheduleRetry(0);
    });
    const reconnect = this.everConnected;
    this.everConnected = true;
    this.log.info({ uri: this.opts.uri, reconnect }, reconnect ? 'libvirt reconnected' : 'libvirt connected');
    this.emit('connected', c, { reconnect });
    background('host facts refresh', this.refreshFacts(), this.log);
  }

  private detach(c: Connection, reason: string): void {
    c.off('lifecycle', this.onLifecycle);
    if (this.current === c) this.current = undefined;
    this.lastError = reason;
    this.since = Date.now();
    this.lastFacts = undefined;
    this.log.warn({ uri: this.opts.uri, err: reason }, 'libvirt connection lost');
    this.emit('disconnected', reason);
  }

  private scheduleRetry(delayMs?: number): void {
    if (this.stopped || this.retryTimer) return;
    const d = delayMs ?? (this.delay = nextBackoff(this.delay, this.opts.reconnectMinMs ?? 500, this.opts.reconnectMaxMs ?? 30_000));
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      background('libvirt reconnect', this.connect(), this.log);
    }, d);
  }
}
