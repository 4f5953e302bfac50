// `drover-agent setup-hypervisor` as a real process, with every file under --root: dry run shows
// and changes nothing, a real run changes the files, a second run changes nothing.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { BIN, run, tempDir, cleanupDir } from '../support/procs.js';

let dir: string;
let root: string;
let config: string;

const QEMU_CONF = '# qemu.conf\n#migration_address = "0.0.0.0"\nuser = "root"\n';
const LIBVIRTD_CONF = '# libvirtd.conf\n#listen_tls = 0\n#listen_tcp = 1\n';

function snapshot(d: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (p: string): void => {
    for (const n of readdirSync(p)) {
      const f = join(p, n);
      if (statSync(f).isDirectory()) {
        out[`${f}/`] = '';
        walk(f);
      } else out[f] = readFileSync(f, 'utf8');
    }
  };
  walk(d);
  return out;
}

before(() => {
  dir = tempDir('drover-setup-');
  root = join(dir, 'root');
  mkdirSync(join(root, 'etc/libvirt'), { recursive: true });
  writeFileSync(join(root, 'etc/libvirt/qemu.conf'), QEMU_CONF);
  writeFileSync(join(root, 'etc/libvirt/libvirtd.conf'), LIBVIRTD_CONF);
  writeFileSync(join(root, 'etc/fstab'), '# /etc/fstab\nUUID=abc / ext4 defaults 0 1\n');
  config = join(dir, 'agent.yaml');
  writeFileSync(
    config,
    stringify({
      host: 'node01',
      tls: { ca: 'ca.pem', cert: 'agent.pem', key: 'agent-key.pem' },
      nats: { url: 'nats://127.0.0.1:4222', seedFile: 'nats.seed' },
      setup: {
        storage: 'nfs://filer1/export/vms',
        iscsi: [{ portal: '10.0.0.5', iqn: 'iqn.2004-01.com.example:storage.lun1' }],
        relocation: { hypervisor: 'kvm', ip: '10.77.0.1', peers: [{ name: 'node02', addresses: ['10.77.0.2'] }], tls: true },
      },
    }),
  );
});
after(() => {
  if (dir) cleanupDir(dir);
});

const setup = (...args: string[]) => run(process.execPath, [BIN.agent, '--config', config, 'setup-hypervisor', '--root', root, ...args]);

test('setup-hypervisor - dry run prints every diff and command and changes nothing', async () => {
  const before = snapshot(root);
  const r = await setup('--dry-run');
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(snapshot(root), before);
  assert.match(r.stdout, /would create directory \/var\/lib\/drover\/nfs\/filer1\/export\/vms/);
  assert.match(r.stdout, /\+filer1:\/export\/vms \/var\/lib\/drover\/nfs\/filer1\/export\/vms nfs defaults,_netdev 0 0/);
  assert.match(r.stdout, /would run: iscsiadm -m discovery -t sendtargets -p 10\.0\.0\.5:3260/);
  assert.match(r.stdout, /would run: iscsiadm -m node -T iqn\.2004-01\.com\.example:storage\.lun1 -p 10\.0\.0\.5:3260 --login/);
  assert.match(r.stdout, /\+migration_address = "10\.77\.0\.1"/);
  assert.match(r.stdout, /\+listen_tls = 1/);
  assert.match(r.stdout, /\+listen_tcp = 0/, 'never TCP without authentication');
  assert.match(r.stdout, /\+ExecStart=/);
  assert.match(r.stdout, /dry run: nothing was changed/);
});

test('setup-hypervisor - a run changes the files under the root; commands are shown, not run', async () => {
  const r = await setup();
  assert.equal(r.code, 0, r.stderr);
  assert.ok(existsSync(join(root, 'var/lib/drover/nfs/filer1/export/vms')));
  assert.match(readFileSync(join(root, 'etc/fstab'), 'utf8'), /^UUID=abc \/ ext4 defaults 0 1\nfiler1:\/export\/vms /m);
  assert.match(readFileSync(join(root, 'etc/libvirt/qemu.conf'), 'utf8'), /^migration_host = "10\.77\.0\.1"$/m);
  assert.match(readFileSync(join(root, 'etc/libvirt/libvirtd.conf'), 'utf8'), /^tls_allowed_dn_list = \[.*"CN=node02".*\]$/m);
  assert.equal(readFileSync(join(root, 'etc/libvirt/qemu.conf.drover-bak'), 'utf8'), QEMU_CONF);
  const unit = readFileSync(join(root, 'etc/systemd/system/drover-agent.service'), 'utf8');
  assert.match(unit, /^ExecStart=\/usr\/bin\/drover-agent --config \/etc\/drover\/agent\.yaml run$/m);
  assert.match(unit, /^Environment=NODE_OPTIONS=--max-semi-space-size=2$/m);
  assert.match(
    r.stdout,
    /not run under --root .*: iscsiadm -m node -T iqn\.2004-01\.com\.example:storage\.lun1 -p 10\.0\.0\.5:3260 --login/,
  );
  assert.match(r.stdout, /not run under --root .*: mount \/var\/lib\/drover\/nfs\/filer1\/export\/vms/);
  assert.match(r.stdout, /\d+ change\(s\) made/);
});

test('setup-hypervisor - running twice changes nothing the second time', async () => {
  const before = snapshot(root);
  const r = await setup();
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(snapshot(root), before);
  assert.match(r.stdout, /no changes: this host is set up/);
  assert.doesNotMatch(r.stdout, /^[+-][^+-]/m, 'no diff printed');
});

test('setup-hypervisor - a bad relocation setting is refused before anything changes', async () => {
  const bad = join(dir, 'bad.yaml');
  writeFileSync(bad, readFileSync(config, 'utf8').replace('ip: 10.77.0.1', 'ip: not-an-ip'));
  const before = snapshot(root);
  const r = await run(process.execPath, [BIN.agent, '--config', bad, 'setup-hypervisor', '--root', root]);
  assert.notEqual(r.code, 0);
  assert.match(r.stderr, /not-an-ip/);
  assert.deepEqual(snapshot(root), before);
});
