/**
 * What each simulated host runs: its guests (from a layout file, or N per host by name), written
 * as a libvirt test-driver host file (`test:///…/<host>.xml`) that the host's own libvirt
 * connection opens, exactly as a real agent opens qemu:///system.
 */
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeTestHost, type TestDomainSpec } from '@drover/libvirt';
import { UserFacingError } from '@drover/contract';

export interface SimGuest {
  name: string;
  uuid?: string;
  memoryMiB?: number;
  vcpus?: number;
  state?: 'running' | 'paused' | 'shutoff';
  /** A custom CPU model the guest requires (none by default). */
  cpuModel?: string;
}

/** host -> its guests. */
export type SimLayout = Record<string, SimGuest[]>;

export function readLayout(file: string): SimLayout {
  let data: unknown;
  try {
    data = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new UserFacingError(
      `layout ${file}: ${(e as Error).message}; expected JSON {"<host>": [{"name": "vm001", "memoryMiB": 512, "state": "running"}, …]}`,
      2,
    );
  }
  if (!data || typeof data !== 'object' || Array.isArray(data))
    throw new UserFacingError(`layout ${file}: expected an object of host -> guest list`, 2);
  return data as SimLayout;
}

/** The guests of `host`: from the layout when given, else `perHost` guests named `<host>-<NN>`. */
export function guestsOf(host: string, layout: SimLayout | undefined, perHost: number): SimGuest[] {
  if (layout) return layout[host] ?? [];
  const w = String(perHost).length;
  return Array.from({ length: perHost }, (_, i) => ({ name: `${host}-${String(i + 1).padStart(Math.max(2, w), '0')}` }));
}

export interface HostShape {
  memoryMiB: number;
}

/** Writes `<dir>/<host>/host.xml` and returns its test:/// URI. */
export function writeSimHost(dir: string, host: string, guests: readonly SimGuest[], shape: HostShape): string {
  const domains: TestDomainSpec[] = guests.map((g) => ({
    name: g.name,
    ...(g.uuid ? { uuid: g.uuid } : {}),
    memoryKiB: (g.memoryMiB ?? 512) * 1024,
    vcpus: g.vcpus ?? 1,
    state: g.state ?? 'running',
    ...(g.cpuModel ? { cpuModel: g.cpuModel } : {}),
  }));
  return writeTestHost({ memoryKiB: shape.memoryMiB * 1024, domains }, mkdirp(join(dir, host))).uri;
}

function mkdirp(d: string): string {
  mkdirSync(d, { recursive: true });
  return d;
}
