/**
 * `npm run lab -- up --hosts 3 [--json] [--tls] [--id ID]` starts a lab and leaves it running;
 * `npm run lab -- down [--id ID]` tears down one lab, or every lab in the state directory;
 * `npm run lab -- status [--json]` lists the labs and whether their daemons are alive.
 */
import { parseArgs } from 'node:util';
import { alive, sleep } from './exec';
import { startLab, type Lab } from './lab';
import { startStorageHost, type StorageKind } from './storage';
import { LAB_ROOT, listLabIds, loadState } from './state';
import { removeStaleClaims, teardownId } from './teardown';

const USAGE = `usage: lab up --hosts N [--json] [--tls] [--id ID] [--storage nfs,iscsi]
       lab down [--id ID] [--wait-pid PID]
       lab status [--json]`;

function printLab(lab: Lab): void {
  const out: string[] = [];
  out.push(`lab ${lab.id}: ${lab.hosts.length} hosts on ${lab.subnet}, bridge ${lab.bridge} ${lab.bridgeIp}${lab.tls ? ', TLS' : ''}`);
  out.push(`  shared dir  ${lab.sharedDir}`);
  out.push(`  local dir   ${lab.localDir} (per host)`);
  if (lab.clientPkiDir) out.push(`  client PKI  ${lab.clientPkiDir}`);
  for (const h of lab.hosts) {
    out.push(`  ${h.name}  ${h.ip}  libvirtd pid ${h.pid}  netns ${h.netns}`);
    out.push(`    uri        ${h.uri}`);
    if (h.tlsUri) out.push(`    tls uri    ${h.tlsUri}`);
    out.push(`    socket uri ${h.socketUri}`);
    out.push(`    dirs       etc=${h.dirs.etc} run=${h.dirs.run} lib=${h.dirs.lib} log=${h.dirs.log} cache=${h.dirs.cache}`);
  }
  const t = lab.timings;
  out.push(
    `  bring-up    ${Object.entries(t)
      .map(([k, v]) => `${k} ${v} ms`)
      .join(', ')}`,
  );
  out.push(`  stop with   npm run lab -- down --id ${lab.id}`);
  process.stdout.write(`${out.join('\n')}\n`);
}

async function up(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      hosts: { type: 'string', default: '3' },
      json: { type: 'boolean', default: false },
      tls: { type: 'boolean', default: false },
      id: { type: 'string' },
      storage: { type: 'string' },
    },
    strict: true,
  });
  const hosts = Number(values.hosts);
  const kinds = (values.storage ?? '')
    .split(',')
    .map((k) => k.trim())
    .filter(Boolean);
  for (const k of kinds) if (k !== 'nfs' && k !== 'iscsi') throw new Error(`lab: --storage takes nfs, iscsi or nfs,iscsi (got '${k}')`);
  const lab = await startLab({
    hosts,
    tls: values.tls ?? false,
    ...(values.id ? { id: values.id } : {}),
    log: values.json ? () => undefined : (line) => process.stderr.write(`${line}\n`),
  });
  const storage = kinds.length ? await startStorageHost(lab, { kinds: kinds as StorageKind[] }) : undefined;
  if (values.json) {
    const doc = {
      id: lab.id,
      bridgeIp: lab.bridgeIp,
      sharedDir: lab.sharedDir,
      tls: lab.tls,
      hosts: lab.hosts.map((h) => ({
        name: h.name,
        ip: h.ip,
        uri: h.uri,
        socketUri: h.socketUri,
        pid: h.pid,
        ...(h.tlsUri ? { tlsUri: h.tlsUri } : {}),
      })),
      ...(storage
        ? {
            storage: {
              address: storage.address,
              ...(storage.nfs ? { nfs: { export: storage.nfs.export } } : {}),
              ...(storage.iscsi ? { iscsi: { portal: storage.iscsi.portal, iqns: storage.iscsi.iqns } } : {}),
            },
          }
        : {}),
    };
    process.stdout.write(`${JSON.stringify(doc)}\n`);
  } else {
    printLab(lab);
    if (storage) {
      const lines = [`  storage     ${storage.address} netns ${storage.netns} (${storage.dir})`];
      if (storage.nfs) lines.push(`    nfs        ${storage.nfs.url} (files in ${storage.nfs.dir})`);
      if (storage.iscsi)
        lines.push(
          `    iscsi      iscsi://${storage.iscsi.portal}/${storage.iscsi.iqns[0]} LUNs ${Object.keys(storage.iscsi.luns).join(',')}`,
        );
      process.stdout.write(`${lines.join('\n')}\n`);
    }
  }
  return 0;
}

