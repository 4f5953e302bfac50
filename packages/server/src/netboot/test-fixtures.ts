/**
 * Shared inputs and helpers for the netboot tests (not exported from the package). The syntax
 * checks run the real daemons' own checkers on the generated files.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { NetworkInput, NodeInput, SiteInput } from './types.js';

export const SITE: SiteInput = { master: '10.10.10.1', domain: 'cluster.example', httpPort: 8080, nameservers: '10.10.10.1' };

export const NETWORKS: NetworkInput[] = [
  {
    name: 'mgmt',
    net: '10.10.10.0',
    mask: '255.255.255.0',
    gateway: '10.10.10.254',
    dhcpRange: '10.10.10.100-10.10.10.200',
    nameservers: ['10.10.10.1', '10.10.10.2'],
  },
  { name: 'storage', net: '172.16.0.0', mask: '255.255.0.0', domain: 'storage.example', tftpServer: '172.16.0.1' },
];

export const NODES: NodeInput[] = [
  { node: 'node10', mac: '52:54:00:00:00:10', ip: '10.10.10.20' },
  { node: 'node2', mac: '52:54:00:00:00:02', ip: '10.10.10.12', netboot: 'pxe' },
  { node: 'node1', mac: '52-54-00-00-00-01', ip: '10.10.10.11', aliases: 'n1 head-of-rack' },
  { node: 'stor1', mac: '52:54:00:00:01:01', ip: '172.16.0.11' },
];

export function tempDir(t: { after(fn: () => void): void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'drover-netboot-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** Runs a daemon's config checker; resolves with its exit code and output (never throws on exit != 0). */
export function runChecker(argv: readonly string[]): Promise<{ code: number; output: string }> {
  const [file, ...args] = argv as [string, ...string[]];
  if (!existsSync(file)) {
    throw new Error(
      `${file} is not installed; the netboot tests check generated files with it (apt-get install isc-dhcp-server dnsmasq-base)`,
    );
  }
  return new Promise((resolve) => {
    execFile(file, args, { timeout: 20_000, encoding: 'utf8' }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : -1) : 0;
      resolve({ code, output: `${stdout}${stderr}` });
    });
  });
}
