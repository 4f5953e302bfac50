import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  dnsmasqAddHosts,
  dnsmasqCheckArgv,
  dnsmasqListHosts,
  dnsmasqRemoveHosts,
  dnsmasqSetNetworks,
  renderDnsmasqHost,
  renderDnsmasqNetworks,
} from './dnsmasq.js';
import { ManagedBlockError, NetbootConflictError } from './errors.js';
import { NETWORKS, NODES, SITE, runChecker, tempDir } from './test-fixtures.js';

const HEAD = '# local additions\nlog-dhcp\n';

function fullConf(): string {
  return dnsmasqAddHosts(dnsmasqSetNetworks(HEAD, NETWORKS, SITE), NODES, NETWORKS, SITE);
}

test('dnsmasq - networks block enables TFTP, the iPXE/UEFI tags and one range per network', () => {
  const body = renderDnsmasqNetworks(NETWORKS, SITE);
  for (const line of [
    'enable-tftp',
    'tftp-root=/tftpboot',
    'dhcp-userclass=set:ipxe,iPXE',
    'dhcp-match=set:efi64,option:client-arch,7',
    'dhcp-range=set:mgmt,10.10.10.100,10.10.10.200,255.255.255.0,43200',
    'dhcp-option=tag:mgmt,option:router,10.10.10.254',
    'dhcp-option=tag:mgmt,option:dns-server,10.10.10.1,10.10.10.2',
    'dhcp-range=set:storage,172.16.0.0,static,255.255.0.0,43200',
    'dhcp-option=tag:storage,option:domain-name,storage.example',
  ])
    assert.ok(body.split('\n').includes(line), `missing line ${line}`);
});

test('dnsmasq - a node gets dhcp-host with its tag and mutually exclusive boot lines', () => {
  assert.equal(
    renderDnsmasqHost(NODES[0]!, NETWORKS, SITE),
    [
      '# node node10',
      'dhcp-host=52:54:00:00:00:10,set:drover-node10,10.10.10.20,node10',
      'dhcp-boot=tag:drover-node10,tag:ipxe,http://10.10.10.1:8080/tftpboot/ipxe/node10.ipxe',
      'dhcp-boot=tag:drover-node10,tag:!ipxe,tag:efi64,ipxe.efi,,10.10.10.1',
      'dhcp-boot=tag:drover-node10,tag:!ipxe,tag:!efi64,undionly.kpxe,,10.10.10.1',
      '',
    ].join('\n'),
  );
  assert.equal(
    renderDnsmasqHost(NODES[1]!, NETWORKS, SITE),
    [
      '# node node2',
      'dhcp-host=52:54:00:00:00:02,set:drover-node2,10.10.10.12,node2',
      'dhcp-boot=tag:drover-node2,lpxelinux.0,,10.10.10.1',
      '',
    ].join('\n'),
  );
});

test('dnsmasq - add, replace and remove nodes, in natural order, idempotently', () => {
  const text = fullConf();
  assert.deepEqual(dnsmasqListHosts(text), ['node1', 'node2', 'node10', 'stor1']);
  assert.equal(dnsmasqAddHosts(text, NODES, NETWORKS, SITE), text);
  const replaced = dnsmasqAddHosts(text, [{ node: 'node10', mac: '52:54:00:00:00:aa', ip: '10.10.10.30' }], NETWORKS, SITE);
  assert.match(replaced, /^dhcp-host=52:54:00:00:00:aa,set:drover-node10,10\.10\.10\.30,node10$/m);
  assert.doesNotMatch(replaced, /52:54:00:00:00:10/);
  assert.equal(
    replaced.replace(/52:54:00:00:00:aa,set:drover-node10,10\.10\.10\.30/, '52:54:00:00:00:10,set:drover-node10,10.10.10.20'),
    text,
  );
  const removed = dnsmasqRemoveHosts(text, ['node1', 'stor1']);
  assert.deepEqual(dnsmasqListHosts(removed), ['node2', 'node10']);
  assert.doesNotMatch(removed, /drover-node1,|drover-stor1/);
  assert.ok(removed.startsWith(HEAD));
  assert.equal(dnsmasqRemoveHosts(removed, ['node1']), removed);
  assert.equal(dnsmasqRemoveHosts(HEAD, ['node1']), HEAD, 'a file without the block is left alone');
});

test('dnsmasq - conflicting MACs and hand edits inside the block are refused', () => {
  const text = fullConf();
  assert.throws(
    () => dnsmasqAddHosts(text, [{ node: 'node5', mac: '52:54:00:00:00:02', ip: '10.10.10.15' }], NETWORKS, SITE),
    NetbootConflictError,
  );
  const edited = text
    .replace('# node node2\n', 'dhcp-host=52:54:00:00:00:77,10.10.10.77\n# node node2\n')
    .replace(/^# node node1\n/m, 'dhcp-option=3\n# node node1\n');
  assert.throws(
    () => dnsmasqRemoveHosts(edited, ['node2'], 'drover.conf'),
    (e: unknown) => e instanceof ManagedBlockError && e.file === 'drover.conf' && edited.split('\n')[e.line - 1] === 'dhcp-option=3',
  );
});

test('dnsmasq - dnsmasq --test accepts the generated file', async (t) => {
  const file = join(tempDir(t), 'drover.conf');
  writeFileSync(file, fullConf());
  const res = await runChecker(dnsmasqCheckArgv(file));
  assert.equal(res.code, 0, `dnsmasq --test rejected the generated file:\n${res.output}`);
  assert.match(res.output, /syntax check OK/);
});

test('dnsmasq - dnsmasq --test catches a deliberately broken file', async (t) => {
  const dir = tempDir(t);
  for (const [what, broken] of [
    ['bad range address', fullConf().replace('dhcp-range=set:mgmt,10.10.10.100,', 'dhcp-range=set:mgmt,10.10.10.1000,')],
    ['unknown option', fullConf().replace('enable-tftp\n', 'enable-tftpx\n')],
    ['bad match', fullConf().replace('dhcp-match=set:efi64,option:client-arch,7', 'dhcp-match=set:efi64,option:no-such-option,7')],
  ] as const) {
    const file = join(dir, `broken-${what.replace(/ /g, '-')}.conf`);
    writeFileSync(file, broken);
    const res = await runChecker(dnsmasqCheckArgv(file));
    assert.notEqual(res.code, 0, `dnsmasq --test accepted a file with a ${what}`);
    assert.match(res.output, /line \d+/);
  }
});
