/**
 * The lab's record of what it created. Every named resource is written here BEFORE it is created,
 * and every process right after it is spawned, so teardown (also from another process after a crash)
 * removes exactly what this lab made and nothing else.
 */
import { mkdirSync, readFileSync, readdirSync, renameSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';

/** Root of all lab state; one directory per lab id. */
export const LAB_ROOT = process.env.DROVER_LAB_ROOT ?? '/var/tmp/drover-lab';
/** Lab-independent caches (built guest images, QEMU capability cache). */
export const CACHE_DIR = join(LAB_ROOT, '.cache');
/** One file per claimed /24 (third octet of 10.77.X.0), created with O_EXCL. */
export const CLAIM_DIR = join(LAB_ROOT, '.subnets');

export type Resource =
  | { kind: 'dir'; path: string }
  | { kind: 'claim'; path: string }
  | { kind: 'netns'; name: string }
  | { kind: 'link'; name: string }
  | { kind: 'process'; pid: number; start?: number; label: string }
  | { kind: 'mount'; source: string; target: string; scope: string };

export interface HostDirs {
  etc: string;
  run: string;
  lib: string;
  log: string;
  cache: string;
}

export interface HostState {
  index: number;
  name: string;
  ip: string;
  netns: string;
  /** veth end in the root namespace (enslaved to the lab bridge) */
  vethRoot: string;
  /** veth end inside the host namespace */
  vethHost: string;
  guestBridge: string;
  hostDir: string;
  dirs: HostDirs;
  /** backing directory of localDir for this host (as seen from the root namespace) */
  localBacking: string;
  /** per-host /etc/pki tree (TLS mode only) */
  pkiDir?: string;
  uuid: string;
  uri: string;
  tlsUri?: string;
  socketUri: string;
  socketPath: string;
  pid?: number;
  pidStart?: number;
}

/** The lab's storage host (storage.ts), when it has one. */
export interface StorageState {
  address: string;
  netns: string;
  vethRoot: string;
  dir: string;
  /** rpcbind, the namespace's anchor: the servers run in its mount namespace. */
  anchorPid: number;
  nfs?: { dir: string; pid?: number; pidStart?: number };
  iscsi?: { iqn: string; luns: Record<number, string>; pid?: number; pidStart?: number };
}

export interface LabState {
  version: 1;
  id: string;
  dir: string;
  createdAt: string;
  ownerPid: number;
  status: 'starting' | 'up' | 'stopping' | 'failed';
  tls: boolean;
  subnet: string;
  bridge: string;
  bridgeIp: string;
  sharedDir: string;
  localDir: string;
  clientPkiDir?: string;
  hosts: HostState[];
  storage?: StorageState;
  resources: Resource[];
  timings: Record<string, number>;
  hostTimings: Record<string, Record<string, number>>;
}

export function labDir(id: string): string {
  return join(LAB_ROOT, id);
}

export function statePath(id: string): string {
  return join(labDir(id), 'state.json');
}

/** Writes the state atomically (temp file + rename), synchronously so a crash never half-writes it. */
export function saveState(state: LabState): void {
  const p = statePath(state.id);
  const tmp = `${p}.${process.pid}.tmp`;
  writeFileSync(tmp, `${JSON.stringify(state, null, 2)}\n`);
  renameSync(tmp, p);
}

export function loadState(id: string): LabState | null {
  try {
    return JSON.parse(readFileSync(statePath(id), 'utf8')) as LabState;
  } catch {
    return null;
  }
}

/** Ids of every lab with a directory under LAB_ROOT (with or without a readable state file). */
export function listLabIds(): string[] {
  if (!existsSync(LAB_ROOT)) return [];
  return readdirSync(LAB_ROOT, { withFileTypes: true })
    .filter((d) => d.isDirectory() && !d.name.startsWith('.'))
    .map((d) => d.name)
    .sort();
}

export function ensureDir(path: string): void {
  mkdirSync(path, { recursive: true });
}
