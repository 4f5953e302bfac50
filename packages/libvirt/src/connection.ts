/** Connection: one libvirt connection (any URI), its host facts, lookups and events. */
import { EventEmitter } from 'node:events';
import type { ConnectionRef } from './connection-ref';
import { Domain } from './domain';
import { ConnectCloseReason } from './generated/libvirt-common';
import { ConnectListAllDomainsFlags, DomainCreateFlags, DomainDefineFlags, DomainJobType } from './generated/libvirt-domain';
import { CPUCompareResult } from './generated/libvirt-host';
import { ConnectListAllStoragePoolsFlags } from './generated/libvirt-storage';
import { invoke } from './errors';
import { AsyncQueue } from './internal/queue';
import {
  binding,
  registerConnection,
  setHold,
  unregisterConnection,
  type ConnEvent,
  type ConnSink,
  type LoopHold,
} from './internal/registry';
import type { ConnHandle } from './native';
import { StoragePool, StorageVolume } from './storage';
import type { ConsoleStream } from './stream';
import {
  lifecycleNames,
  toJobStats,
  unpackVersion,
  type CloseEventInfo,
  type ConnectionEvent,
  type DomainEvent,
  type DeviceEventInfo,
  type JobCompletedEventInfo,
  type LifecycleEventInfo,
  type MigrationIterationEventInfo,
  type NodeInfo,
  type RebootEventInfo,
  type Version,
} from './types';

export interface OpenOptions {
  /** Open read-only (VIR_CONNECT_RO). */
  readOnly?: boolean;
  /** Register for domain events (default true). The close callback is always registered. */
  events?: boolean;
}

/** Event names and their listener arguments. */
export interface ConnectionEvents {
  lifecycle: [LifecycleEventInfo];
  reboot: [RebootEventInfo];
  'migration-iteration': [MigrationIterationEventInfo];
  'job-completed': [JobCompletedEventInfo];
  'device-removed': [DeviceEventInfo];
  'device-added': [DeviceEventInfo];
  /** Every domain event, whatever its type. */
  event: [DomainEvent];
  /** The connection closed: libvirtd went away (EOF, ERROR, KEEPALIVE) or close() was called (CLIENT). */
  close: [CloseEventInfo];
}

const EVENT_NAMES: (keyof ConnectionEvents)[] = [
  'lifecycle',
  'reboot',
  'migration-iteration',
  'job-completed',
  'device-removed',
  'device-added',
  'event',
  'close',
];

export declare interface Connection {
  on<K extends keyof ConnectionEvents>(event: K, listener: (...args: ConnectionEvents[K]) => void): this;
  once<K extends keyof ConnectionEvents>(event: K, listener: (...args: ConnectionEvents[K]) => void): this;
  off<K extends keyof ConnectionEvents>(event: K, listener: (...args: ConnectionEvents[K]) => void): this;
  emit<K extends keyof ConnectionEvents>(event: K, ...args: ConnectionEvents[K]): boolean;
}

export class Connection extends EventEmitter implements ConnSink, ConnectionRef {
  private closedFlag = false;
  private closing: Promise<void> | undefined;
  private readonly queues = new Set<AsyncQueue<ConnectionEvent>>();
  private readonly consoles = new Set<ConsoleStream>();
  private readonly hold: LoopHold = { held: false };
  private refed = true;

  private constructor(
    /** @internal */ readonly handle: ConnHandle,
    /** Process-unique id of this connection. */
    readonly id: number,
    /** The URI it was opened with. */
    readonly uri: string,
  ) {
    super();
    const update = () => queueMicrotask(() => this.updateHold());
    EventEmitter.prototype.on.call(this, 'newListener', update);
    EventEmitter.prototype.on.call(this, 'removeListener', update);
  }

  /** Opens a connection: test:///abs/host.xml, qemu:///system, qemu+unix:///system?socket=..., qemu+tcp://host/system... */
  static open(uri: string, options: OpenOptions = {}): Promise<Connection> {
    return invoke('Connection.open', async () => {
      const r = await binding().connOpen(uri, options.readOnly === true, options.events !== false);
      const c = new Connection(r.handle, r.id, uri);
      registerConnection(r.id, c, c.hold);
      return c;
    });
  }

  /** True once close() was called. */
  get closed(): boolean {
    return this.closedFlag;
  }

