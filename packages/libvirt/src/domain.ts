/** Domain: one guest on one connection. */
import type { ConnectionRef } from './connection-ref';
import {
  DomainAbortJobFlagsValues,
  DomainConsoleFlags,
  DomainCreateFlags,
  DomainDestroyFlagsValues,
  DomainDeviceModifyFlags,
  DomainGetJobStatsFlags,
  DomainInterfaceAddressesSource,
  DomainMemoryModFlags,
  DomainMigrateFlags,
  DomainRebootFlagValues,
  DomainSaveRestoreFlags,
  DomainShutdownFlagValues,
  DomainUndefineFlagsValues,
  DomainVcpuFlags,
  DomainXMLFlags,
} from './generated/libvirt-domain';
import { invoke } from './errors';
import { binding } from './internal/registry';
import type { DomainHandle, NamedChild } from './native';
import { ConsoleStream } from './stream';
import {
  describeState,
  toJobStats,
  toNativeParams,
  type BlockInfo,
  type DomainInfo,
  type DomainInterface,
  type DomainStateInfo,
  type JobInfo,
  type JobStats,
  type MigrateParams,
} from './types';

export interface ConsoleOptions {
  /** Take the console over from another client (VIR_DOMAIN_CONSOLE_FORCE). */
  force?: boolean;
  /** Only open it when the driver can do it safely (VIR_DOMAIN_CONSOLE_SAFE). */
  safe?: boolean;
}

export class Domain {
  /** @internal */ readonly handle: DomainHandle;
  readonly name: string;
  readonly uuid: string;

  /** @internal */
  constructor(
    readonly connection: ConnectionRef,
    child: NamedChild<DomainHandle>,
  ) {
    this.handle = child.handle;
    this.name = child.name;
    this.uuid = child.uuid;
  }

  private run<T>(op: string, fn: () => Promise<T>): Promise<T> {
    return invoke(`Domain.${op}`, fn);
  }

  /** Drops this handle now instead of at garbage collection; later calls reject with INVALID_DOMAIN. */
  free(): void {
    binding().handleFree(this.handle);
  }

  /** The current id (-1 when not running). */
  id(): Promise<number> {
    return this.run('id', () => binding().domGetID(this.handle));
  }

  async isActive(): Promise<boolean> {
    return (await this.run('isActive', () => binding().domIsActive(this.handle, 0))) === 1;
  }

  async isPersistent(): Promise<boolean> {
    return (await this.run('isPersistent', () => binding().domIsPersistent(this.handle, 0))) === 1;
  }

  // ---- lifecycle ----

  /** Starts a defined domain (virDomainCreateWithFlags). */
  async start(flags: DomainCreateFlags | number = 0): Promise<void> {
    await this.run('start', () => binding().domCreate(this.handle, flags));
  }

  /** Same as start(): libvirt's name for it. */
  create(flags: DomainCreateFlags | number = 0): Promise<void> {
    return this.start(flags);
  }

  async shutdown(flags: DomainShutdownFlagValues | number = 0): Promise<void> {
    await this.run('shutdown', () => binding().domShutdown(this.handle, flags));
  }

  async destroy(flags: DomainDestroyFlagsValues | number = 0): Promise<void> {
    await this.run('destroy', () => binding().domDestroy(this.handle, flags));
  }

  async reboot(flags: DomainRebootFlagValues | number = 0): Promise<void> {
    await this.run('reboot', () => binding().domReboot(this.handle, flags));
  }

  async reset(): Promise<void> {
    await this.run('reset', () => binding().domReset(this.handle, 0));
  }

  async suspend(): Promise<void> {
    await this.run('suspend', () => binding().domSuspend(this.handle, 0));
  }

  async resume(): Promise<void> {
    await this.run('resume', () => binding().domResume(this.handle, 0));
  }

  async managedSave(flags: DomainSaveRestoreFlags | number = 0): Promise<void> {
    await this.run('managedSave', () => binding().domManagedSave(this.handle, flags));
  }

  async hasManagedSave(): Promise<boolean> {
    return (await this.run('hasManagedSave', () => binding().domHasManagedSave(this.handle, 0))) === 1;
  }

  async managedSaveRemove(): Promise<void> {
    await this.run('managedSaveRemove', () => binding().domManagedSaveRemove(this.handle, 0));
  }

  /** Removes the definition (flags: MANAGED_SAVE, SNAPSHOTS_METADATA, NVRAM, KEEP_NVRAM, CHECKPOINTS_METADATA...). */
  async undefine(flags: DomainUndefineFlagsValues | number = 0): Promise<void> {
    await this.run('undefine', () => binding().domUndefine(this.handle, flags));
  }

  // ---- facts ----

  async info(): Promise<DomainInfo> {
    return (await this.run('info', () => binding().domInfo(this.handle))) as DomainInfo;
  }

  async state(): Promise<DomainStateInfo> {
    const s = await this.run('state', () => binding().domState(this.handle));
    return describeState(s.state, s.reason);
  }

  /** The domain XML (flags: SECURE, INACTIVE, UPDATE_CPU, MIGRATABLE). */
  getXMLDesc(flags: DomainXMLFlags | number = 0): Promise<string> {
    return this.run('getXMLDesc', () => binding().domGetXMLDesc(this.handle, flags));
  }

  getAutostart(): Promise<boolean> {
    return this.run('getAutostart', () => binding().domGetAutostart(this.handle));
  }

