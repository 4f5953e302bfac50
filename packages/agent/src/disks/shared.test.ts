import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseStorageList } from './attrs.js';
import { guestSource, planDisk } from './plan.js';
import { initiatorIqn, kernelIscsi, kernelNfs, storageClients, type ClientProbe } from './clients.js';
import { ensureDiskAccess } from './access.js';
import type { ResolvedDisk } from './resolve.js';
import { iscsiDirectPool } from './pool.js';
import { hostCommandsFor } from './host.js';
import { buildDomainXml } from '../domain/build.js';
import { type GuestDisk } from '../domain/spec.js';
import { virtXmlValidate } from '../domain/virt-xml-validate.testkit.js';
import { UUID } from '../domain/fixtures.testkit.js';

const IQN = 'iqn.2026-12.lab.drover:vms';
const USER = {
  nfsMountBase: '/var/lib/drover/nfs',
  clients: { nfs: 'qemu', iscsi: 'qemu' },
  initiatorIqn: 'iqn.2024-01.dev.drover:node02',
} as const;
const KERNEL = { nfsMountBase: '/var/lib/drover/nfs', clients: { nfs: 'kernel', iscsi: 'kernel' } } as const;

function probe(p: Partial<ClientProbe>): ClientProbe {
  return { filesystems: () => '', modules: () => '', moduleInstalled: () => false, hasProgram: () => false, ...p };
}

test('shared storage - clients: the kernel where it mounts NFS / has an initiator, else QEMU and libvirt in user space', () => {
  // this machine's kind: no nfs in /proc/filesystems, no modules, mount.nfs installed anyway (nfs-common)
  const none = probe({ filesystems: () => 'nodev\tproc\n\text4\n', hasProgram: (n) => n === 'mount.nfs' });
  assert.equal(kernelNfs(none), false);
  assert.equal(kernelIscsi(none), false);
  assert.deepEqual(storageClients({ nfsClient: 'auto', iscsiClient: 'auto' }, none), { nfs: 'qemu', iscsi: 'qemu' });
  // a dom0 with nfs registered and open-iscsi installed
  const full = probe({
    filesystems: () => 'nodev\tnfs\nnodev\tnfs4\n',
    modules: () => 'iscsi_tcp 24576 0 - Live 0x0\n',
    hasProgram: (n) => n === 'mount.nfs' || n === 'iscsiadm',
  });
  assert.deepEqual(storageClients({ nfsClient: 'auto', iscsiClient: 'auto' }, full), { nfs: 'kernel', iscsi: 'kernel' });
  // modules installed but not loaded count; the programs are required
  const mods = probe({ moduleInstalled: (m) => m === 'fs/nfs' || m === 'drivers/scsi/iscsi_tcp.ko.xz', hasProgram: () => true });
  assert.deepEqual(storageClients({ nfsClient: 'auto', iscsiClient: 'auto' }, mods), { nfs: 'kernel', iscsi: 'kernel' });
  assert.equal(kernelNfs(probe({ filesystems: () => 'nodev\tnfs\n' })), false, 'no mount.nfs');
  // configuration wins
  assert.deepEqual(storageClients({ nfsClient: 'qemu', iscsiClient: 'kernel' }, full), { nfs: 'qemu', iscsi: 'kernel' });
  assert.equal(initiatorIqn('', 'node02'), 'iqn.2024-01.dev.drover:node02');
  assert.equal(initiatorIqn('IQN.2001-04.com.example:HV1', 'x'), 'iqn.2001-04.com.example:hv1');
});

test('shared storage - plan: user space gives an NFS network disk and an iscsi-direct volume; the kernel a netfs file and a by-path device', () => {
  const [nfs, lun] = parseStorageList(`nfs://10.77.1.250/vms/sub?size=1G,iscsi://10.77.1.250/${IQN}/2`);
  const u0 = planDisk('g1', 0, nfs!, USER);
  assert.equal(u0.pool, null);
  assert.deepEqual(u0.source, { network: { protocol: 'nfs', server: '10.77.1.250', name: '/vms/sub/g1.qcow2' } });
  const u1 = planDisk('g1', 1, lun!, USER);
  assert.equal(u1.pool?.kind, 'iscsi-direct');
  assert.deepEqual(u1.source, { volume: { pool: u1.pool?.name, volume: 'unit:0:0:2' } });
  // the same pool name on every host (migration finds it), each host its own initiator
  const other = iscsiDirectPool('10.77.1.250:3260', IQN, 'iqn.2024-01.dev.drover:node01');
  assert.equal(other.name, u1.pool?.name);
  assert.match(u1.pool?.xml ?? '', /<host name="10\.77\.1\.250" port="3260"\/>/);
  assert.match(u1.pool?.xml ?? '', /<device path="iqn\.2026-12\.lab\.drover:vms"\/>/);
  assert.match(u1.pool?.xml ?? '', /<iqn name="iqn\.2024-01\.dev\.drover:node02"\/>/);
  const k0 = planDisk('g1', 0, nfs!, KERNEL);
  assert.equal(k0.pool?.kind, 'netfs');
  assert.deepEqual(k0.source, { path: '/var/lib/drover/nfs/10.77.1.250/vms/sub/g1.qcow2' });
  const k1 = planDisk('g1', 1, lun!, KERNEL);
  assert.equal(k1.pool, null);
  assert.deepEqual(k1.source, { device: `/dev/disk/by-path/ip-10.77.1.250:3260-iscsi-${IQN}-lun-2` });
});

