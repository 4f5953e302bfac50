/**
 * Builds `<node>` files for libvirt's test driver (test:///abs/path.xml): a fake host with
 * domains, pools and volumes, held in memory per connection. Used by tests across drover.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface TestDomainSpec {
  name: string;
  uuid?: string;
  memoryKiB?: number;
  vcpus?: number;
  /** Initial state: running (default), paused or shutoff. */
  state?: 'running' | 'paused' | 'shutoff';
  /** Extra XML inside <devices>. */
  devices?: string;
  /** A custom CPU model the domain requires. */
  cpuModel?: string;
}

export interface TestPoolSpec {
  name: string;
  path: string;
  /** Volumes as name -> capacity in bytes. */
  volumes?: Record<string, number>;
}

export interface TestHostSpec {
  memoryKiB?: number;
  domains?: TestDomainSpec[];
  pools?: TestPoolSpec[];
}

function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/'/g, '&apos;');
}

const RUNSTATE = { running: 1, paused: 3, shutoff: 5 } as const;

export function testHostXml(spec: TestHostSpec): string {
  const doms = (spec.domains ?? []).map(
    (d) => `  <domain type='test'>
    <name>${esc(d.name)}</name>${d.uuid ? `\n    <uuid>${esc(d.uuid)}</uuid>` : ''}
    <memory>${d.memoryKiB ?? 65536}</memory>
    <vcpu>${d.vcpus ?? 1}</vcpu>
    <os><type>hvm</type></os>${d.cpuModel ? `\n    <cpu mode='custom' match='exact'><model fallback='forbid'>${esc(d.cpuModel)}</model></cpu>` : ''}
    <devices>${d.devices ?? ''}</devices>
    <test:runstate>${RUNSTATE[d.state ?? 'running']}</test:runstate>
  </domain>`,
  );
  const pools = (spec.pools ?? []).map(
    (p) => `  <pool type='dir'>
    <name>${esc(p.name)}</name>
    <target><path>${esc(p.path)}</path></target>
${Object.entries(p.volumes ?? {})
  .map(([n, cap]) => `    <volume><name>${esc(n)}</name><capacity>${cap}</capacity><target><format type='raw'/></target></volume>`)
  .join('\n')}
  </pool>`,
  );
  return `<node xmlns:test='http://libvirt.org/schemas/domain/test/1.0'>
  <cpu><mode>host-model</mode></cpu>
  <memory>${spec.memoryKiB ?? 8388608}</memory>
${[...doms, ...pools].join('\n')}
</node>
`;
}

/** Writes the host file into `dir` (a new temp dir when absent) and returns its test:/// URI and path. */
export function writeTestHost(spec: TestHostSpec, dir?: string): { uri: string; path: string; dir: string } {
  const d = dir ?? mkdtempSync(join(tmpdir(), 'drover-testhost-'));
  const path = join(d, 'host.xml');
  writeFileSync(path, testHostXml(spec));
  return { uri: `test://${path}`, path, dir: d };
}
