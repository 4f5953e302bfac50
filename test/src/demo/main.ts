/**
 * `npm run demo`: a real small drover cluster on this machine, and a tour of it.
 *
 * Three hypervisor hosts (libvirtd + QEMU in network namespaces), nats-server, drover-server and
 * one drover-agent inside each host; four counter guests added with nodeadd, powered on, listed,
 * their console read, one moved with rmigrate, one on NFS moved live, and a host emptied with revacuate — all through the
 * `drover` CLI, as an admin would type it.
 *
 *   npm run demo             the tour, then the cluster stays up for you to try (Ctrl-C tears it down)
 *   npm run demo -- --once   the tour without a terminal; exits 0 after tearing everything down
 */
import { spawn } from 'node:child_process';
import { parseArgs } from 'node:util';
import { startLab, startStorageHost, readCount, readDiskCount, type Lab } from '../lab/index.js';
import { addSharedCounterGuests, declareLabStorage, nfsUrl } from '../support/sharedstorage.js';
import { startLabCluster } from '../support/labcluster.js';
import type { TestCluster } from '../support/cluster.js';
import { BIN, waitFor } from '../support/procs.js';
import { addCounterGuests, declareSharedStorage } from '../support/labguests.js';

const { values: opts } = parseArgs({ options: { once: { type: 'boolean', default: false } } });
const once = opts.once || !process.stdout.isTTY;
const t0 = Date.now();