test('shared storage - network and volume disks make a domain libvirt accepts, with cache none', async () => {
  const [nfs, lun] = parseStorageList(`nfs://10.77.1.250/vms,iscsi://10.77.1.250/${IQN}/1`);
  await virtXmlValidate(iscsiDirectPool('10.77.1.250:3260', IQN, 'iqn.2024-01.dev.drover:n1').xml, 'storagepool');
  const disks: GuestDisk[] = [nfs!, lun!].map(
    (d, i) => ({ ...guestSource(planDisk('g1', i, d, USER).source), format: d.format, bus: 'ide', cache: 'none' }) as GuestDisk,
  );
  const xml = buildDomainXml({ name: 'g1', uuid: UUID, hypervisor: 'qemu', memoryMiB: 64, vcpus: 1, nics: [], disks, boot: ['disk'] });
  await virtXmlValidate(xml, 'domain');
  assert.match(
    xml,
    /<disk type="network" device="disk">\s*<driver name="qemu" type="qcow2" cache="none"\/>\s*<source protocol="nfs" name="\/vms\/g1\.qcow2">\s*<host name="10\.77\.1\.250"\/>/,
  );
  assert.match(
    xml,
    /<disk type="volume" device="disk">\s*<driver name="qemu" type="raw" cache="none"\/>\s*<source pool="drover-iscsi-[^"]+" volume="unit:0:0:1"\/>/,
  );
});

test('shared storage - kernel initiator: discovery and login, exactly these commands, an existing session is fine', async () => {
  const calls: string[][] = [];
  const d: ResolvedDisk = {
    disk: { url: '', path: '', format: 'raw', sizeBytes: 0, target: '', bus: '', shared: true },
    device: '/nonexistent/by-path/lun-0',
    format: 'raw',
    sizeBytes: 0,
    pool: null,
    volumeName: '',
    storage: `iscsi://10.0.0.5:3260/${IQN}`,
  };
  const exec = (argv: readonly string[]): Promise<string> => {
    calls.push([...argv]);
    // open-iscsi's "session exists" (15) on the login: the host is logged in already
    return argv.includes('--login') ? Promise.reject(Object.assign(new Error('exists'), { code: 15 })) : Promise.resolve('');
  };
  const deps = { host: 'hv1', conn: () => assert.fail('no libvirt call'), qemuImg: 'qemu-img', exec };
  // the device never appears here: refused, naming the host, the storage and the guest
  await assert.rejects(ensureDiskAccess(deps, 'web1', [d], { live: true }), (e: Error) => {
    assert.match(e.message, new RegExp(`^hv1 cannot reach iscsi://10\\.0\\.0\\.5:3260/${IQN.replace(/\./g, '\\.')} for web1's disk 0`));
    assert.match(e.message, /did not appear after the login/);
    return true;
  });
  assert.deepEqual(calls, [
    ['iscsiadm', '-m', 'discovery', '-t', 'sendtargets', '-p', '10.0.0.5:3260'],
    ['iscsiadm', '-m', 'node', '-T', IQN, '-p', '10.0.0.5:3260', '--login'],
  ]);
  // any other failure of the login is the refusal
  const denied = (argv: readonly string[]): Promise<string> =>
    argv.includes('--login')
      ? Promise.reject(
          Object.assign(new Error('x'), {
            code: 24,
            stderr: 'iscsiadm: initiator reported error (24 - iSCSI login failed due to authorization failure)\n',
          }),
        )
      : Promise.resolve('');
  await assert.rejects(ensureDiskAccess({ ...deps, exec: denied }, 'web1', [d], { live: true }), /authorization failure/);
});

test('shared storage - setup-hypervisor steps in user space: an nfs-ls check, and the iscsi-direct pool (defined, autostarted, started by setup)', () => {
  const user = { ...USER, initiatorIqn: 'iqn.2024-01.dev.drover:node01' };
  assert.deepEqual(hostCommandsFor(parseStorageList('nfs://10.77.1.250/vms')[0]!, user), [
    {
      op: 'exec',
      argv: ['nfs-ls', 'nfs://10.77.1.250/vms'],
      purpose: "check nfs://10.77.1.250/vms answers QEMU's NFS client (no kernel NFS client here)",
    },
  ]);
  const steps = hostCommandsFor({ kind: 'iscsi', portal: '10.77.1.250', iqn: IQN }, user);
  // the same pool the agent defines when a guest needs it
  assert.deepEqual(
    steps.map((s) => (s.op === 'pool' ? s.pool : s)),
    [iscsiDirectPool('10.77.1.250:3260', IQN, user.initiatorIqn)],
  );
  // the kernel's path is unchanged: discovery, login, login at boot
  assert.equal(hostCommandsFor({ kind: 'iscsi', portal: '10.77.1.250', iqn: IQN }, KERNEL)[1]?.op, 'exec');
  assert.deepEqual(
    hostCommandsFor({ kind: 'iscsi', portal: '10.77.1.250', iqn: IQN }, KERNEL).map((s) => (s.op === 'exec' ? s.argv[0] : s.op)),
    ['iscsiadm', 'iscsiadm', 'iscsiadm'],
  );
});
