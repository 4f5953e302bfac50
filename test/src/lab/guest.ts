/**
 * The counter guest: a boot sector that prints "count N" on COM1 about six times a second and
 * echoes what it receives. Built from test/lab/counter.S with as/ld, wrapped as qcow2, cached by
 * the hash of its source.
 */
import { createHash } from 'node:crypto';
import {
  closeSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readFileSync,
  readSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { AssertionError } from 'node:assert';
import { run } from './exec';
import { virsh, type Lab, type LabHost } from './lab';
import { CACHE_DIR } from './state';

export const COUNTER_SOURCE = join(__dirname, '..', '..', 'lab', 'counter.S');

let building: Promise<string> | null = null;

/** Path of the cached counter guest qcow2 image, building it first if the source changed. */
export function counterImage(): Promise<string> {
  building ??= buildCounterImage().catch((err: unknown) => {
    building = null;
    throw err;
  });
  return building;
}

async function buildCounterImage(): Promise<string> {
  const src = readFileSync(COUNTER_SOURCE);
  const hash = createHash('sha256').update(src).update('pad-1MiB').digest('hex').slice(0, 16);
  const out = join(CACHE_DIR, `counter-${hash}.qcow2`);
  if (existsSync(out)) return out;
  mkdirSync(CACHE_DIR, { recursive: true });
  const tmp = mkdtempSync(join(CACHE_DIR, '.build-'));
  try {
    const obj = join(tmp, 'counter.o');
    const bin = join(tmp, 'counter.bin');
    await run(['as', '--32', '-o', obj, COUNTER_SOURCE]);
    await run(['ld', '-m', 'elf_i386', '--oformat', 'binary', '-Ttext', '0x7c00', '-e', '_start', '-o', bin, obj]);
    const sector = readFileSync(bin);
    if (sector.length !== 512 || sector[510] !== 0x55 || sector[511] !== 0xaa) {
      throw new Error(`lab: ${COUNTER_SOURCE} did not assemble to a 512-byte boot sector ending in 55 AA (got ${sector.length} bytes)`);
    }
    const raw = join(tmp, 'counter.raw');
    const disk = Buffer.alloc(1024 * 1024);
    sector.copy(disk, 0);
    writeFileSync(raw, disk);
    const qcow = join(tmp, 'counter.qcow2');
    await run(['qemu-img', 'convert', '-f', 'raw', '-O', 'qcow2', raw, qcow]);
    renameSync(qcow, out);
    return out;
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

export interface CounterGuestOptions {
  /** 'shared': disk in the lab's shared dir (migrate with --unsafe); 'local': in the host's localDir (--copy-storage-all) */
  disk?: 'shared' | 'local';
  /** 'file': serial appended to the log file; 'pty': a pty console, also logged to the same file */
  serial?: 'file' | 'pty';
  /** add a NIC on the host's guest bridge */
  nic?: boolean;
  /** define only, do not start */
  noStart?: boolean;
}

export interface CounterGuest {
  name: string;
  /** serial output of every copy of this guest, on every host (appended), in the shared dir */
  logPath: string;
  /** disk path as the host sees it */
  diskPath: string;
  xml: string;
}

/** Serial log of guest `name` (shared by all hosts, so it holds the history across migrations). */
export function serialLogPath(sharedDir: string, name: string): string {
  return join(sharedDir, 'serial', `${name}.log`);
}

function xmlEscape(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/'/g, '&apos;').replace(/"/g, '&quot;');
}

export function counterGuestXml(name: string, diskPath: string, logPath: string, opts: CounterGuestOptions, guestBridge: string): string {
  const e = xmlEscape;
  const serial =
    (opts.serial ?? 'file') === 'pty'
      ? `    <serial type='pty'>\n      <log file='${e(logPath)}' append='on'/>\n      <target port='0'/>\n    </serial>\n    <console type='pty'>\n      <target type='serial' port='0'/>\n    </console>\n`
      : `    <serial type='file'>\n      <source path='${e(logPath)}' append='on'/>\n      <target port='0'/>\n    </serial>\n`;
  const nic = opts.nic
    ? `    <interface type='bridge'>\n      <source bridge='${e(guestBridge)}'/>\n      <model type='e1000'/>\n    </interface>\n`
    : '';
  return `<domain type='qemu'>
  <name>${e(name)}</name>
  <memory unit='MiB'>64</memory>
  <vcpu>1</vcpu>
  <os>
    <type arch='x86_64' machine='pc'>hvm</type>
    <boot dev='hd'/>
  </os>
  <clock offset='utc'/>
  <on_poweroff>destroy</on_poweroff>
  <on_reboot>restart</on_reboot>
  <on_crash>destroy</on_crash>
  <devices>
    <emulator>/usr/bin/qemu-system-x86_64</emulator>
    <disk type='file' device='disk'>
      <driver name='qemu' type='qcow2' cache='none'/>
      <source file='${e(diskPath)}'/>
      <target dev='hda' bus='ide'/>
    </disk>
${serial}${nic}    <memballoon model='none'/>
  </devices>
</domain>
`;
}

const NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;

/** Defines the counter guest `name` on `host` and starts it. The serial log is emptied first. */
export async function defineCounterGuest(host: LabHost, name: string, opts: CounterGuestOptions = {}): Promise<CounterGuest> {
  if (!NAME.test(name)) throw new Error(`lab: guest name '${name}' must be letters, digits, _ . - (max 64)`);
  const image = await counterImage();
  const logPath = serialLogPath(host.sharedDir, name);
  mkdirSync(join(host.sharedDir, 'serial'), { recursive: true });
  // truncate rather than unlink: a still-running copy keeps appending to the same file and shows up
  writeFileSync(logPath, '');
  let diskPath: string;
  if ((opts.disk ?? 'shared') === 'local') {
    copyFileSync(image, join(host.localBacking, `${name}.qcow2`));
    diskPath = join(host.localDir, `${name}.qcow2`);
    await virsh(host, ['pool-refresh', 'lablocal']).catch(() => undefined);
  } else {
    mkdirSync(join(host.sharedDir, 'disks'), { recursive: true });
    diskPath = join(host.sharedDir, 'disks', `${name}.qcow2`);
    copyFileSync(image, diskPath);
  }
  const xml = counterGuestXml(name, diskPath, logPath, opts, host.guestBridge);
  const xmlPath = join(host.sharedDir, 'serial', `${name}.xml`);
  writeFileSync(xmlPath, xml);
  await virsh(host, ['define', xmlPath]);
  if (!opts.noStart) await virsh(host, ['start', name]);
  return { name, logPath, diskPath, xml };
}

const COUNT_LINE = /count (\d+)\r\n/g;

/** The counter guest writes "DRCOUNT:" and its count (u32 LE) to LBA 1 before printing the count. */
const DISK_MAGIC = Buffer.from('DRCOUNT:', 'latin1');

/** The count in sector 1 of a counter guest's raw disk bytes, or null before the guest wrote one. */
export function diskCountOf(sector: Buffer): number | null {
  if (sector.length < 12 || !sector.subarray(0, 8).equals(DISK_MAGIC)) return null;
  return sector.readUInt32LE(8);
}

/**
 * The count the guest last wrote to its disk: read from the image file as any host sees it
 * (qcow2 through qemu-io, shared lock; raw directly), or null before the first write.
 */
export async function readDiskCount(file: string, format: 'qcow2' | 'raw'): Promise<number | null> {
  if (format === 'raw') {
    const fd = openSync(file, 'r');
    try {
      const b = Buffer.alloc(12);
      readSync(fd, b, 0, 12, 512);
      return diskCountOf(b);
    } finally {
      closeSync(fd);
    }
  }
  const r = await run(['qemu-io', '-U', '-r', '-f', 'qcow2', '-c', 'read -v 512 16', file], { timeoutMs: 20_000 });
  const bytes = [...r.stdout.matchAll(/^[0-9a-f]{8}:\s+((?:[0-9a-f]{2}\s)+)/gm)].flatMap((m) => (m[1] ?? '').trim().split(/\s+/));
  return diskCountOf(Buffer.from(bytes.map((h) => parseInt(h, 16))));
}

/** Every count the guest printed, in order, across all hosts it ran on. */
export function readCounts(host: LabHost | Lab, name: string): number[] {
  let text = '';
  try {
    text = readFileSync(serialLogPath(host.sharedDir, name), 'latin1');
  } catch {
    return [];
  }
  return [...text.matchAll(COUNT_LINE)].map((m) => Number(m[1]));
}

/** The last count the guest printed, or null before its first line. */
export function readCount(host: LabHost | Lab, name: string): number | null {
  const all = readCounts(host, name);
  return all.length ? (all[all.length - 1] ?? null) : null;
}

/** How many times the guest booted (lines "counter boot") according to its serial log. */
export function readBoots(host: LabHost | Lab, name: string): number {
  try {
    return (readFileSync(serialLogPath(host.sharedDir, name), 'latin1').match(/counter boot\r\n/g) ?? []).length;
  } catch {
    return 0;
  }
}

/**
 * Fails unless `samples` (counts read over time, or the full sequence from readCounts) rise:
 * no value may be lower than the one before (a restarted guest drops to 1; a second running copy
 * interleaves a second, lower sequence), and the last must exceed the first.
 */
export function assertCountRises(samples: ReadonlyArray<number | null>, what = 'counter guest'): void {
  const xs = samples.filter((x): x is number => typeof x === 'number');
  if (xs.length < 2) throw new AssertionError({ message: `${what}: need at least two count samples, got ${JSON.stringify(samples)}` });
  for (let i = 1; i < xs.length; i += 1) {
    const prev = xs[i - 1] as number;
    const cur = xs[i] as number;
    if (cur < prev) {
      // one drop and then a steady rise is a restart; drops that keep coming are two writers
      const dropsAfter = xs.slice(i + 1).some((x, k) => x < (xs[i + k] as number));
      const kind = dropsAfter
        ? 'two interleaved count sequences (a second copy of the guest is running)'
        : 'the count dropped (the guest restarted or was replaced)';
      throw new AssertionError({
        message: `${what}: ${kind}: ${prev} then ${cur} at sample ${i} of ${xs.length} (${xs.slice(Math.max(0, i - 3), i + 4).join(', ')})`,
        actual: cur,
        expected: prev,
        operator: '>=',
      });
    }
  }
  const first = xs[0] as number;
  const last = xs[xs.length - 1] as number;
  if (last <= first)
    throw new AssertionError({
      message: `${what}: the count did not rise (stayed at ${first} over ${xs.length} samples)`,
      actual: last,
      expected: first,
      operator: '>',
    });
}

/** Destroys and undefines every guest on every host of the lab (between tests). */
export async function resetHosts(lab: Lab): Promise<void> {
  await Promise.all(
    lab.hosts.map(async (h) => {
      const names = (await virsh(h, ['list', '--all', '--name']))
        .split('\n')
        .map((s) => s.trim())
        .filter(Boolean);
      await Promise.all(
        names.map(async (n) => {
          await virsh(h, ['destroy', n]).catch(() => undefined);
          await virsh(h, ['undefine', n, '--managed-save', '--snapshots-metadata']).catch(() => undefined);
        }),
      );
    }),
  );
}