function say(text: string): void {
  process.stdout.write(`\n\x1b[1m# ${text}\x1b[0m\n`.replace(/\x1b\[[0-9;]*m/g, process.stdout.isTTY ? '$&' : ''));
}

/** Runs the drover CLI as the admin would, showing the command and its output. */
function drover(c: TestCluster, args: string[], opts: { stdin?: string; killAfterMs?: number; allowFail?: boolean } = {}): Promise<number> {
  process.stdout.write(`$ drover ${args.join(' ')}\n`);
  return new Promise((res, rej) => {
    const child = spawn(process.execPath, [BIN.cli, ...args], {
      env: { ...process.env, DROVER_CONFIG: c.bundles.admin },
      stdio: [opts.stdin !== undefined ? 'pipe' : 'inherit', 'inherit', 'inherit'],
    });
    if (opts.stdin !== undefined) {
      child.stdin!.write(opts.stdin);
      if (!opts.killAfterMs) child.stdin!.end();
    }
    const timer = opts.killAfterMs ? setTimeout(() => child.stdin?.end(Buffer.from([0x05, 0x63, 0x2e])), opts.killAfterMs) : undefined;
    child.on('exit', (code) => {
      if (timer) clearTimeout(timer);
      if (code !== 0 && !opts.allowFail) rej(new Error(`drover ${args.join(' ')} exited ${code}`));
      else res(code ?? 1);
    });
  });
}

async function main(): Promise<void> {
  let lab: Lab | undefined;
  let c: TestCluster | undefined;
  const teardown = async (): Promise<void> => {
    say('Tearing down: agents, drover-server, nats-server, the lab hosts');
    await c?.stop();
    const r = await lab?.stop();
    if (r?.leftovers.length) process.stdout.write(`left over: ${r.leftovers.join('; ')}\n`);
  };
  try {
    say('Bringing up 3 hypervisor hosts (libvirtd + QEMU in network namespaces)');
    lab = await startLab({ hosts: 3 });
    for (const h of lab.hosts) process.stdout.write(`  ${h.name}  ${h.ip}  ${h.uri}\n`);
    say('Starting nats-server, drover-server (CA, tables) and a drover-agent inside each host');
    c = await startLabCluster(lab);
    // Up, libvirt connected, and the first facts (memory, CPUs) reported.
    await c.waitHostsUp(3, { facts: true });
    await drover(c, ['lshosts']);

    say('Declaring the shared directory as shared storage, adding four counter guests, powering them on');
    await declareSharedStorage(c, lab);
    process.stdout.write(`$ drover nodeadd vm1,vm2 vm.host=node01 vm.memory=64M vm.storage=dir://${lab.sharedDir}/disks groups=counters\n`);
    await addCounterGuests(c, lab, ['vm1', 'vm2'], 'node01');
    process.stdout.write(`$ drover nodeadd vm3,vm4 vm.host=node02 ...\n`);
    await addCounterGuests(c, lab, ['vm3', 'vm4'], 'node02');
    await drover(c, ['rpower', 'counters', 'stat']);
    await drover(c, ['lsdef', 'vm1']);
    await drover(c, ['lsvm', 'node01']);

    say("Reading vm1's serial console (the guest counts; what we type comes back echoed; Ctrl-E c . detaches)");
    await drover(c, ['rcons', 'vm1'], { stdin: 'hello from the demo\r', killAfterMs: 2500 });
    process.stdout.write('\n');

    say('Moving vm1 to node03 while it runs, its stream held to 1 MiB/s so the progress shows (the count keeps rising)');
    const before = readCount(lab, 'vm1');
    await drover(c, ['rmigrate', 'vm1', 'node03', '--bandwidth', '1']);
    await waitFor('vm1 counting on node03', () => (readCount(lab!, 'vm1') ?? 0) > (before ?? 0), 20_000, 200);
    process.stdout.write(`vm1 count: ${before} before, ${readCount(lab, 'vm1')} after, never reset\n`);

    say("A guest on NFS: the lab storage host exports /vms (nfs-ganesha); the hosts reach it with QEMU's own NFS client");
    const storage = await startStorageHost(lab, { kinds: ['nfs'] });
    await declareLabStorage(c, lab, storage);
    process.stdout.write(`$ drover chtab url=${nfsUrl(storage)} storage.shared=1 storage.hosts=node01,node02,node03\n`);
    process.stdout.write(`$ drover nodeadd nfs1 vm.host=node01 vm.memory=64M vm.storage=${nfsUrl(storage)}\n`);
    const nfsDisk = (await addSharedCounterGuests(c, lab, storage, 'nfs', ['nfs1'], 'node01')).get('nfs1')!;
    await drover(c, ['lsdef', 'nfs1']);
    const nfsBefore = readCount(lab, 'nfs1');
    await drover(c, ['rmigrate', 'nfs1', 'node03', '--bandwidth', '1']);
    await waitFor('nfs1 counting on node03', () => (readCount(lab!, 'nfs1') ?? 0) > (nfsBefore ?? 0), 20_000, 200);
    const onDisk = await readDiskCount(nfsDisk.file, nfsDisk.format);
    process.stdout.write(
      `nfs1 count: ${nfsBefore} before, ${readCount(lab, 'nfs1')} after; ${onDisk} in its disk on the export (memory moved, the disk stayed where it was)\n`,
    );

    say('Emptying node02 in one planned, parallel schedule (it goes into maintenance)');
    await drover(c, ['revacuate', 'node02', '--bandwidth', '1']);
    await drover(c, ['rpower', 'counters', 'stat']);
    await drover(c, ['lshosts']);

    say('Maintenance over: node02 takes its guests back');
    await drover(c, ['maintenance', 'node02', 'off', '--return']);
    await drover(c, ['ops', 'list']);

    say(`Tour done in ${((Date.now() - t0) / 1000).toFixed(0)} s`);
    if (!once) {
      process.stdout.write(
        `\nThe cluster is yours: in another shell,\n  export DROVER_CONFIG=${c.bundles.admin}\n  ${BIN.cli} rpower counters stat\nPress Ctrl-C here to tear it all down.\n`,
      );
      await new Promise<void>((res) => process.once('SIGINT', () => res()));
    }
  } catch (e) {
    process.stderr.write(`demo: ${(e as Error).message}\n`);
    process.exitCode = 1;
  } finally {
    await teardown();
  }
}

main().catch((e: Error) => {
  process.stderr.write(`demo: ${e.stack ?? e.message}\n`);
  process.exit(1);
});
