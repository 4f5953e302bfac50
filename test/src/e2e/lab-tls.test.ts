import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, readFileSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import {
  assertCountRises,
  defineCounterGuest,
  domState,
  footprint,
  readBoots,
  readCounts,
  remains,
  sampleCounts,
  startLab,
  virsh,
  waitForCount,
  type LabFootprint,
  type TeardownReport,
} from '../lab';

test('lab - a TLS lab verifies client certificates and migrates a guest over TLS', { timeout: 180_000 }, async () => {
  const lab = await startLab({ hosts: 2, tls: true });
  let fp: LabFootprint | undefined;
  let report: TeardownReport | undefined;
  try {
    const [a, b] = lab.hosts;
    assert.ok(a && b && a.tlsUri && b.tlsUri && a.pkiDir && lab.clientPkiDir);
    assert.match(a.tlsUri, /^qemu\+tls:\/\//);

    // the lab client certificate is accepted ...
    assert.match(await virsh(a, ['hostname'], { uri: a.tlsUri }), /\S/);
    // ... a client with the CA but no certificate of its own is refused
    const bare = join(lab.dir, 'pki-bare');
    mkdirSync(bare);
    copyFileSync(join(lab.clientPkiDir, 'cacert.pem'), join(bare, 'cacert.pem'));
    await assert.rejects(
      virsh(a, ['hostname'], { uri: `qemu+tls://${a.ip}/system?pkipath=${bare}`, timeoutMs: 30_000 }),
      /cert|key|TLS|GnuTLS/i,
    );

    // each host's /etc/pki tree in libvirt's and QEMU's default layout
    for (const f of [
      'CA/cacert.pem',
      'libvirt/servercert.pem',
      'libvirt/private/serverkey.pem',
      'libvirt/clientcert.pem',
      'libvirt/private/clientkey.pem',
      'qemu/ca-cert.pem',
      'qemu/server-cert.pem',
      'qemu/server-key.pem',
      'qemu/client-cert.pem',
      'qemu/client-key.pem',
    ]) {
      assert.match(readFileSync(join(a.pkiDir, f), 'utf8'), /^-----BEGIN (CERTIFICATE|PRIVATE KEY)-----/, f);
    }

    await defineCounterGuest(a, 'tls1');
    await waitForCount(a, 'tls1', 3);
    const before = await sampleCounts(a, 'tls1', 3, 300);
    // peer-to-peer: the source daemon connects to the destination with its own host certificate,
    // and QEMU's migration stream runs over TLS (--tls) with the /etc/pki/qemu certificates
    await virsh(a, [
      'migrate',
      '--live',
      '--p2p',
      '--tls',
      '--unsafe',
      '--persistent',
      '--undefinesource',
      'tls1',
      `qemu+tls://${b.ip}/system`,
    ]);
    assert.equal(await domState(b, 'tls1'), 'running');
    assert.equal(await domState(a, 'tls1'), null);
    const after = await sampleCounts(b, 'tls1', 5, 300);
    assertCountRises([...before, ...after], 'tls1 across the TLS migration');
    assertCountRises(readCounts(b, 'tls1'));
    assert.equal(readBoots(b, 'tls1'), 1);

    // negative control: without QEMU's server certificate on the destination, a --tls migration fails
    const cert = join(a.pkiDir, 'qemu/server-cert.pem');
    renameSync(cert, `${cert}.off`);
    try {
      await assert.rejects(
        virsh(b, [
          'migrate',
          '--live',
          '--p2p',
          '--tls',
          '--unsafe',
          '--persistent',
          '--undefinesource',
          'tls1',
          `qemu+tls://${a.ip}/system`,
        ]),
        /server-cert\.pem|certificate|tls/i,
      );
    } finally {
      renameSync(`${cert}.off`, cert);
    }
    assert.equal(await domState(b, 'tls1'), 'running', 'the failed migration left the guest where it was');
    await virsh(b, [
      'migrate',
      '--live',
      '--p2p',
      '--tls',
      '--unsafe',
      '--persistent',
      '--undefinesource',
      'tls1',
      `qemu+tls://${a.ip}/system`,
    ]);
    assert.equal(await domState(a, 'tls1'), 'running');
    assertCountRises(readCounts(a, 'tls1'), 'tls1 after migrating back');
    assert.equal(readBoots(a, 'tls1'), 1);
    fp = await footprint(lab);
  } finally {
    report = await lab.stop();
  }
  assert.deepEqual(report.leftovers, []);
  assert.ok(fp);
  assert.deepEqual(await remains(fp), []);
});