  /**
   * Closes the connection and every domain, pool, volume and console obtained through it. No
   * event is delivered after this is called. Idempotent.
   */
  close(): Promise<void> {
    if (this.closing) return this.closing;
    this.closedFlag = true;
    unregisterConnection(this.id, this);
    this.updateHold();
    for (const c of this.consoles) c.destroy();
    this.consoles.clear();
    this.closing = invoke('Connection.close', () => binding().connClose(this.handle)).then(() => {
      const ev: CloseEventInfo = { type: 'close', reason: ConnectCloseReason.CLIENT, reasonName: 'CLIENT' };
      for (const q of this.queues) q.end();
      this.queues.clear();
      this.emit('close', ev);
    });
    return this.closing;
  }

  /** Starts keepalive probes every `interval` seconds; the connection closes after `count` unanswered. */
  async setKeepAlive(interval: number, count: number): Promise<void> {
    await invoke('Connection.setKeepAlive', () => binding().connSetKeepAlive(this.handle, interval, count));
  }

  isAlive(): Promise<boolean> {
    return invoke('Connection.isAlive', () => binding().connIsAlive(this.handle));
  }

  hostname(): Promise<string> {
    return invoke('Connection.hostname', () => binding().connHostname(this.handle));
  }

  /** The driver name, e.g. 'QEMU' or 'TEST'. */
  type(): Promise<string> {
    return invoke('Connection.type', () => binding().connType(this.handle));
  }

  /** The canonical URI libvirt reports for this connection. */
  getURI(): Promise<string> {
    return invoke('Connection.getURI', () => binding().connUri(this.handle));
  }

  nodeInfo(): Promise<NodeInfo> {
    return invoke('Connection.nodeInfo', () => binding().connNodeInfo(this.handle));
  }

  /** Free host memory in bytes. */
  freeMemory(): Promise<number> {
    return invoke('Connection.freeMemory', () => binding().connFreeMemory(this.handle));
  }

  capabilities(): Promise<string> {
    return invoke('Connection.capabilities', () => binding().connCapabilities(this.handle));
  }

  /** Version of the libvirt library (of the daemon, for remote connections). */
  async libVersion(): Promise<Version> {
    return unpackVersion(await invoke('Connection.libVersion', () => binding().connLibVersion(this.handle)));
  }

  /** Version of the hypervisor behind the driver (QEMU's, for qemu:///). */
  async hypervisorVersion(): Promise<Version> {
    return unpackVersion(await invoke('Connection.hypervisorVersion', () => binding().connVersion(this.handle)));
  }

  /** Compares a CPU description with the host CPU (migration pre-check). */
  compareCPU(xml: string, flags = 0): Promise<CPUCompareResult> {
    return invoke('Connection.compareCPU', () => binding().connCompareCPU(this.handle, xml, flags));
  }

  /**
   * Compares a guest CPU description with what the hypervisor can give a guest (for QEMU: the host
   * CPU as KVM exposes it, or what TCG emulates), the check libvirt recommends before migrating.
   * Unset fields take the host's defaults.
   */
  compareHypervisorCPU(
    xml: string,
    opts: { emulator?: string; arch?: string; machine?: string; virttype?: string } = {},
    flags = 0,
  ): Promise<CPUCompareResult> {
    return invoke('Connection.compareHypervisorCPU', () =>
      binding().connCompareHypervisorCPU(
        this.handle,
        opts.emulator ?? '',
        opts.arch ?? '',
        opts.machine ?? '',
        opts.virttype ?? '',
        xml,
        flags,
      ),
    );
  }

  baselineCPU(xmls: string[], flags = 0): Promise<string> {
    return invoke('Connection.baselineCPU', () => binding().connBaselineCPU(this.handle, xmls, flags));
  }

  // ---- domains ----

  async listAllDomains(flags: ConnectListAllDomainsFlags | number = 0): Promise<Domain[]> {
    const list = await invoke('Connection.listAllDomains', () => binding().domListAll(this.handle, flags));
    return list.map((c) => new Domain(this, c));
  }

  async lookupDomainByName(name: string): Promise<Domain> {
    return new Domain(this, await invoke('Connection.lookupDomainByName', () => binding().domLookupByName(this.handle, name)));
  }

  async lookupDomainByUUID(uuid: string): Promise<Domain> {
    return new Domain(this, await invoke('Connection.lookupDomainByUUID', () => binding().domLookupByUUID(this.handle, uuid)));
  }

  async lookupDomainByID(id: number): Promise<Domain> {
    return new Domain(this, await invoke('Connection.lookupDomainByID', () => binding().domLookupByID(this.handle, id)));
  }

  /** Defines (persists) a domain without starting it. */
  async defineDomain(xml: string, flags: DomainDefineFlags | number = 0): Promise<Domain> {
    return new Domain(this, await invoke('Connection.defineDomain', () => binding().domDefineXML(this.handle, xml, flags)));
  }

