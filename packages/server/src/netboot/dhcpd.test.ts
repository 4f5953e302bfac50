import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  dhcpdAddHosts,
  dhcpdCheckArgv,
  dhcpdListHosts,
  dhcpdRemoveHosts,
  dhcpdSetNetworks,
  renderDhcpdHost,
  renderDhcpdNetworks,
} from './dhcpd.js';
import { ManagedBlockError, NetbootConflictError, NetbootInputError } from './errors.js';
import { readManagedBlock } from './managed-block.js';
import { NETWORKS, NODES, SITE, runChecker, tempDir } from './test-fixtures.js';

const HAND_WRITTEN_HEAD = '# site-local settings, written by hand\r\noption space foo;\nlog-facility local7;\n\n';
const HAND_WRITTEN_TAIL =
  '\n# a host the admin manages\nhost printer { hardware ethernet 52:54:00:99:99:99; fixed-address 10.10.10.99; }\n';

function fullConf(): string {
  let text = HAND_WRITTEN_HEAD;
  text = dhcpdSetNetworks(text, NETWORKS, SITE, 'dhcpd.conf');
  text += HAND_WRITTEN_TAIL;
  return dhcpdAddHosts(text, NODES, NETWORKS, SITE, 'dhcpd.conf');
}

test('dhcpd - makedhcp -n writes global options and one subnet per network', () => {
  const body = renderDhcpdNetworks(NETWORKS, SITE);
  assert.match(
    body,
    /^authoritative;\nddns-update-style none;\ndefault-lease-time 43200;\nmax-lease-time 43200;\noption domain-name "cluster.example";\n/,
  );
  assert.ok(
    body.includes(
      [
        'subnet 10.10.10.0 netmask 255.255.255.0 {',
        '  option routers 10.10.10.254;',
        '  option domain-name "cluster.example";',
        '  option domain-name-servers 10.10.10.1, 10.10.10.2;',
        '  next-server 10.10.10.1;',
        '  range 10.10.10.100 10.10.10.200;',
        '}',
      ].join('\n'),
    ),
  );
  assert.ok(
    body.includes(
      [
        'subnet 172.16.0.0 netmask 255.255.0.0 {',
        '  option domain-name "storage.example";',
        '  option domain-name-servers 10.10.10.1;',
        '  next-server 172.16.0.1;',
        '}',
      ].join('\n'),
    ),
  );
});

test('dhcpd - an iPXE node chain-loads iPXE and then gets its script URL', () => {
  const host = renderDhcpdHost(NODES[0]!, NETWORKS, SITE);
  assert.equal(
    host,
    [
      'host node10 {',
      '  hardware ethernet 52:54:00:00:00:10;',
      '  fixed-address 10.10.10.20;',
      '  option host-name "node10";',
      '  next-server 10.10.10.1;',
      '  if exists user-class and option user-class = "iPXE" {',
      '    filename "http://10.10.10.1:8080/tftpboot/ipxe/node10.ipxe";',
      '  } elsif substring (option vendor-class-identifier, 0, 20) = "PXEClient:Arch:00007" or substring (option vendor-class-identifier, 0, 20) = "PXEClient:Arch:00009" {',
      '    filename "ipxe.efi";',
      '  } else {',
      '    filename "undionly.kpxe";',
      '  }',
      '}',
      '',
    ].join('\n'),
  );
  const pxe = renderDhcpdHost(NODES[1]!, NETWORKS, SITE);
  assert.match(pxe, /^  filename "lpxelinux\.0";$/m);
  assert.doesNotMatch(pxe, /iPXE/);
  // a node on another network boots from that network's TFTP server
  assert.match(renderDhcpdHost(NODES[3]!, NETWORKS, SITE), /^  next-server 172\.16\.0\.1;$/m);
});

test('dhcpd - host declarations are kept in natural node order', () => {
  assert.deepEqual(dhcpdListHosts(fullConf()), ['node1', 'node2', 'node10', 'stor1']);
});

test('dhcpd - adding the same nodes again changes nothing', () => {
  const once = fullConf();
  assert.equal(dhcpdAddHosts(once, NODES, NETWORKS, SITE), once);
  assert.equal(dhcpdSetNetworks(once, NETWORKS, SITE), once);
});

