/** One lab host: its private directories, daemon configuration, and its libvirtd process. */
import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { run, procStartTime, waitFor } from './exec';
import { which } from './preflight';
import type { HostState } from './state';

/** The fixed helper that bind-mounts a host's private directories and then execs its arguments. */
export const HOSTEXEC = join(__dirname, '..', '..', 'lab', 'hostexec.sh');

/** Mount points in the root filesystem that host processes bind over (created once, never removed). */
export const SYSTEM_MOUNT_POINTS = ['/etc/libvirt', '/run/libvirt', '/var/lib/libvirt', '/var/log/libvirt', '/var/cache/libvirt'];

export function libvirtdConf(h: HostState, tls: boolean): string {
  return [
    '# drover lab host configuration (generated)',
    `listen_tls = ${tls ? 1 : 0}`,
    'listen_tcp = 1',
    `listen_addr = "${h.ip}"`,
    'auth_tcp = "none"',
    'auth_tls = "none"',
    'auth_unix_rw = "none"',
    'auth_unix_ro = "none"',
    ...(tls ? ['tls_no_verify_certificate = 0'] : []),
    `host_uuid = "${h.uuid}"`,
    'log_outputs = "2:file:/var/log/libvirt/libvirtd.log"',
    '',
  ].join('\n');
}

export function qemuConf(h: HostState, tls: boolean): string {
  return [
    '# drover lab host configuration (generated)',
    'user = "root"',
    'group = "root"',
    'security_driver = "none"',
    'stdio_handler = "file"',
    'cgroup_controllers = [ ]',
    'namespaces = [ ]',
    `migration_address = "${h.ip}"`,
    `migration_host = "${h.ip}"`,
    ...(tls ? ['default_tls_x509_cert_dir = "/etc/pki/qemu"', 'default_tls_x509_verify = 1', 'migrate_tls_x509_verify = 1'] : []),
    '',
  ].join('\n');
}

export function prepareHostDirs(h: HostState, tls: boolean): void {
  for (const d of [h.dirs.etc, h.dirs.run, h.dirs.lib, h.dirs.log, h.dirs.cache, h.localBacking]) mkdirSync(d, { recursive: true });
  writeFileSync(join(h.dirs.etc, 'libvirtd.conf'), libvirtdConf(h, tls));
  writeFileSync(join(h.dirs.etc, 'qemu.conf'), qemuConf(h, tls));
}

export function ensureMountPoints(extra: string[]): void {
  for (const p of [...SYSTEM_MOUNT_POINTS, ...extra]) if (!existsSync(p)) mkdirSync(p, { recursive: true });
}

/** argv that runs `argv` inside the host's network namespace with its private mounts. */
export function hostArgv(h: HostState, localDir: string, argv: readonly string[]): string[] {
  return ['ip', 'netns', 'exec', h.netns, '/bin/sh', HOSTEXEC, h.hostDir, localDir, ...argv];
}

export function spawnHost(h: HostState, localDir: string, argv: readonly string[], opts: SpawnOptions = {}): ChildProcess {
  const [file, ...args] = hostArgv(h, localDir, argv);
  return spawn(file as string, args, opts);
}

/** Starts libvirtd detached in the host; returns its pid (ip → sh → libvirtd all exec in place). */
export function spawnLibvirtd(h: HostState, localDir: string): { pid: number; start?: number } {
  const out = openSync(join(h.dirs.log, 'libvirtd.stdout'), 'a');
  try {
    // Pinned to CPU 0: libvirt keeps its QEMU capability cache only while the host CPU data it reads
    // at start-up matches, and that data includes the x2APIC id of the CPU the daemon happens to run
    // on. Pinning makes the shared cache (seedQemuCaps) hit every time; libvirt gives each QEMU it
    // starts the affinity of all host CPUs again, so guests are not pinned.
    const daemon = ['libvirtd', '--listen', '--pid-file', '/run/libvirt/libvirtd.pid'];
    const child = spawnHost(h, localDir, which('taskset') ? ['taskset', '-c', '0', ...daemon] : daemon, {
      detached: true,
      stdio: ['ignore', out, out],
    });
    child.unref();
    const pid = child.pid;
    if (pid === undefined) throw new Error(`lab: could not start libvirtd for ${h.name}`);
    child.on('error', () => undefined);
    const start = procStartTime(pid) ?? undefined;
    return start === undefined ? { pid } : { pid, start };
  } finally {
    closeSync(out);
  }
}

/**
 * Waits until the daemon answers a real connection on every URI it serves. The first connection
 * makes the QEMU driver probe the emulator, which takes seconds under TCG.
 */
export async function waitReady(h: HostState, timeoutMs: number): Promise<{ socketMs: number; answerMs: number }> {
  const t0 = Date.now();
  await waitFor(`${h.name}'s libvirtd socket`, timeoutMs, () => existsSync(h.socketPath), 25);
  const socketMs = Date.now() - t0;
  const uris = [h.uri, ...(h.tlsUri ? [h.tlsUri] : [])];
  for (const uri of uris) {
    await waitFor(
      `${h.name}'s libvirtd to answer on ${uri}`,
      Math.max(1000, timeoutMs - (Date.now() - t0)),
      async () => {
        await run(['virsh', '-c', uri, 'version'], { timeoutMs: 60_000 });
        return true;
      },
      100,
    );
  }
  return { socketMs, answerMs: Date.now() - t0 };
}