  /** Creates and starts a transient domain. */
  async createDomain(xml: string, flags: DomainCreateFlags | number = 0): Promise<Domain> {
    return new Domain(this, await invoke('Connection.createDomain', () => binding().domCreateXML(this.handle, xml, flags)));
  }

  // ---- storage ----

  async listAllStoragePools(flags: ConnectListAllStoragePoolsFlags | number = 0): Promise<StoragePool[]> {
    const list = await invoke('Connection.listAllStoragePools', () => binding().poolListAll(this.handle, flags));
    return list.map((c) => new StoragePool(this, c));
  }

  async lookupStoragePoolByName(name: string): Promise<StoragePool> {
    return new StoragePool(this, await invoke('Connection.lookupStoragePoolByName', () => binding().poolLookupByName(this.handle, name)));
  }

  async lookupStoragePoolByUUID(uuid: string): Promise<StoragePool> {
    return new StoragePool(this, await invoke('Connection.lookupStoragePoolByUUID', () => binding().poolLookupByUUID(this.handle, uuid)));
  }

  async lookupStoragePoolByTargetPath(path: string): Promise<StoragePool> {
    return new StoragePool(
      this,
      await invoke('Connection.lookupStoragePoolByTargetPath', () => binding().poolLookupByTargetPath(this.handle, path)),
    );
  }

  /** Defines a persistent (inactive) pool. */
  async defineStoragePool(xml: string, flags = 0): Promise<StoragePool> {
    return new StoragePool(this, await invoke('Connection.defineStoragePool', () => binding().poolDefineXML(this.handle, xml, flags)));
  }

  /** Creates and starts a transient pool. */
  async createStoragePool(xml: string, flags = 0): Promise<StoragePool> {
    return new StoragePool(this, await invoke('Connection.createStoragePool', () => binding().poolCreateXML(this.handle, xml, flags)));
  }

  async lookupStorageVolumeByPath(path: string): Promise<StorageVolume> {
    return new StorageVolume(
      this,
      await invoke('Connection.lookupStorageVolumeByPath', () => binding().volLookupByPath(this.handle, path)),
    );
  }

  // ---- events ----

  /**
   * Every event of this connection (domain events and close) as an async iterator; it ends when
   * the connection closes, or when the loop breaks.
   */
  events(): AsyncIterableIterator<ConnectionEvent> {
    const q: AsyncQueue<ConnectionEvent> = new AsyncQueue(() => {
      this.queues.delete(q);
      this.updateHold();
    });
    if (this.closedFlag) q.end();
    else this.queues.add(q);
    this.updateHold();
    return q;
  }

  /**
   * While it has event listeners or open iterators, an open connection keeps the process alive
   * (like a socket). unref() lets the process exit anyway; ref() undoes that.
   */
  unref(): this {
    this.refed = false;
    this.updateHold();
    return this;
  }

  ref(): this {
    this.refed = true;
    this.updateHold();
    return this;
  }

  private updateHold(): void {
    const listening = EVENT_NAMES.some((n) => this.listenerCount(n) > 0) || this.queues.size > 0;
    setHold(this.hold, !this.closedFlag && this.refed && listening);
  }

  /** @internal */
  trackConsole(c: ConsoleStream): void {
    this.consoles.add(c);
    c.once('close', () => this.consoles.delete(c));
  }

  private publish(ev: ConnectionEvent): void {
    for (const q of this.queues) q.push(ev);
  }

  /** @internal */
  deliver(ev: ConnEvent): void {
    if (this.closedFlag) return;
    if (ev.kind === 'close') {
      const info: CloseEventInfo = {
        type: 'close',
        reason: ev.reason as ConnectCloseReason,
        reasonName: ConnectCloseReason[ev.reason] ?? String(ev.reason),
      };
      this.publish(info);
      for (const q of this.queues) q.end();
      this.queues.clear();
      this.updateHold();
      this.emit('close', info);
      return;
    }
    let info: DomainEvent;
    switch (ev.type) {
      case 'lifecycle':
        info = { type: 'lifecycle', domain: ev.domain, event: ev.event, detail: ev.detail, ...lifecycleNames(ev.event, ev.detail) };
        break;
      case 'reboot':
        info = { type: 'reboot', domain: ev.domain };
        break;
      case 'migration-iteration':
        info = { type: 'migration-iteration', domain: ev.domain, iteration: ev.iteration };
        break;
      case 'job-completed': {
        info = { type: 'job-completed', domain: ev.domain, stats: toJobStats(DomainJobType.COMPLETED, ev.stats) };
        break;
      }
      case 'device-removed':
      case 'device-added':
        info = { type: ev.type, domain: ev.domain, device: ev.device };
        break;
    }
    this.publish(info);
    this.emit(info.type, info as never);
    this.emit('event', info);
  }
}
