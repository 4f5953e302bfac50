/** Bring-up of a lab (N libvirtd + QEMU hosts in network namespaces), re-attach, and the fault helpers. */
import { randomUUID } from 'node:crypto';
import type { ChildProcess, SpawnOptions } from 'node:child_process';
import { closeSync, copyFileSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { alive, run, sameProcess, waitFor, type RunResult } from './exec';
import { ensureMountPoints, prepareHostDirs, spawnHost, spawnLibvirtd, waitReady } from './host';
import { GUEST_BRIDGE, bridgeName, checkId, hostNames, newLabId, preferredOctet, SUBNET_PREFIX } from './names';
import { createBridge, createNetns, limit, netnsPids, plugHost, rootIpv4Prefixes, unlimit } from './net';
import { assertCapable } from './preflight';
import { CACHE_DIR, CLAIM_DIR, labDir, loadState, saveState, type HostDirs, type HostState, type LabState } from './state';
import { teardownState, type TeardownReport } from './teardown';
import { createCa, issue, writeClientPki, writeHostPki } from './tls';

export interface StartLabOptions {
  /** number of hypervisor hosts (1..20) */
  hosts: number;
  /** lab id (1-8 of a-z0-9); random when absent */
  id?: string;
  /** also serve libvirt over TLS (port 16514) and configure QEMU migration TLS */
  tls?: boolean;
  /** define a started, autostarted dir pool named `lablocal` at localDir on every host (default true) */
  localPool?: boolean;
  /** progress lines (phase timings) go here */
  log?: (line: string) => void;
  /** how long to wait for each daemon to answer (default 90 s) */
  readyTimeoutMs?: number;
}

export interface LabHost {
  labId: string;
  index: number;
  name: string;
  ip: string;
  /** qemu+tcp://<ip>/system */
  uri: string;
  /** qemu+tls://<ip>/system?pkipath=<client pki> (TLS labs only) */
  tlsUri?: string;
  /** qemu+unix:///system?socket=<run dir>/libvirt-sock */
  socketUri: string;
  socketPath: string;
  /** libvirtd's PID (changes after startLibvirtd) */
  pid: number;
  netns: string;
  dirs: HostDirs;
  hostDir: string;
  /** per-host local storage, at the same path inside every host's mount namespace */
  localDir: string;
  /** where this host's localDir lives, seen from the root namespace */
  localBacking: string;
  /** the shared (NFS-like) directory, same path everywhere */
  sharedDir: string;
  /** bridge inside the host namespace for guest NICs (same name on every host) */
  guestBridge: string;
  /** veth end in the root namespace (what cutLink/limitLink act on) */
  vethRoot: string;
  vethHost: string;
  /** this host's /etc/pki tree (TLS labs only) */
  pkiDir?: string;
}

export interface Lab {
  id: string;
  dir: string;
  tls: boolean;
  /** address of the lab bridge in the root namespace (NATS, drover-server listen here) */
  bridgeIp: string;
  bridge: string;
  /** e.g. 10.77.42.0/24 */
  subnet: string;
  sharedDir: string;
  localDir: string;
  /** cacert.pem, clientcert.pem, clientkey.pem for tools in the root namespace (TLS labs only) */
  clientPkiDir?: string;
  hosts: LabHost[];
  /** bring-up phase timings in ms (only for a lab started by this process) */
  timings: Record<string, number>;
  hostTimings: Record<string, Record<string, number>>;
  /** removes exactly what this lab created */
  stop(): Promise<TeardownReport>;
}

const QEMU_CAPS_SEED = join(CACHE_DIR, 'qemu-capabilities');

function toHost(state: LabState, h: HostState): LabHost {
  return {
    labId: state.id,
    index: h.index,
    name: h.name,
    ip: h.ip,
    uri: h.uri,
    ...(h.tlsUri ? { tlsUri: h.tlsUri } : {}),
    socketUri: h.socketUri,
    socketPath: h.socketPath,
    pid: h.pid ?? 0,
    netns: h.netns,
    dirs: h.dirs,
    hostDir: h.hostDir,
    localDir: state.localDir,
    localBacking: h.localBacking,
    sharedDir: state.sharedDir,
    guestBridge: h.guestBridge,
    vethRoot: h.vethRoot,
    vethHost: h.vethHost,
    ...(h.pkiDir ? { pkiDir: h.pkiDir } : {}),
  };
}

function toLab(state: LabState): Lab {
  let stopping: Promise<TeardownReport> | null = null;
  return {
    id: state.id,
    dir: state.dir,
    tls: state.tls,
    bridgeIp: state.bridgeIp,
    bridge: state.bridge,
    subnet: state.subnet,
    sharedDir: state.sharedDir,
    localDir: state.localDir,
    ...(state.clientPkiDir ? { clientPkiDir: state.clientPkiDir } : {}),
    hosts: state.hosts.map((h) => toHost(state, h)),
    timings: state.timings,
    hostTimings: state.hostTimings,
    stop() {
      stopping ??= teardownState(loadState(state.id) ?? state);
      return stopping;
    },
  };
}

/** Claims a free 10.77.X.0/24 (O_EXCL file per octet), starting from the one the id prefers. */
async function claimSubnet(state: LabState): Promise<number> {
  mkdirSync(CLAIM_DIR, { recursive: true });
  const used = await rootIpv4Prefixes();
  const first = preferredOctet(state.id);
  for (let i = 0; i < 250; i += 1) {
    const octet = ((first - 1 + i) % 250) + 1;
    if (used.has(`${SUBNET_PREFIX}.${octet}`)) continue;
    const path = join(CLAIM_DIR, String(octet));
    try {
      const fd = openSync(path, 'wx');
      writeFileSync(fd, `${state.id}\n`);
      closeSync(fd);
    } catch {
      // claimed: reclaim only if its lab directory is gone
      let owner = '';
      try {
        owner = readFileSync(path, 'utf8').trim();
      } catch {
        /* vanished */
      }
      if (owner && existsSync(labDir(owner))) continue;
      writeFileSync(path, `${state.id}\n`);
    }
    state.resources.push({ kind: 'claim', path });
    saveState(state);
    return octet;
  }
  throw new Error('lab: no free 10.77.X.0/24 subnet left');
}

function seedQemuCaps(h: HostState): void {
  if (!existsSync(QEMU_CAPS_SEED)) return;
  const dst = join(h.dirs.cache, 'qemu', 'capabilities');
  mkdirSync(dst, { recursive: true });
  for (const f of readdirSync(QEMU_CAPS_SEED)) if (f.endsWith('.xml')) copyFileSync(join(QEMU_CAPS_SEED, f), join(dst, f));
}

function saveQemuCaps(h: HostState): void {
  const src = join(h.dirs.cache, 'qemu', 'capabilities');
  if (!existsSync(src)) return;
  mkdirSync(QEMU_CAPS_SEED, { recursive: true });
  for (const f of readdirSync(src)) {
    if (!f.endsWith('.xml')) continue;
    const tmp = join(QEMU_CAPS_SEED, `.${f}.${process.pid}`);
    copyFileSync(join(src, f), tmp);
    renameSync(tmp, join(QEMU_CAPS_SEED, f));
  }
}

/**
 * Starts a lab of `hosts` hypervisor hosts and waits until every libvirtd answers.
 * Fails at once, with one line, when the machine lacks root, capabilities or packages.
 */
export async function startLab(opts: StartLabOptions): Promise<Lab> {
  assertCapable();
  const n = opts.hosts;
  if (!Number.isInteger(n) || n < 1 || n > 20) throw new Error('lab: hosts must be an integer from 1 to 20');
  const id = checkId(opts.id ?? newLabId());
  const tls = opts.tls ?? false;
  const log = opts.log ?? (() => undefined);
  const t0 = Date.now();
  const dir = labDir(id);
  mkdirSync(join(dir, '..'), { recursive: true });
  try {
    mkdirSync(dir); // exclusive: an existing directory means the id is taken
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST')
      throw new Error(`lab: a lab with id '${id}' already exists (${dir}); run \`npm run lab -- down --id ${id}\``);
    throw err;
  }
  const state: LabState = {
    version: 1,
    id,
    dir,
    createdAt: new Date().toISOString(),
    ownerPid: process.pid,
    status: 'starting',
    tls,
    subnet: '',
    bridge: bridgeName(id),
    bridgeIp: '',
    sharedDir: join(dir, 'shared'),
    localDir: join(dir, 'local'),
    hosts: [],
    resources: [{ kind: 'dir', path: dir }],
    timings: {},
    hostTimings: {},
  };
  saveState(state);
  const phase = async (name: string, since: number): Promise<void> => {
    state.timings[name] = Date.now() - since;
    log(`lab ${id}: ${name} ${state.timings[name]} ms`);
    // test hook: stop dead after a phase, so a test can SIGKILL the owner of a half-built lab
    if (process.env.DROVER_LAB_PAUSE_AFTER === name) {
      saveState(state);
      log(`lab ${id}: paused after ${name} (DROVER_LAB_PAUSE_AFTER)`);
      await new Promise((r) => setTimeout(r, 600_000));
    }
  };

  try {
    // network
    let t = Date.now();
    const octet = await claimSubnet(state);
    state.subnet = `${SUBNET_PREFIX}.${octet}.0/24`;
    state.bridgeIp = `${SUBNET_PREFIX}.${octet}.254`;
    for (let i = 1; i <= n; i += 1) {
      const nm = hostNames(id, octet, i);
      const hostDir = join(dir, 'hosts', nm.name);
      const run_ = join(hostDir, 'run');
      const h: HostState = {
        index: i,
        name: nm.name,
        ip: nm.ip,
        netns: nm.netns,
        vethRoot: nm.vethRoot,
        vethHost: nm.vethHost,
        guestBridge: GUEST_BRIDGE,
        hostDir,
        dirs: { etc: join(hostDir, 'etc'), run: run_, lib: join(hostDir, 'lib'), log: join(hostDir, 'log'), cache: join(hostDir, 'cache') },
        localBacking: join(hostDir, 'local'),
        uuid: randomUUID(),
        uri: `qemu+tcp://${nm.ip}/system`,
        socketPath: join(run_, 'libvirt-sock'),
        socketUri: `qemu+unix:///system?socket=${join(run_, 'libvirt-sock')}`,
      };
      state.hosts.push(h);
    }
    state.resources.push({ kind: 'link', name: state.bridge });
    saveState(state);
    await createBridge(state.bridge, state.bridgeIp);
    await Promise.all(
      state.hosts.map(async (h) => {
        state.resources.push({ kind: 'netns', name: h.netns });
        saveState(state);
        await createNetns(h.netns);
        state.resources.push({ kind: 'link', name: h.vethRoot });
        saveState(state);
        await plugHost({
          netns: h.netns,
          vethRoot: h.vethRoot,
          vethHost: h.vethHost,
          bridge: state.bridge,
          ip: h.ip,
          guestBridge: h.guestBridge,
        });
      }),
    );
    await phase('network', t);

    // directories, configuration, certificates
    t = Date.now();
    mkdirSync(state.sharedDir, { recursive: true });
    mkdirSync(state.localDir, { recursive: true });
    ensureMountPoints(tls ? ['/etc/pki'] : []);
    for (const h of state.hosts) {
      prepareHostDirs(h, tls);
      seedQemuCaps(h);
    }
    if (tls) {
      const ca = await createCa(id);
      state.clientPkiDir = join(dir, 'pki', 'client');
      writeClientPki(state.clientPkiDir, ca, await issue(ca, 'drover-lab-client', [state.bridgeIp, '127.0.0.1'], ['localhost']));
      for (const h of state.hosts) {
        h.pkiDir = join(h.hostDir, 'pki');
        writeHostPki(h.pkiDir, ca, await issue(ca, h.name, [h.ip], [h.name]));
        h.tlsUri = `qemu+tls://${h.ip}/system?pkipath=${state.clientPkiDir}`;
      }
    }
    for (const h of state.hosts) {
      state.resources.push({
        kind: 'mount',
        source: h.hostDir,
        target:
          '/etc/libvirt /run/libvirt /var/lib/libvirt /var/log/libvirt /var/cache/libvirt ' + state.localDir + (tls ? ' /etc/pki' : ''),
        scope: `mount namespaces of the processes in ${h.netns}`,
      });
    }
    saveState(state);
    await phase('config', t);

    // daemons
    t = Date.now();
    for (const h of state.hosts) {
      const hostT0 = Date.now();
      const p = spawnLibvirtd(h, state.localDir);
      h.pid = p.pid;
      if (p.start !== undefined) h.pidStart = p.start;
      state.resources.push({
        kind: 'process',
        pid: p.pid,
        ...(p.start !== undefined ? { start: p.start } : {}),
        label: `libvirtd ${h.name}`,
      });
      saveState(state);
      state.hostTimings[h.name] = { spawnMs: Date.now() - hostT0 };
    }
    await phase('spawn', t);

    t = Date.now();
    const timeout = opts.readyTimeoutMs ?? 90_000;
    await Promise.all(
      state.hosts.map(async (h) => {
        const r = await waitReady(h, timeout);
        const ht = state.hostTimings[h.name] ?? {};
        ht.socketMs = r.socketMs;
        ht.answerMs = r.answerMs;
        state.hostTimings[h.name] = ht;
        log(`lab ${id}: ${h.name} ${h.ip} socket after ${r.socketMs} ms, answered after ${r.answerMs} ms`);
      }),
    );
    await phase('ready', t);
    const first = state.hosts[0];
    if (first) {
      try {
        saveQemuCaps(first);
      } catch {
        /* a cache miss next time is harmless */
      }
    }

    if (opts.localPool ?? true) {
      t = Date.now();
      await Promise.all(
        state.hosts.map(async (h) => {
          await run(['virsh', '-c', h.socketUri, 'pool-define-as', 'lablocal', 'dir', '--target', state.localDir], { timeoutMs: 60_000 });
          await run(['virsh', '-c', h.socketUri, 'pool-start', 'lablocal'], { timeoutMs: 60_000 });
          await run(['virsh', '-c', h.socketUri, 'pool-autostart', 'lablocal'], { timeoutMs: 60_000 });
        }),
      );
      await phase('pool', t);
    }
    state.status = 'up';
    state.timings.total = Date.now() - t0;
    saveState(state);
    log(`lab ${id}: up in ${state.timings.total} ms`);
    return toLab(state);
  } catch (err) {
    state.status = 'failed';
    try {
      saveState(state);
    } catch {
      /* ignore */
    }
    const report = await teardownState(state).catch(() => null);
    const extra = report && report.leftovers.length ? ` (and teardown left: ${report.leftovers.join(', ')})` : '';
    if (err instanceof Error) {
      err.message = `${err.message}${extra}`;
      throw err;
    }
    throw new Error(`lab: bring-up failed: ${String(err)}${extra}`);
  }
}

/** Re-attaches to a running lab by id (from its state file). */
export function attachLab(id: string): Lab {
  const state = loadState(checkId(id));
  if (!state) throw new Error(`lab: no lab with id '${id}' (no state file under ${labDir(id)})`);
  if (state.status !== 'up') throw new Error(`lab: lab '${id}' is ${state.status}, not up`);
  return toLab(state);
}

// ---- per-host helpers --------------------------------------------------------------------------

function hostState(host: LabHost): { state: LabState; h: HostState } {
  const state = loadState(host.labId);
  if (!state) throw new Error(`lab: lab '${host.labId}' is gone`);
  const h = state.hosts.find((x) => x.name === host.name);
  if (!h) throw new Error(`lab: lab '${host.labId}' has no host ${host.name}`);
  return { state, h };
}

/** Runs `virsh -c <host socket URI> ...args` from the root namespace; resolves to stdout. */
export async function virsh(host: LabHost, args: readonly string[], opts: { timeoutMs?: number; uri?: string } = {}): Promise<string> {
  const r: RunResult = await run(['virsh', '-c', opts.uri ?? host.socketUri, ...args], { timeoutMs: opts.timeoutMs ?? 120_000 });
  return r.stdout;
}

/** PIDs of QEMU processes running inside the host's network namespace. */
export async function qemuPids(host: LabHost): Promise<number[]> {
  const out: number[] = [];
  for (const pid of await netnsPids(host.netns)) {
    try {
      if (readFileSync(`/proc/${pid}/comm`, 'utf8').startsWith('qemu-system')) out.push(pid);
    } catch {
      /* exited */
    }
  }
  return out;
}

/** SIGKILLs the host's libvirtd (by its recorded PID) and waits until it is gone. Guests keep running. */
export async function killLibvirtd(host: LabHost): Promise<void> {
  const { state, h } = hostState(host);
  const pid = h.pid;
  if (pid === undefined || !sameProcess(pid, h.pidStart)) throw new Error(`lab: libvirtd of ${host.name} is not running`);
  process.kill(pid, 'SIGKILL');
  await waitFor(`libvirtd ${pid} of ${host.name} to exit`, 10_000, () => !alive(pid), 20);
  delete h.pid;
  delete h.pidStart;
  saveState(state);
  host.pid = 0;
}

/** Starts the host's libvirtd again (after killLibvirtd) and waits until it answers. */
export async function startLibvirtd(host: LabHost, opts: { timeoutMs?: number } = {}): Promise<void> {
  const { state, h } = hostState(host);
  if (h.pid !== undefined && sameProcess(h.pid, h.pidStart))
    throw new Error(`lab: libvirtd of ${host.name} is already running (pid ${h.pid})`);
  const p = spawnLibvirtd(h, state.localDir);
  h.pid = p.pid;
  if (p.start !== undefined) h.pidStart = p.start;
  else delete h.pidStart;
  state.resources.push({ kind: 'process', pid: p.pid, ...(p.start !== undefined ? { start: p.start } : {}), label: `libvirtd ${h.name}` });
  saveState(state);
  host.pid = p.pid;
  // the socket file of the killed daemon may still be there: wait for an answer, not for the file
  await waitReady(h, opts.timeoutMs ?? 60_000);
}

/** Takes the host's link down (its root-namespace veth end): the host is unreachable, not dead. */
export async function cutLink(host: LabHost): Promise<void> {
  await run(['ip', 'link', 'set', 'dev', host.vethRoot, 'down']);
}

export async function restoreLink(host: LabHost): Promise<void> {
  const { state } = hostState(host);
  await run(['ip', 'link', 'set', 'dev', host.vethRoot, 'master', state.bridge, 'up']);
}

/** Limits the host's link to `rate` (tc tbf syntax, e.g. '20mbit') in both directions. */
export async function limitLink(host: LabHost, rate: string): Promise<void> {
  await limit(host.netns, host.vethRoot, host.vethHost, rate);
}

export async function unlimitLink(host: LabHost): Promise<void> {
  await unlimit(host.netns, host.vethRoot, host.vethHost);
}

/**
 * Spawns argv inside the host's network namespace and with the same private bind mounts libvirtd
 * sees (/etc/libvirt, /run/libvirt, ..., localDir, /etc/pki in TLS labs), as on a real hypervisor.
 * The process is killed on lab teardown (everything inside the namespace is).
 */
export function spawnInHost(host: LabHost, argv: readonly string[], opts: SpawnOptions = {}): ChildProcess {
  const { state, h } = hostState(host);
  if (argv.length === 0) throw new Error('spawnInHost: empty argv');
  return spawnHost(h, state.localDir, argv, opts);
}
