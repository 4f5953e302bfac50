/** StoragePool and StorageVolume. */
import type { ConnectionRef } from './connection-ref';
import {
  StoragePoolBuildFlags,
  StoragePoolState,
  StorageVolCreateFlags,
  StorageVolDeleteFlags,
  StorageVolResizeFlags,
  StorageVolType,
} from './generated/libvirt-storage';
import { invoke } from './errors';
import { binding } from './internal/registry';
import type { NamedChild, PoolHandle, VolChild, VolHandle } from './native';

export interface PoolInfo {
  state: StoragePoolState;
  /** Bytes. */
  capacity: number;
  allocation: number;
  available: number;
}

export interface VolumeInfo {
  type: StorageVolType;
  /** Logical size in bytes. */
  capacity: number;
  /** Bytes actually allocated (0 for a fresh sparse file). */
  allocation: number;
}

export class StoragePool {
  /** @internal */ readonly handle: PoolHandle;
  readonly name: string;
  readonly uuid: string;

  /** @internal */
  constructor(
    readonly connection: ConnectionRef,
    child: NamedChild<PoolHandle>,
  ) {
    this.handle = child.handle;
    this.name = child.name;
    this.uuid = child.uuid;
  }

  private run<T>(op: string, fn: () => Promise<T>): Promise<T> {
    return invoke(`StoragePool.${op}`, fn);
  }

  free(): void {
    binding().handleFree(this.handle);
  }

  async build(flags: StoragePoolBuildFlags | number = 0): Promise<void> {
    await this.run('build', () => binding().poolBuild(this.handle, flags));
  }

  /** Starts (activates) the pool. */
  async start(flags = 0): Promise<void> {
    await this.run('start', () => binding().poolCreate(this.handle, flags));
  }

  create(flags = 0): Promise<void> {
    return this.start(flags);
  }

  async refresh(): Promise<void> {
    await this.run('refresh', () => binding().poolRefresh(this.handle, 0));
  }

  /** Stops the pool (its data stays). */
  async destroy(): Promise<void> {
    await this.run('destroy', () => binding().poolDestroy(this.handle, 0));
  }

  /** Deletes the pool's underlying storage (the directory, for dir pools). */
  async delete(flags = 0): Promise<void> {
    await this.run('delete', () => binding().poolDelete(this.handle, flags));
  }

  async undefine(): Promise<void> {
    await this.run('undefine', () => binding().poolUndefine(this.handle, 0));
  }

  async isActive(): Promise<boolean> {
    return (await this.run('isActive', () => binding().poolIsActive(this.handle, 0))) === 1;
  }

  async isPersistent(): Promise<boolean> {
    return (await this.run('isPersistent', () => binding().poolIsPersistent(this.handle, 0))) === 1;
  }

  async info(): Promise<PoolInfo> {
    return (await this.run('info', () => binding().poolInfo(this.handle))) as PoolInfo;
  }

  getXMLDesc(flags = 0): Promise<string> {
    return this.run('getXMLDesc', () => binding().poolGetXMLDesc(this.handle, flags));
  }

  getAutostart(): Promise<boolean> {
    return this.run('getAutostart', () => binding().poolGetAutostart(this.handle));
  }

  setAutostart(on: boolean): Promise<void> {
    return this.run('setAutostart', () => binding().poolSetAutostart(this.handle, on));
  }

  async listVolumes(): Promise<StorageVolume[]> {
    const list = await this.run('listVolumes', () => binding().volListAll(this.handle));
    return list.map((c) => new StorageVolume(this.connection, c));
  }

  async lookupVolumeByName(name: string): Promise<StorageVolume> {
    return new StorageVolume(this.connection, await this.run('lookupVolumeByName', () => binding().volLookupByName(this.handle, name)));
  }

  /**
   * Creates a volume from XML. A sparse raw file: `<volume><name>a.img</name><capacity unit='G'>8</capacity>
   * <allocation>0</allocation><target><format type='raw'/></target></volume>`; qcow2 with format type='qcow2'.
   */
  async createVolume(xml: string, flags: StorageVolCreateFlags | number = 0): Promise<StorageVolume> {
    return new StorageVolume(this.connection, await this.run('createVolume', () => binding().volCreateXML(this.handle, xml, flags)));
  }
}

export class StorageVolume {
  /** @internal */ readonly handle: VolHandle;
  readonly name: string;
  /** libvirt's unique key of the volume (for file volumes, its path). */
  readonly key: string;

  /** @internal */
  constructor(
    readonly connection: ConnectionRef,
    child: VolChild,
  ) {
    this.handle = child.handle;
    this.name = child.name;
    this.key = child.key;
  }

  private run<T>(op: string, fn: () => Promise<T>): Promise<T> {
    return invoke(`StorageVolume.${op}`, fn);
  }

  free(): void {
    binding().handleFree(this.handle);
  }

  delete(flags: StorageVolDeleteFlags | number = 0): Promise<void> {
    return this.run('delete', () => binding().volDelete(this.handle, flags));
  }

  wipe(): Promise<void> {
    return this.run('wipe', () => binding().volWipe(this.handle, 0));
  }

  async info(): Promise<VolumeInfo> {
    return (await this.run('info', () => binding().volInfo(this.handle))) as VolumeInfo;
  }

  /** New capacity in bytes (flags ALLOCATE, DELTA, SHRINK). */
  resize(capacity: number, flags: StorageVolResizeFlags | number = 0): Promise<void> {
    return this.run('resize', () => binding().volResize(this.handle, capacity, flags));
  }

  path(): Promise<string> {
    return this.run('path', () => binding().volPath(this.handle));
  }

  getXMLDesc(): Promise<string> {
    return this.run('getXMLDesc', () => binding().volGetXMLDesc(this.handle, 0));
  }
}