  setAutostart(on: boolean): Promise<void> {
    return this.run('setAutostart', () => binding().domSetAutostart(this.handle, on));
  }

  /** Sets the memory (KiB); flags LIVE/CONFIG/MAXIMUM. */
  setMemory(kib: number, flags: DomainMemoryModFlags | number = 0): Promise<void> {
    return this.run('setMemory', () => binding().domSetMemory(this.handle, kib, flags));
  }

  setVcpus(count: number, flags: DomainVcpuFlags | number = 0): Promise<void> {
    return this.run('setVcpus', () => binding().domSetVcpus(this.handle, count, flags));
  }

  attachDevice(xml: string, flags: DomainDeviceModifyFlags | number = 0): Promise<void> {
    return this.run('attachDevice', () => binding().domAttachDevice(this.handle, xml, flags));
  }

  detachDevice(xml: string, flags: DomainDeviceModifyFlags | number = 0): Promise<void> {
    return this.run('detachDevice', () => binding().domDetachDevice(this.handle, xml, flags));
  }

  detachDeviceAlias(alias: string, flags: DomainDeviceModifyFlags | number = 0): Promise<void> {
    return this.run('detachDeviceAlias', () => binding().domDetachDeviceAlias(this.handle, alias, flags));
  }

  updateDevice(xml: string, flags: DomainDeviceModifyFlags | number = 0): Promise<void> {
    return this.run('updateDevice', () => binding().domUpdateDevice(this.handle, xml, flags));
  }

  interfaceAddresses(source: DomainInterfaceAddressesSource = DomainInterfaceAddressesSource.LEASE): Promise<DomainInterface[]> {
    return this.run('interfaceAddresses', () => binding().domInterfaceAddresses(this.handle, source));
  }

  /** Sizes of one disk (target name like 'vda' or the source path), in bytes. */
  blockInfo(disk: string): Promise<BlockInfo> {
    return this.run('blockInfo', () => binding().domBlockInfo(this.handle, disk));
  }

  // ---- jobs and migration ----

  async jobInfo(): Promise<JobInfo> {
    return (await this.run('jobInfo', () => binding().domJobInfo(this.handle))) as unknown as JobInfo;
  }

  /** Statistics of the running job (or, with DomainGetJobStatsFlags.COMPLETED, of the last completed one). */
  async jobStats(flags: DomainGetJobStatsFlags | number = 0): Promise<JobStats> {
    const r = await this.run('jobStats', () => binding().domJobStats(this.handle, flags));
    return toJobStats(r.type, r.params);
  }

  async abortJob(flags: DomainAbortJobFlagsValues | number = 0): Promise<void> {
    await this.run('abortJob', () => binding().domAbortJob(this.handle, flags));
  }

  /** Maximum migration bandwidth in MiB/s. */
  migrateSetMaxSpeed(mibPerSecond: number, flags = 0): Promise<void> {
    return this.run('migrateSetMaxSpeed', () => binding().domMigrateSetMaxSpeed(this.handle, mibPerSecond, flags));
  }

  migrateGetMaxSpeed(flags = 0): Promise<number> {
    return this.run('migrateGetMaxSpeed', () => binding().domMigrateGetMaxSpeed(this.handle, flags));
  }

  /** Maximum tolerable downtime in milliseconds. */
  migrateSetMaxDowntime(ms: number): Promise<void> {
    return this.run('migrateSetMaxDowntime', () => binding().domMigrateSetMaxDowntime(this.handle, ms, 0));
  }

  async migrateStartPostCopy(): Promise<void> {
    await this.run('migrateStartPostCopy', () => binding().domMigrateStartPostCopy(this.handle, 0));
  }

  /**
   * Migrates the domain (virDomainMigrateToURI3). With DomainMigrateFlags.PEER2PEER, `dconnuri` is the
   * destination libvirtd's URI (qemu+tcp://host/system). The call lasts the whole migration and
   * runs on a thread of its own, so any number can be in flight without starving other calls.
   */
  migrateToURI3(dconnuri: string | undefined, params: MigrateParams = {}, flags: DomainMigrateFlags | number = 0): Promise<void> {
    return this.run('migrateToURI3', () => binding().domMigrateToURI3(this.handle, dconnuri, toNativeParams(params), flags));
  }

  /** Migrates to a destination connection (virDomainMigrate3) and returns the domain there. */
  async migrate(dest: ConnectionRef, params: MigrateParams = {}, flags: DomainMigrateFlags | number = 0): Promise<Domain> {
    const child = await this.run('migrate', () => binding().domMigrate3(this.handle, dest.handle, toNativeParams(params), flags));
    return new Domain(dest, child);
  }

  // ---- console ----

  /**
   * Opens the guest's console (or the named serial/console device, e.g. 'serial0') as a Duplex
   * stream over a non-blocking virStream. It ends when the guest stops.
   */
  async openConsole(device?: string, options: ConsoleOptions = {}): Promise<ConsoleStream> {
    const flags = (options.force ? DomainConsoleFlags.FORCE : 0) | (options.safe ? DomainConsoleFlags.SAFE : 0);
    const r = await this.run('openConsole', () => binding().domOpenConsole(this.handle, device, flags));
    const s = new ConsoleStream(r.handle, r.id);
    this.connection.trackConsole(s);
    return s;
  }
}

/** Opens the console of `domain` (same as domain.openConsole). */
export function openConsole(domain: Domain, device?: string, options: ConsoleOptions = {}): Promise<ConsoleStream> {
  return domain.openConsole(device, options);
}
