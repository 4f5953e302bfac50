/**
 * The single loader of the compiled binding (build/Release/drover_libvirt.node) and the typed
 * shape of what it exports. Handles are opaque: only the binding can make or read them.
 */
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';

declare const brand: unique symbol;
/** An opaque native handle of one libvirt object kind. */
export type Opaque<K extends string> = { readonly [brand]: K };
export type ConnHandle = Opaque<'connection'>;
export type DomainHandle = Opaque<'domain'>;
export type PoolHandle = Opaque<'pool'>;
export type VolHandle = Opaque<'volume'>;
export type StreamHandle = Opaque<'stream'>;

export interface NativeError extends Error {
  libvirt: true;
  code: number;
  domain: number;
  level: number;
  str1?: string;
  str2?: string;
  str3?: string;
  int1: number;
  int2: number;
}

export interface NamedChild<H> {
  handle: H;
  name: string;
  uuid: string;
}
export interface VolChild {
  handle: VolHandle;
  name: string;
  key: string;
}

export type TypedParamValue = number | string | boolean;

export interface NativeDomainRef {
  name: string;
  uuid: string;
  id: number;
}

export type NativeEvent =
  | { kind: 'domain'; conn: number; type: 'lifecycle'; domain: NativeDomainRef; event: number; detail: number }
  | { kind: 'domain'; conn: number; type: 'reboot'; domain: NativeDomainRef }
  | { kind: 'domain'; conn: number; type: 'migration-iteration'; domain: NativeDomainRef; iteration: number }
  | { kind: 'domain'; conn: number; type: 'job-completed'; domain: NativeDomainRef; stats: Record<string, TypedParamValue> }
  | { kind: 'domain'; conn: number; type: 'device-removed' | 'device-added'; domain: NativeDomainRef; device: string }
  | { kind: 'close'; conn: number; reason: number }
  | { kind: 'stream'; id: number; type: 'data'; data: Buffer }
  | { kind: 'stream'; id: number; type: 'end' | 'written' }
  | { kind: 'stream'; id: number; type: 'error'; error: NativeError };

export interface NativeParam {
  name: string;
  type: 'string' | 'int' | 'uint' | 'llong' | 'ullong' | 'double' | 'boolean';
  value: TypedParamValue;
}

export interface NativeBinding {
  setDispatcher(fn: (ev: NativeEvent) => void): void;
  liveHandles(): { connections: number; domains: number; pools: number; volumes: number; streams: number };
  /** Keeps the process alive (counted) while JavaScript waits for deliveries. */
  holdLoop(): void;
  releaseLoop(): void;
  handleFree(h: DomainHandle | PoolHandle | VolHandle): void;

  connOpen(uri: string, readOnly: boolean, events: boolean): Promise<{ handle: ConnHandle; id: number }>;
  connClose(h: ConnHandle): Promise<void>;
  connSetKeepAlive(h: ConnHandle, interval: number, count: number): Promise<number>;
  connIsAlive(h: ConnHandle): Promise<boolean>;
  connHostname(h: ConnHandle): Promise<string>;
  connCapabilities(h: ConnHandle): Promise<string>;
  connUri(h: ConnHandle): Promise<string>;
  connType(h: ConnHandle): Promise<string>;
  connNodeInfo(h: ConnHandle): Promise<{
    model: string;
    memoryKiB: number;
    cpus: number;
    mhz: number;
    nodes: number;
    sockets: number;
    cores: number;
    threads: number;
  }>;
  connFreeMemory(h: ConnHandle): Promise<number>;
  connLibVersion(h: ConnHandle): Promise<number>;
  connVersion(h: ConnHandle): Promise<number>;
  connCompareCPU(h: ConnHandle, xml: string, flags: number): Promise<number>;
  connCompareHypervisorCPU(
    h: ConnHandle,
    emulator: string,
    arch: string,
    machine: string,
    virttype: string,
    xml: string,
    flags: number,
  ): Promise<number>;
  connBaselineCPU(h: ConnHandle, xmls: string[], flags: number): Promise<string>;

