/**
 * The guest spec sent to an agent (DefineGuest, PrepareMigration), built from the tables:
 * vm.memory/cpus/storage/nics/bootorder, nodehm.mgt, mac.mac, vm.uuid. Missing identity is
 * allocated and stored first (ensureUuid, ensureMac).
 */
import {
  DroverError,
  formatDiskSpec,
  parseBootOrder,
  parseCpus,
  parseMemoryMiB,
  parseNicList,
  parseSize,
  parseStorageList,
  type GuestSpec,
  type Disk,
} from '@drover/contract';
import * as grpc from '@grpc/grpc-js';
import type { Tables } from '../tables/index.js';
import type { HostView } from '../hosts/registry.js';
import { ensureMac, ensureUuid } from './identity.js';
import { storageDeclarations, isDeclaredShared } from './storage.js';

export const DEFAULT_MEMORY = '512M';
export const DEFAULT_DISK_SIZE = '4G';

export interface SpecOptions {
  host?: HostView;
  diskSize?: string;
}

const bad = (node: string, msg: string): DroverError =>
  new DroverError('INVALID_ARGUMENT', `${node}: ${msg}`, { status: grpc.status.INVALID_ARGUMENT, node });

export async function buildGuestSpec(tables: Tables, node: string, opts: SpecOptions = {}): Promise<GuestSpec> {
  const a = (await tables.nodeAttrs([node])).get(node) ?? {};
  const uuid = await ensureUuid(tables.stores, node);
  const memoryMib = parseMemoryMiB(a['vm.memory'] ?? DEFAULT_MEMORY);
  const vcpus = a['vm.cpus'] ? parseCpus(a['vm.cpus']) : 1;
  const nics = a['vm.nics'] ? parseNicList(a['vm.nics']) : [];
  const mac = nics.length && !nics[0]!.mac ? await ensureMac(tables.stores, node) : undefined;
  const decls = await storageDeclarations(tables);
  const size = opts.diskSize ? parseSize(opts.diskSize, 'size') : undefined;
  const disks: Disk[] = (a['vm.storage'] ? parseStorageList(a['vm.storage']) : []).map((d, i) => ({
    url: formatDiskSpec(d),
    path: '',
    format: d.format,
    // A LUN has its own size (drover never creates one).
    sizeBytes: d.kind === 'iscsi' ? 0 : (size ?? d.sizeBytes ?? (i === 0 ? parseSize(DEFAULT_DISK_SIZE) : 0)),
    target: '',
    bus: '',
    shared: isDeclaredShared(decls, formatDiskSpec(d)),
  }));
  const mgt = a['nodehm.mgt'] ?? 'kvm';
  // The domain type follows what the host can do: a host without KVM reports hv_type "qemu" and
  // runs guests under TCG; Xen hosts get libxl guests.
  const hvType = mgt === 'xen' ? 'xen' : opts.host?.facts?.hvType === 'kvm' ? 'kvm' : opts.host?.facts?.hvType === 'xen' ? 'xen' : 'qemu';
  if (mgt === 'xen' && opts.host?.facts?.hvType && opts.host.facts.hvType !== 'xen') {
    throw bad(
      node,
      `nodehm.mgt is xen but host '${opts.host.host}' runs ${opts.host.facts.hvType}; set vm.host to a Xen host or nodehm.mgt=kvm`,
    );
  }
  return {
    name: node,
    uuid,
    memoryMib,
    vcpus,
    nics: nics.map((n, i) => ({
      bridge: n.bridge ?? '',
      network: n.network ?? '',
      model: n.model,
      mac: n.mac ?? (i === 0 ? (mac ?? '') : ''),
    })),
    disks,
    bootOrder: a['vm.bootorder'] ? parseBootOrder(a['vm.bootorder']) : ['disk', 'network'],
    serialConsole: true,
    // Listen on every address: a guest's VNC must still bind after it migrates to another host
    // (access is by one-time password, see wvid).
    vnc: { enabled: true, listen: '0.0.0.0', port: -1, password: '' },
    cpuMode: hvType === 'kvm' ? 'host-model' : '',
    cpuModel: '',
    hvType,
    machine: '',
  };
}
