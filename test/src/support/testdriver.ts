/**
 * `<node>` files for libvirt's test driver (test:///abs/path/host.xml): a fake hypervisor host with
 * guests in given states, networks (with bridges) and directory pools. A fresh connection starts
 * from the file again, so each agent process sees exactly this host when it starts.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface TestGuest {
  name: string;
  uuid?: string;
  memoryMiB?: number;
  vcpus?: number;
  /** Initial state (default running). */
  state?: 'running' | 'paused' | 'shutoff';
  /** Extra XML inside <devices>. */
  devices?: string;
}
export interface TestNetwork {
  name: string;
  bridge: string;
}
export interface TestPool {
  name: string;
  path: string;
}
export interface TestHost {
  memoryMiB?: number;
  cpus?: number;
  guests?: TestGuest[];
  networks?: TestNetwork[];
  pools?: TestPool[];
}

const esc = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/'/g, '&apos;');
const RUNSTATE = { running: 1, paused: 3, shutoff: 5 } as const;

export function testHostXml(h: TestHost): string {
  const guests = (h.guests ?? []).map(
    (g) => `  <domain type='test'>
    <name>${esc(g.name)}</name>${g.uuid ? `\n    <uuid>${esc(g.uuid)}</uuid>` : ''}
    <memory unit='MiB'>${g.memoryMiB ?? 64}</memory>
    <vcpu>${g.vcpus ?? 1}</vcpu>
    <os><type>hvm</type></os>
    <devices>${g.devices ?? ''}</devices>
    <test:runstate>${RUNSTATE[g.state ?? 'running']}</test:runstate>
  </domain>`,
  );
  const nets = (h.networks ?? []).map(
    (n) => `  <network>
    <name>${esc(n.name)}</name>
    <bridge name='${esc(n.bridge)}'/>
  </network>`,
  );
  const pools = (h.pools ?? []).map(
    (p) => `  <pool type='dir'>
    <name>${esc(p.name)}</name>
    <target><path>${esc(p.path)}</path></target>
  </pool>`,
  );
  return `<node xmlns:test='http://libvirt.org/schemas/domain/test/1.0'>
  <cpu>
    <mhz>2000</mhz>
    <model>drover-test</model>
    <active>${h.cpus ?? 8}</active>
    <nodes>1</nodes>
    <sockets>1</sockets>
    <cores>${h.cpus ?? 8}</cores>
    <threads>1</threads>
  </cpu>
  <memory>${(h.memoryMiB ?? 8192) * 1024}</memory>
${[...guests, ...nets, ...pools].join('\n')}
</node>
`;
}

/** Writes `<dir>/host.xml` and returns its test:/// URI. */
export function writeTestHostFile(dir: string, h: TestHost, name = 'host.xml'): { uri: string; path: string } {
  mkdirSync(dir, { recursive: true });
  const path = join(dir, name);
  writeFileSync(path, testHostXml(h));
  return { uri: `test://${path}`, path };
}