test('dhcpd - re-adding a node replaces only its own declaration', () => {
  const before = fullConf();
  const after = dhcpdAddHosts(before, [{ node: 'node2', mac: '52:54:00:00:00:22', ip: '10.10.10.22' }], NETWORKS, SITE);
  const span = (text: string): [string, string, string] => {
    const start = text.indexOf('host node2 {');
    const end = text.indexOf('\n}\n', start) + 3;
    return [text.slice(0, start), text.slice(start, end), text.slice(end)];
  };
  const [b0, b1, b2] = span(before);
  const [a0, a1, a2] = span(after);
  assert.equal(a0, b0);
  assert.equal(a2, b2);
  assert.notEqual(a1, b1);
  assert.match(a1, /^host node2 \{\n  hardware ethernet 52:54:00:00:00:22;\n  fixed-address 10\.10\.10\.22;\n/);
  assert.doesNotMatch(after, /52:54:00:00:00:02/);
  assert.deepEqual(dhcpdListHosts(after), ['node1', 'node2', 'node10', 'stor1']);
});

test('dhcpd - makedhcp -d removes the named nodes and ignores absent ones', () => {
  const after = dhcpdRemoveHosts(fullConf(), ['node2', 'stor1', 'ghost']);
  assert.deepEqual(dhcpdListHosts(after), ['node1', 'node10']);
  assert.doesNotMatch(after, /node2|stor1/);
  const empty = dhcpdRemoveHosts(after, ['node1', 'node10']);
  assert.equal(readManagedBlock(empty, 'hosts'), '');
  assert.equal(dhcpdRemoveHosts(empty, ['node1']), empty);
  assert.equal(dhcpdRemoveHosts(HAND_WRITTEN_HEAD, ['node1']), HAND_WRITTEN_HEAD, 'a file without the block is left alone');
});

test("dhcpd - the admin's own lines around the blocks stay byte-identical", () => {
  const text = fullConf();
  assert.ok(text.startsWith(HAND_WRITTEN_HEAD));
  const afterNetworks = text.indexOf('# END drover managed networks\n') + '# END drover managed networks\n'.length;
  assert.equal(text.slice(afterNetworks, afterNetworks + HAND_WRITTEN_TAIL.length), HAND_WRITTEN_TAIL);
  const changed = dhcpdRemoveHosts(dhcpdAddHosts(text, [{ node: 'node99', mac: '52:54:00:00:00:99', ip: '10.10.10.99' }], NETWORKS, SITE), [
    'node1',
  ]);
  assert.ok(changed.startsWith(HAND_WRITTEN_HEAD));
  assert.equal(changed.slice(afterNetworks, afterNetworks + HAND_WRITTEN_TAIL.length), HAND_WRITTEN_TAIL);
});

test('dhcpd - bad node input names the node, the field and the accepted form', () => {
  const add = (n: object): string =>
    dhcpdAddHosts('', [{ node: 'node7', mac: '52:54:00:00:00:07', ip: '10.10.10.17', ...n }], NETWORKS, SITE);
  assert.throws(
    () => add({ mac: '52:54:00:00:07' }),
    (e: unknown) => e instanceof NetbootInputError && e.subject === 'node7' && e.field === 'mac.mac' && /52:54:00:12:34:56/.test(e.message),
  );
  assert.throws(
    () => add({ mac: undefined }),
    /node7: mac\.mac '' is not valid; expected a MAC address like 52:54:00:12:34:56; a DHCP host entry needs one/,
  );
  assert.throws(() => add({ ip: '10.10.10.300' }), /node7: hosts\.ip '10\.10\.10\.300' is not valid; expected a dotted IPv4 address/);
  assert.throws(
    () => add({ ip: '192.168.0.7' }),
    /node7: hosts\.ip '192\.168\.0\.7' is not valid; expected an address inside one of the networks table's networks \(mgmt 10\.10\.10\.0\/24, storage 172\.16\.0\.0\/16\)/,
  );
  assert.throws(() => add({ node: 'node_7' }), /node_7: nodelist\.node 'node_7' is not valid; expected a DNS label/);
  assert.throws(() => add({ netboot: 'grub2' }), /node7: noderes\.netboot 'grub2' is not valid; expected one of ipxe, pxe/);
});

test('dhcpd - two nodes with the same MAC or IP are refused', () => {
  const base = fullConf();
  assert.throws(
    () => dhcpdAddHosts(base, [{ node: 'node3', mac: '52:54:00:00:00:10', ip: '10.10.10.13' }], NETWORKS, SITE, 'dhcpd.conf'),
    (e: unknown) => {
      assert.ok(e instanceof NetbootConflictError);
      assert.deepEqual([e.field, e.value, e.nodes], ['mac', '52:54:00:00:00:10', ['node3', 'node10']]);
      assert.match(e.message, /in dhcpd\.conf$/);
      return true;
    },
  );
  assert.throws(
    () => dhcpdAddHosts(base, [{ node: 'node3', mac: '52:54:00:00:00:03', ip: '10.10.10.11' }], NETWORKS, SITE),
    /ip 10\.10\.10\.11 is claimed by both node1 and node3/,
  );
  // moving a MAC from one node to another in one call is fine when the old owner is replaced too
  const moved = dhcpdAddHosts(
    base,
    [
      { node: 'node1', mac: '52:54:00:00:00:31', ip: '10.10.10.11' },
      { node: 'node3', mac: '52:54:00:00:00:01', ip: '10.10.10.13' },
    ],
    NETWORKS,
    SITE,
  );
  assert.deepEqual(dhcpdListHosts(moved), ['node1', 'node2', 'node3', 'node10', 'stor1']);
});

test('dhcpd - hand edits inside the hosts block and broken markers stop the update', () => {
  const edited = fullConf()
    .replace('host node2 {', 'option ntp-servers 10.10.10.1;\nhost node2 {')
    .replace('host node1 {', '# my note\nhost node1 {');
  assert.throws(
    () => dhcpdRemoveHosts(edited, ['node1'], '/etc/dhcp/dhcpd.conf'),
    (e: unknown) => {
      assert.ok(e instanceof ManagedBlockError);
      assert.match(e.message, /^\/etc\/dhcp\/dhcpd\.conf:\d+: line inside drover block 'hosts' is not part of a host declaration/);
      assert.equal(edited.split('\n')[e.line - 1], '# my note');
      return true;
    },
  );
  const broken = fullConf().replace('# END drover managed hosts\n', '');
  assert.throws(
    () => dhcpdAddHosts(broken, NODES, NETWORKS, SITE, '/etc/dhcp/dhcpd.conf'),
    /^ManagedBlockError: \/etc\/dhcp\/dhcpd\.conf:\d+: drover block 'hosts' has no END marker/,
  );
});

test('dhcpd - dhcpd -t accepts the generated file', async (t) => {
  const dir = tempDir(t);
  const file = join(dir, 'dhcpd.conf');
  writeFileSync(file, fullConf());
  const res = await runChecker(dhcpdCheckArgv(file));
  assert.equal(res.code, 0, `dhcpd -t rejected the generated file:\n${res.output}`);
  // and after removing every host and every network the file is still valid
  writeFileSync(file, dhcpdSetNetworks(dhcpdRemoveHosts(fullConf(), ['node1', 'node2', 'node10', 'stor1']), [], SITE));
  const empty = await runChecker(dhcpdCheckArgv(file));
  assert.equal(empty.code, 0, `dhcpd -t rejected the emptied file:\n${empty.output}`);
});

test('dhcpd - dhcpd -t catches a deliberately broken file', async (t) => {
  const dir = tempDir(t);
  for (const [what, broken] of [
    ['missing semicolon', fullConf().replace('  fixed-address 10.10.10.20;', '  fixed-address 10.10.10.20')],
    ['unclosed brace', fullConf().replace('# END drover managed hosts\n', '# END drover managed hosts\nhost x {\n')],
    ['bad address', fullConf().replace('fixed-address 10.10.10.12;', 'fixed-address 10.10.10.;')],
  ] as const) {
    const file = join(dir, `broken-${what.replace(/ /g, '-')}.conf`);
    writeFileSync(file, broken);
    const res = await runChecker(dhcpdCheckArgv(file));
    assert.notEqual(res.code, 0, `dhcpd -t accepted a file with a ${what}`);
    assert.match(res.output, /line \d+/);
  }
});
