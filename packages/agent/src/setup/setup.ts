/**
 * `drover-agent setup-hypervisor`: the old xCAT image post-script as an idempotent command. It
 * makes the guest storage (a directory, or an NFS mount with its fstab line), logs in to iSCSI
 * targets, writes the relocation (migration) configuration and, on Xen hosts, the boot loader
 * settings, and installs the agent's systemd unit. Every file is placed under `--root`; with
 * `--dry-run` every diff and command is printed and nothing changes; a second run changes nothing.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { promisify } from 'node:util';
import { createTwoFilesPatch } from 'diff';
import { parseStorageList, underRoot, writeFileAtomic } from '@drover/contract';
import type { AgentConfig } from '../config.js';
import { ErrorNumber, LibvirtError, type Connection, type StoragePool } from '@drover/libvirt';
import { hostCommandsFor, type HostStep, type PoolDef } from '../disks/index.js';
import type { StorageClients } from '../disks/clients.js';
import { applyEdits, bootloaderEdits, planRelocationConfig, type Edit } from '../hostconfig/index.js';

const run = promisify(execFile);

export type SetupConfig = AgentConfig['setup'];

/** One thing setup does: a host step (mkdir, fstab, command), config edits, or a whole file. */
export type SetupStep =
  | { kind: 'host'; what: string; step: HostStep }
  | { kind: 'edits'; what: string; edits: Edit[] }
  | { kind: 'file'; what: string; path: string; content: string; mode: number };

/** The systemd unit of the agent. */
export function systemdUnit(execStart: string): string {
  return [
    '# Installed by drover-agent setup-hypervisor.',
    '[Unit]',
    'Description=drover hypervisor host agent',
    'After=network-online.target libvirtd.service',
    'Wants=network-online.target',
    '',
    '[Service]',
    'Type=simple',
    // A 2 MiB young generation: the agent's allocation is small and steady, and V8's default
    // (16 MiB semi-spaces) costs ~35 MB of resident memory on every host (npm run bench -- agent).
    'Environment=NODE_OPTIONS=--max-semi-space-size=2',
    `ExecStart=${execStart}`,
    'Restart=on-failure',
    'RestartSec=2',
    '',
    '[Install]',
    'WantedBy=multi-user.target',
    '',
  ].join('\n');
}

/** Everything setup will do, in order, from the config alone (no I/O). */
export function planSetup(
  s: SetupConfig,
  nfsMountBase: string,
  user: { clients?: StorageClients; initiatorIqn?: string } = {},
): SetupStep[] {
  const opts = { nfsMountBase, ...user };
  const steps: SetupStep[] = [];
  const storage = s.storage.trim();
  if (storage) {
    const disks = parseStorageList(storage, 'setup.storage');
    for (const d of disks) {
      if (d.kind !== 'dir' && d.kind !== 'nfs') continue; // lvm/phy need no preparation beyond a check at define time
      for (const step of hostCommandsFor(d, opts)) steps.push({ kind: 'host', what: `storage ${storage}`, step });
    }
  }
  for (const t of s.iscsi) {
    for (const step of hostCommandsFor({ kind: 'iscsi', portal: t.portal, iqn: t.iqn }, opts))
      steps.push({ kind: 'host', what: `iSCSI ${t.iqn}`, step });
  }
  if (s.relocation) {
    const r = s.relocation;
    steps.push({
      kind: 'edits',
      what: `relocation (${r.hypervisor})`,
      edits: planRelocationConfig({
        hypervisor: r.hypervisor,
        ip: r.ip,
        peers: r.peers,
        tls: r.tls,
        ...(r.tlsFiles ? { tlsFiles: { ...r.tlsFiles } as { keyFile?: string; certFile?: string; caFile?: string } } : {}),
        ...(r.xendSsl ? { xendSsl: r.xendSsl } : {}),
        ...(r.vncListen ? { vncListen: r.vncListen } : {}),
      }),
    });
    if (r.hypervisor !== 'kvm' && s.bootloader) {
      const b = s.bootloader;
      steps.push({
        kind: 'edits',
        what: 'Xen boot loader',
        edits: bootloaderEdits({
          style: b.style,
          dom0Mem: b.dom0Mem,
          ...(b.grubDefault ? { grubDefault: b.grubDefault } : {}),
          ...(b.path ? { path: b.path } : {}),
        }),
      });
    }
  }
  steps.push({ kind: 'file', what: 'systemd unit', path: s.systemd.unitPath, content: systemdUnit(s.systemd.execStart), mode: 0o644 });
  return steps;
}

export interface SetupOptions {
  root?: string;
  dryRun?: boolean;
  /** Where to print (one line or diff at a time). */
  print(text: string): void;
  /** Runs a command (argv); execFile by default. */
  exec?: (argv: readonly string[]) => Promise<string>;
  /** /proc/self/mounts, to see whether a mount point is mounted already. */
  mounts?: () => string;
  /** Defines, autostarts and starts a libvirt pool as needed; resolves to what it did (empty: nothing). */
  pool?: (def: PoolDef) => Promise<string[]>;
}

/** The `pool` option of runSetup on a libvirt connection. */
export async function ensureSetupPool(conn: Connection, def: PoolDef): Promise<string[]> {
  const did: string[] = [];
  let p: StoragePool;
  try {
    p = await conn.lookupStoragePoolByName(def.name);
  } catch (e) {
    if (!(e instanceof LibvirtError && e.code === ErrorNumber.NO_STORAGE_POOL)) throw e;
    p = await conn.defineStoragePool(def.xml);
    did.push('defined');
  }
  if (!(await p.getAutostart())) {
    await p.setAutostart(true);
    did.push('autostart on');
  }
  if (!(await p.isActive())) {
    await p.start();
    did.push('started');
  }
  return did;
}