async function down(argv: string[]): Promise<number> {
  const { values } = parseArgs({ args: argv, options: { id: { type: 'string' }, 'wait-pid': { type: 'string' } }, strict: true });
  const waitPid = values['wait-pid'] ? Number(values['wait-pid']) : null;
  if (waitPid !== null) {
    // watchdog mode (used by getSharedLab): wait for the owner process to go, for at most 12 hours
    const deadline = Date.now() + 12 * 3600_000;
    while (alive(waitPid) && Date.now() < deadline) await sleep(250);
    if (values.id && !loadState(values.id)) return 0;
  }
  const ids = values.id ? [values.id] : listLabIds();
  if (ids.length === 0) {
    removeStaleClaims();
    process.stdout.write(`no labs in ${LAB_ROOT}\n`);
    return 0;
  }
  let failed = 0;
  for (const id of ids) {
    const r = await teardownId(id);
    if (r.leftovers.length) {
      failed += 1;
      process.stdout.write(`lab ${id}: torn down in ${r.ms} ms, but left: ${r.leftovers.join('; ')}\n`);
    } else process.stdout.write(`lab ${id}: removed (${r.killed} processes killed) in ${r.ms} ms\n`);
  }
  removeStaleClaims();
  return failed ? 1 : 0;
}

function status(argv: string[]): number {
  const { values } = parseArgs({ args: argv, options: { json: { type: 'boolean', default: false } }, strict: true });
  const labs = listLabIds().map((id) => {
    const s = loadState(id);
    if (!s)
      return {
        id,
        status: 'unknown (no state file)',
        hosts: [] as Array<{ name: string; ip: string; pid: number | null; alive: boolean }>,
      };
    return {
      id,
      status: s.status,
      owner: s.ownerPid,
      subnet: s.subnet,
      bridgeIp: s.bridgeIp,
      tls: s.tls,
      hosts: s.hosts.map((h) => ({ name: h.name, ip: h.ip, pid: h.pid ?? null, alive: h.pid !== undefined && alive(h.pid) })),
    };
  });
  if (values.json) {
    process.stdout.write(`${JSON.stringify({ labs })}\n`);
    return 0;
  }
  if (labs.length === 0) {
    process.stdout.write(`no labs running (${LAB_ROOT})\n`);
    return 0;
  }
  for (const l of labs) {
    const live = l.hosts.filter((h) => h.alive).length;
    process.stdout.write(`lab ${l.id}: ${l.status}, ${live}/${l.hosts.length} daemons alive\n`);
    for (const h of l.hosts) process.stdout.write(`  ${h.name} ${h.ip} libvirtd ${h.pid ?? '-'} ${h.alive ? 'alive' : 'dead'}\n`);
  }
  return 0;
}

async function main(): Promise<number> {
  const [cmd, ...rest] = process.argv.slice(2);
  switch (cmd) {
    case 'up':
      return up(rest);
    case 'down':
      return down(rest);
    case 'status':
      return status(rest);
    case undefined:
    case '-h':
    case '--help':
    case 'help':
      process.stdout.write(`${USAGE}\n`);
      return cmd === undefined ? 2 : 0;
    default:
      process.stderr.write(`lab: unknown command '${cmd}'\n${USAGE}\n`);
      return 2;
  }
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    const msg = err instanceof Error ? err.message : String(err);
    process.stderr.write(`${msg.startsWith('lab') ? msg : `lab: ${msg}`}\n`);
    process.exit(1);
  },
);
