/**
 * @drover/libvirt: an asynchronous binding to libvirt. Every call that can block runs off the
 * JavaScript thread and returns a Promise; every failure is a LibvirtError with libvirt's code.
 */
import { binding } from './internal/registry';
import type { HandleCounts } from './types';

export { Connection, type ConnectionEvents, type OpenOptions } from './connection';
export type { ConnectionRef } from './connection-ref';
export { Domain, openConsole, type ConsoleOptions } from './domain';
export { StoragePool, StorageVolume, type PoolInfo, type VolumeInfo } from './storage';
export { ConsoleStream } from './stream';
export { LibvirtError, type LibvirtErrorFields } from './errors';
/** Every enum of libvirt's domain, host, storage, stream and error headers, generated from libvirt-api.xml. */
export * from './generated/index';
export {
  describeState,
  unpackVersion,
  type BlockInfo,
  type CloseEventInfo,
  type ConnectionEvent,
  type DeviceEventInfo,
  type DomainEvent,
  type DomainInfo,
  type DomainInterface,
  type DomainRef,
  type DomainStateInfo,
  type HandleCounts,
  type InterfaceAddress,
  type JobCompletedEventInfo,
  type JobInfo,
  type JobStats,
  type LifecycleEventInfo,
  type MigrateParams,
  type MigrationIterationEventInfo,
  type NodeInfo,
  type RebootEventInfo,
  type Version,
} from './types';

/** Native libvirt objects currently held by JavaScript handles, by kind. */
export function liveHandles(): HandleCounts {
  return binding().liveHandles();
}
export { testHostXml, writeTestHost, type TestDomainSpec, type TestHostSpec, type TestPoolSpec } from './testdriver';