  domListAll(h: ConnHandle, flags: number): Promise<NamedChild<DomainHandle>[]>;
  domLookupByName(h: ConnHandle, name: string): Promise<NamedChild<DomainHandle>>;
  domLookupByUUID(h: ConnHandle, uuid: string): Promise<NamedChild<DomainHandle>>;
  domLookupByID(h: ConnHandle, id: number): Promise<NamedChild<DomainHandle>>;
  domDefineXML(h: ConnHandle, xml: string, flags: number): Promise<NamedChild<DomainHandle>>;
  domCreateXML(h: ConnHandle, xml: string, flags: number): Promise<NamedChild<DomainHandle>>;

  domCreate(h: DomainHandle, flags: number): Promise<number>;
  domShutdown(h: DomainHandle, flags: number): Promise<number>;
  domDestroy(h: DomainHandle, flags: number): Promise<number>;
  domReboot(h: DomainHandle, flags: number): Promise<number>;
  domReset(h: DomainHandle, flags: number): Promise<number>;
  domSuspend(h: DomainHandle, flags: number): Promise<number>;
  domResume(h: DomainHandle, flags: number): Promise<number>;
  domManagedSave(h: DomainHandle, flags: number): Promise<number>;
  domManagedSaveRemove(h: DomainHandle, flags: number): Promise<number>;
  domHasManagedSave(h: DomainHandle, flags: number): Promise<number>;
  domUndefine(h: DomainHandle, flags: number): Promise<number>;
  domAbortJob(h: DomainHandle, flags: number): Promise<number>;
  domMigrateStartPostCopy(h: DomainHandle, flags: number): Promise<number>;
  domIsActive(h: DomainHandle, flags: number): Promise<number>;
  domIsPersistent(h: DomainHandle, flags: number): Promise<number>;
  domGetID(h: DomainHandle): Promise<number>;
  domInfo(h: DomainHandle): Promise<{ state: number; maxMemKiB: number; memoryKiB: number; vcpus: number; cpuTimeNs: number }>;
  domState(h: DomainHandle): Promise<{ state: number; reason: number }>;
  domGetXMLDesc(h: DomainHandle, flags: number): Promise<string>;
  domGetAutostart(h: DomainHandle): Promise<boolean>;
  domSetAutostart(h: DomainHandle, on: boolean): Promise<void>;
  domSetMemory(h: DomainHandle, kib: number, flags: number): Promise<void>;
  domSetVcpus(h: DomainHandle, n: number, flags: number): Promise<void>;
  domAttachDevice(h: DomainHandle, xml: string, flags: number): Promise<void>;
  domDetachDevice(h: DomainHandle, xml: string, flags: number): Promise<void>;
  domUpdateDevice(h: DomainHandle, xml: string, flags: number): Promise<void>;
  domDetachDeviceAlias(h: DomainHandle, alias: string, flags: number): Promise<void>;
  domInterfaceAddresses(
    h: DomainHandle,
    source: number,
  ): Promise<{ name: string; hwaddr: string; addresses: { type: 'ipv4' | 'ipv6'; address: string; prefix: number }[] }[]>;
  domBlockInfo(h: DomainHandle, disk: string): Promise<{ capacity: number; allocation: number; physical: number }>;
  domJobInfo(h: DomainHandle): Promise<Record<string, number>>;
  domJobStats(h: DomainHandle, flags: number): Promise<{ type: number; params: Record<string, TypedParamValue> }>;
  domMigrateSetMaxSpeed(h: DomainHandle, bandwidth: number, flags: number): Promise<void>;
  domMigrateGetMaxSpeed(h: DomainHandle, flags: number): Promise<number>;
  domMigrateSetMaxDowntime(h: DomainHandle, ms: number, flags: number): Promise<void>;
  domMigrateToURI3(h: DomainHandle, dconnuri: string | undefined, params: NativeParam[], flags: number): Promise<void>;
  domMigrate3(h: DomainHandle, dest: ConnHandle, params: NativeParam[], flags: number): Promise<NamedChild<DomainHandle>>;
  domOpenConsole(h: DomainHandle, device: string | undefined, flags: number): Promise<{ handle: StreamHandle; id: number }>;

