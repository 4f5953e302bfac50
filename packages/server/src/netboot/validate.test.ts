import { test } from 'node:test';
import assert from 'node:assert/strict';
import { NetbootInputError } from './errors.js';
import {
  checkHostname,
  checkLabel,
  checkNetwork,
  checkSite,
  naturalCompare,
  networkOf,
  normalizeMac,
  parseIPv4,
  formatIPv4,
} from './validate.js';

const site = { master: '10.10.10.1', domain: 'cluster.example' };

function inputError(field: string, subject?: string, accepted?: RegExp) {
  return (e: unknown): boolean => {
    assert.ok(e instanceof NetbootInputError, `expected NetbootInputError, got ${String(e)}`);
    assert.equal(e.field, field);
    if (subject !== undefined) assert.equal(e.subject, subject);
    if (accepted) assert.match(e.accepted, accepted);
    assert.ok(e.message.includes(field));
    return true;
  };
}

test('validate - MACs are normalised to lowercase colon form', () => {
  assert.equal(normalizeMac('52:54:00:AA:bb:0C'), '52:54:00:aa:bb:0c');
  assert.equal(normalizeMac('52-54-00-aa-bb-0c'), '52:54:00:aa:bb:0c');
});

test('validate - malformed, multicast and zero MACs name the node, the field and the form', () => {
  for (const bad of [
    '52:54:00:aa:bb',
    '52:54:00:aa:bb:0g',
    '52:54-00:aa:bb:0c',
    '525400aabb0c',
    '',
    ' ',
    '01:00:5e:00:00:01',
    '00:00:00:00:00:00',
  ]) {
    assert.throws(() => normalizeMac(bad, 'node01'), inputError('mac.mac', 'node01', /52:54:00:12:34:56/));
  }
  assert.throws(() => normalizeMac(undefined, 'node01'), /node01: mac\.mac undefined is not valid/);
});

test('validate - IPv4 addresses parse strictly', () => {
  assert.equal(parseIPv4('10.10.10.11'), 0x0a0a0a0b);
  assert.equal(formatIPv4(parseIPv4('255.255.255.255')), '255.255.255.255');
  for (const bad of ['10.10.10', '10.10.10.256', '10.010.10.1', '10.10.10.1.', 'a.b.c.d', '10.10.10.-1', ' 1.2.3 .4']) {
    assert.throws(() => parseIPv4(bad, 'node01', 'hosts.ip'), inputError('hosts.ip', 'node01', /dotted IPv4/));
  }
});

test('validate - node names are DNS labels and aliases DNS names', () => {
  assert.equal(checkLabel('node-01', undefined, 'nodelist.node'), 'node-01');
  for (const bad of ['-node', 'node-', 'no_de', 'node.one', '', 'a'.repeat(64)]) {
    assert.throws(() => checkLabel(bad, bad, 'nodelist.node'), inputError('nodelist.node', bad, /DNS label/));
  }
  assert.equal(checkHostname('n1.rack2.example', 'node01', 'hosts.hostnames'), 'n1.rack2.example');
  for (const bad of ['a..b', '.a', 'a.', 'a b', `${'a'.repeat(63)}.${'b'.repeat(63)}.${'c'.repeat(63)}.${'d'.repeat(63)}`]) {
    assert.throws(() => checkHostname(bad, 'node01', 'hosts.hostnames'), inputError('hosts.hostnames', 'node01'));
  }
});

