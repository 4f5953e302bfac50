/**
 * site.migrationtls on a TLS lab (libvirt over TLS, QEMU's migration certificates in /etc/pki/qemu):
 * drover's migrations use libvirt's TLS transport when the site says so, and not otherwise. The
 * witness is a destination whose QEMU server certificate is taken away: a TLS migration to it
 * fails (QEMU cannot set up its TLS listener), a migration in clear does not care.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { renameSync } from 'node:fs';
import { join } from 'node:path';
import { assertCountRises, readBoots, readCounts, sampleCounts, startLab, virsh } from '../lab/index.js';
import { startLabCluster } from '../support/labcluster.js';
import type { TestCluster } from '../support/cluster.js';
import { addCounterGuests, declareSharedStorage, whereRunning } from '../support/labguests.js';

test(
  'rmigrate - site.migrationtls=1 moves the guest over TLS (refused by a destination without its QEMU certificate); 0 moves it in clear',
  { timeout: 300_000 },
  async () => {
    const lab = await startLab({ hosts: 2, tls: true });
    let c: TestCluster | undefined;
    try {
      const [n1, n2] = lab.hosts as [(typeof lab.hosts)[number], (typeof lab.hosts)[number]];
      const ipOf = new Map(lab.hosts.map((h) => [h.name, h.ip]));
      // The agents announce libvirt's TLS listener, as on hosts set up by drover-agent setup-hypervisor.
      c = await startLabCluster(lab, { agentEnv: (host) => ({ DROVER_AGENT_MIGRATION_URI: `qemu+tls://${ipOf.get(host)}/system` }) });
      const cl = c;
      await cl.waitHostsUp(2);
      await declareSharedStorage(cl, lab);
      await addCounterGuests(cl, lab, ['tl1'], n1.name);
      const vmHost = async (): Promise<string> => (await cl.cli(['nodels', 'tl1', 'vm.host'])).stdout.trim().split(': ').pop() ?? '';
      /** Runs `fn` with `host`'s QEMU server certificate out of the way. */
      const withoutQemuCert = async <T>(host: typeof n1, fn: () => Promise<T>): Promise<T> => {
        const cert = join(host.pkiDir!, 'qemu/server-cert.pem');
        renameSync(cert, `${cert}.off`);
        try {
          return await fn();
        } finally {
          renameSync(`${cert}.off`, cert);
        }
      };
      const site = async (v: 0 | 1): Promise<void> => {
        const r = await cl.cli(['chtab', 'key=migrationtls', `site.value=${v}`]);
        assert.equal(r.code, 0, r.stderr);
      };

      await site(1);
      const refused = await withoutQemuCert(n2, () => cl.cli(['rmigrate', 'tl1', n2.name]));
      assert.equal(refused.code, 1, `${refused.stdout}\n${refused.stderr}`);
      assert.match(refused.stdout, /tl1: failed node01 -> node02/);
      assert.deepEqual(await whereRunning(lab, 'tl1', virsh), [n1.name], 'the refused move left the guest on node01');
      assert.equal(await vmHost(), n1.name);

      const tls = await cl.cli(['rmigrate', 'tl1', n2.name]);
      assert.equal(tls.code, 0, `${tls.stdout}\n${tls.stderr}`);
      assert.deepEqual(await whereRunning(lab, 'tl1', virsh), [n2.name]);

      await site(0);
      const clear = await withoutQemuCert(n1, () => cl.cli(['rmigrate', 'tl1', n1.name]));
      assert.equal(clear.code, 0, `migration in clear needs no QEMU certificate: ${clear.stdout}\n${clear.stderr}`);
      assert.deepEqual(await whereRunning(lab, 'tl1', virsh), [n1.name]);
      assert.equal(await vmHost(), n1.name);

      await sampleCounts(lab, 'tl1', 3, 300);
      assertCountRises(readCounts(lab, 'tl1'), 'tl1 across the moves');
      assert.equal(readBoots(lab, 'tl1'), 1);
    } finally {
      await c?.stop();
      await lab.stop();
    }
  },
);