export interface SetupResult {
  /** Files written or directories made (0 on a second run). */
  changed: number;
  /** Commands run (or that would run). */
  commands: string[][];
}

const defaultExec = async (argv: readonly string[]): Promise<string> => {
  const [cmd, ...args] = argv;
  const { stdout } = await run(cmd!, args, { timeout: 120_000 });
  return stdout;
};

function fstabWith(text: string, mountPoint: string, line: string): string {
  const lines = text === '' ? [] : text.replace(/\n$/, '').split('\n');
  const i = lines.findIndex((l) => !/^\s*#/.test(l) && l.trim().split(/\s+/)[1] === mountPoint);
  if (i >= 0) lines[i] = line;
  else lines.push(line);
  return `${lines.join('\n')}\n`;
}

/** Applies (or, with dryRun, shows) every step of the plan. */
export async function runSetup(steps: readonly SetupStep[], o: SetupOptions): Promise<SetupResult> {
  const root = o.root && o.root !== '/' ? o.root : undefined;
  const exec = o.exec ?? defaultExec;
  const res: SetupResult = { changed: 0, commands: [] };
  const say = (s: string): void => o.print(s.endsWith('\n') ? s : `${s}\n`);
  const writeFile = (path: string, before: string | undefined, after: string, mode: number): void => {
    if (before === after) {
      say(`unchanged ${path}`);
      return;
    }
    say(createTwoFilesPatch(path, path, before ?? '', after, 'current', 'drover', { context: 3 }));
    if (o.dryRun) return;
    writeFileAtomic(underRoot(root, path), after, { mode, backup: before !== undefined });
    res.changed++;
    say(`${before === undefined ? 'created' : 'updated'} ${path}`);
  };
  for (const s of steps) {
    switch (s.kind) {
      case 'host': {
        const st = s.step;
        if (st.op === 'mkdir') {
          const dir = underRoot(root, st.path);
          if (existsSync(dir)) say(`unchanged ${st.path} (directory exists)`);
          else if (o.dryRun) say(`would create directory ${st.path} (mode ${st.mode.toString(8)})`);
          else {
            mkdirSync(dir, { recursive: true, mode: st.mode });
            res.changed++;
            say(`created directory ${st.path}`);
          }
        } else if (st.op === 'pool') {
          const name = st.pool.name;
          if (o.dryRun) say(`would define, autostart and start libvirt pool ${name}  # ${st.purpose}\n${st.pool.xml}`);
          else if (root) say(`not run under --root ${o.root}: libvirt pool ${name}  # ${st.purpose}`);
          else if (!o.pool) throw new Error(`libvirt pool ${name}: no libvirt connection to define it with`);
          else {
            const did = await o.pool(st.pool);
            if (did.length === 0) say(`unchanged libvirt pool ${name} (defined, autostarted, running)`);
            else {
              res.changed++;
              say(`libvirt pool ${name}: ${did.join(', ')}  # ${st.purpose}`);
            }
          }
        } else if (st.op === 'fstab') {
          const file = underRoot(root, '/etc/fstab');
          const before = existsSync(file) ? readFileSync(file, 'utf8') : undefined;
          writeFile('/etc/fstab', before, fstabWith(before ?? '', st.mountPoint, st.line), 0o644);
        } else {
          res.commands.push([...st.argv]);
          const line = st.argv.join(' ');
          if (o.dryRun) {
            say(`would run: ${line}  # ${st.purpose}`);
            continue;
          }
          if (root) {
            say(`not run under --root ${o.root}: ${line}  # ${st.purpose}`);
            continue;
          }
          if (
            st.argv[0] === 'mount' &&
            (o.mounts?.() ?? readFileSync('/proc/self/mounts', 'utf8')).split('\n').some((l) => l.split(' ')[1] === st.argv[1])
          ) {
            say(`unchanged ${st.argv[1]} (mounted)`);
            continue;
          }
          if (st.argv[0] === 'iscsiadm' && st.argv.includes('--login')) {
            const iqn = st.argv[st.argv.indexOf('-T') + 1] ?? '';
            const sessions = await exec(['iscsiadm', '-m', 'session']).catch(() => '');
            if (sessions.includes(iqn)) {
              say(`unchanged iSCSI session ${iqn} (logged in)`);
              continue;
            }
          }
          say(`run: ${line}  # ${st.purpose}`);
          await exec(st.argv);
        }
        break;
      }
      case 'edits': {
        for (const r of applyEdits(root, s.edits, { dryRun: !!o.dryRun })) {
          if (!r.changed) say(`unchanged ${r.path}`);
          else {
            say(r.diff);
            if (!o.dryRun) {
              res.changed++;
              say(`updated ${r.path}${r.backup ? ` (previous content in ${r.path}.drover-bak)` : ''}`);
            }
          }
        }
        if (s.what === 'Xen boot loader' && !o.dryRun) say('run update-grub (or grub2-mkconfig) to regenerate the boot menu');
        break;
      }
      case 'file': {
        const file = underRoot(root, s.path);
        const before = existsSync(file) ? readFileSync(file, 'utf8') : undefined;
        writeFile(s.path, before, s.content, s.mode);
        break;
      }
    }
  }
  say(o.dryRun ? 'dry run: nothing was changed' : res.changed ? `${res.changed} change(s) made` : 'no changes: this host is set up');
  return res;
}