test('validate - networks are checked against themselves', () => {
  const ok = checkNetwork(
    {
      name: 'mgmt',
      net: '10.10.10.0',
      mask: '255.255.255.0',
      gateway: '10.10.10.254',
      dhcpRange: '10.10.10.100 - 10.10.10.200',
      nameservers: '10.10.10.1, 10.10.10.2',
    },
    site,
  );
  assert.equal(ok.prefix, 24);
  assert.deepEqual(ok.range, { first: '10.10.10.100', last: '10.10.10.200' });
  assert.deepEqual(ok.nameservers, ['10.10.10.1', '10.10.10.2']);
  assert.equal(ok.nextServer, '10.10.10.1');
  assert.equal(ok.domain, 'cluster.example');
  const base = { name: 'mgmt', net: '10.10.10.0', mask: '255.255.255.0' };
  assert.throws(() => checkNetwork({ ...base, net: '10.10.10.5' }, site), inputError('networks.net', 'network mgmt', /10\.10\.10\.0/));
  assert.throws(() => checkNetwork({ ...base, mask: '255.0.255.0' }, site), inputError('networks.mask', 'network mgmt', /contiguous/));
  assert.throws(
    () => checkNetwork({ ...base, gateway: '10.10.11.1' }, site),
    inputError('networks.gateway', 'network mgmt', /inside 10\.10\.10\.0\/255\.255\.255\.0/),
  );
  assert.throws(
    () => checkNetwork({ ...base, dhcpRange: '10.10.10.100-10.10.11.5' }, site),
    inputError('networks.dynamicrange', 'network mgmt'),
  );
  assert.throws(
    () => checkNetwork({ ...base, dhcpRange: '10.10.10.200-10.10.10.100' }, site),
    inputError('networks.dynamicrange', 'network mgmt', /not above/),
  );
  assert.throws(() => checkNetwork({ ...base, name: 'my net' }, site), inputError('networks.netname'));
  assert.equal(checkNetwork({ ...base, tftpServer: '10.10.10.9' }, site).nextServer, '10.10.10.9');
  assert.equal(checkNetwork({ ...base, tftpServer: '10.10.10.9', nextServer: '10.10.10.8' }, site).nextServer, '10.10.10.8');
});

test('validate - a node IP must fall inside a network, the most specific one wins', () => {
  const wide = checkNetwork({ name: 'wide', net: '10.0.0.0', mask: '255.0.0.0' }, site);
  const narrow = checkNetwork({ name: 'narrow', net: '10.10.0.0', mask: '255.255.0.0' }, site);
  assert.equal(networkOf('10.10.1.1', [wide, narrow], 'n1').name, 'narrow');
  assert.equal(networkOf('10.9.1.1', [wide, narrow], 'n1').name, 'wide');
  assert.throws(
    () => networkOf('192.168.1.1', [wide, narrow], 'n1'),
    inputError('hosts.ip', 'n1', /wide 10\.0\.0\.0\/8, narrow 10\.10\.0\.0\/16/),
  );
});

test('validate - site values get defaults and are checked', () => {
  const s = checkSite({ master: '10.0.0.1' });
  assert.deepEqual(
    { ...s },
    { master: '10.0.0.1', domain: undefined, httpPort: 80, installDir: '/install', tftpDir: '/tftpboot', leaseSeconds: 43200 },
  );
  assert.equal(checkSite({ master: '10.0.0.1', installDir: '/srv/install/' }).installDir, '/srv/install');
  assert.throws(() => checkSite({ master: 'headnode' }), inputError('site.master', 'site'));
  assert.throws(() => checkSite({ master: '10.0.0.1', httpPort: 70000 }), inputError('site.httpport', 'site'));
  assert.throws(() => checkSite({ master: '10.0.0.1', installDir: '/install/../etc' }), inputError('site.installdir', 'site'));
  assert.throws(() => checkSite({ master: '10.0.0.1', tftpDir: 'tftpboot' }), inputError('site.tftpdir', 'site'));
});

test('validate - natural order puts node2 before node10', () => {
  const names = ['node10', 'node2', 'node1', 'gpu03', 'node02', 'node', 'gpu1', 'rack1-n10', 'rack1-n9'];
  assert.deepEqual([...names].sort(naturalCompare), [
    'gpu1',
    'gpu03',
    'node',
    'node1',
    'node2',
    'node02',
    'node10',
    'rack1-n9',
    'rack1-n10',
  ]);
});