  streamSetRead(h: StreamHandle, on: boolean): void;
  streamWrite(h: StreamHandle, data: Buffer): boolean;
  streamClose(h: StreamHandle): Promise<void>;

  poolListAll(h: ConnHandle, flags: number): Promise<NamedChild<PoolHandle>[]>;
  poolLookupByName(h: ConnHandle, name: string): Promise<NamedChild<PoolHandle>>;
  poolLookupByUUID(h: ConnHandle, uuid: string): Promise<NamedChild<PoolHandle>>;
  poolLookupByTargetPath(h: ConnHandle, path: string): Promise<NamedChild<PoolHandle>>;
  poolDefineXML(h: ConnHandle, xml: string, flags: number): Promise<NamedChild<PoolHandle>>;
  poolCreateXML(h: ConnHandle, xml: string, flags: number): Promise<NamedChild<PoolHandle>>;
  poolBuild(h: PoolHandle, flags: number): Promise<number>;
  poolCreate(h: PoolHandle, flags: number): Promise<number>;
  poolRefresh(h: PoolHandle, flags: number): Promise<number>;
  poolDestroy(h: PoolHandle, flags: number): Promise<number>;
  poolDelete(h: PoolHandle, flags: number): Promise<number>;
  poolUndefine(h: PoolHandle, flags: number): Promise<number>;
  poolIsActive(h: PoolHandle, flags: number): Promise<number>;
  poolIsPersistent(h: PoolHandle, flags: number): Promise<number>;
  poolInfo(h: PoolHandle): Promise<{ state: number; capacity: number; allocation: number; available: number }>;
  poolGetXMLDesc(h: PoolHandle, flags: number): Promise<string>;
  poolGetAutostart(h: PoolHandle): Promise<boolean>;
  poolSetAutostart(h: PoolHandle, on: boolean): Promise<void>;

  volListAll(h: PoolHandle): Promise<VolChild[]>;
  volCreateXML(h: PoolHandle, xml: string, flags: number): Promise<VolChild>;
  volLookupByName(h: PoolHandle, name: string): Promise<VolChild>;
  volLookupByPath(h: ConnHandle, path: string): Promise<VolChild>;
  volDelete(h: VolHandle, flags: number): Promise<void>;
  volWipe(h: VolHandle, flags: number): Promise<void>;
  volInfo(h: VolHandle): Promise<{ type: number; capacity: number; allocation: number }>;
  volResize(h: VolHandle, capacity: number, flags: number): Promise<void>;
  volPath(h: VolHandle): Promise<string>;
  volGetXMLDesc(h: VolHandle, flags: number): Promise<string>;
}

const BINARY = 'drover_libvirt.node';

/** Where the binding may be, in order; DROVER_LIBVIRT_BINDING overrides all. */
export function candidatePaths(): string[] {
  const pkg = resolve(__dirname, '..');
  const out: string[] = [];
  const env = process.env['DROVER_LIBVIRT_BINDING'];
  if (env) out.push(resolve(env));
  out.push(join(pkg, 'build', 'Release', BINARY), join(pkg, 'build', 'Debug', BINARY));
  return out;
}

function load(): NativeBinding {
  const attempts: string[] = [];
  for (const p of candidatePaths()) {
    if (!existsSync(p)) {
      attempts.push(`${p}: not found`);
      continue;
    }
    try {
      return require(p) as NativeBinding;
    } catch (err) {
      attempts.push(`${p}: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
  throw new Error(
    `@drover/libvirt: cannot load the native binding ${BINARY}. Tried:\n  ${attempts.join('\n  ')}\n` +
      'Build it with `npm run setup` (or: cd packages/libvirt && npx node-gyp rebuild); it needs libvirt-dev.',
  );
}

let cached: NativeBinding | undefined;

/** The binding, loaded on first use. */
export function native(): NativeBinding {
  if (!cached) cached = load();
  return cached;
}
