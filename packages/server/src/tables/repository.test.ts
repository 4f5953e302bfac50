import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SqliteStores } from '../db/sqlite/stores.js';
import { NoderangeError } from '../noderange/index.js';
import { Tables, tableNames } from './repository.js';
import { TablesError } from './errors.js';

function fresh(): Tables {
  return new Tables(SqliteStores.open(':memory:'));
}

async function refused(fn: () => Promise<unknown>, check: (e: TablesError) => void): Promise<void> {
  await assert.rejects(fn, (e: unknown) => {
    assert.ok(e instanceof TablesError, `expected TablesError, got ${String(e)}`);
    check(e);
    return true;
  });
}

async function dumpAll(t: Tables): Promise<string> {
  return JSON.stringify(await Promise.all(tableNames().map((n) => t.dump(n))));
}

test('tables - nodeadd creates nodes, groups default to all, short names land in their columns', async () => {
  const t = fresh();
  await t.addNodes(['vm1', 'vm2'], { vmhost: 'hv01', 'vm.memory': '2G', mgt: 'kvm' });
  await t.addNodes(['vm3'], { groups: 'web,rack1', 'vm.cpus': '04', ip: '10.0.0.3', mac: '02-AA-BB-CC-DD-03' });
  const a = await t.nodeAttrs(['vm1', 'vm3']);
  assert.deepEqual(a.get('vm1'), { 'nodelist.groups': 'all', 'vm.host': 'hv01', 'vm.memory': '2G', 'nodehm.mgt': 'kvm' });
  assert.deepEqual(a.get('vm3'), {
    'nodelist.groups': 'web,rack1',
    'vm.cpus': '4',
    'hosts.ip': '10.0.0.3',
    'mac.mac': '02:aa:bb:cc:dd:03',
  });
  assert.deepEqual(await t.nodeNames(), ['vm1', 'vm2', 'vm3']);
  assert.deepEqual([...(await t.groups())].sort(), [
    ['all', ['vm1', 'vm2']],
    ['rack1', ['vm3']],
    ['web', ['vm3']],
  ]);
  assert.equal(await t.get('vm1', 'vmhost'), 'hv01');
  assert.equal(await t.get('vm2', 'vm.storage'), undefined);
});

test('tables - nodeadd of an existing node, a group name or a bad name refuses the whole command', async () => {
  const t = fresh();
  await t.addNodes(['a1'], { groups: 'web' });
  const before = await dumpAll(t);
  await refused(
    () => t.addNodes(['a2', 'a1'], {}),
    (e) => {
      assert.equal(e.code, 'NODE_EXISTS');
      assert.deepEqual(
        e.failures.map((f) => f.node),
        ['a1'],
      );
      assert.match(e.failures[0]!.message, /already exists/);
    },
  );
  await refused(
    () => t.addNodes(['web'], {}),
    (e) => assert.match(e.failures[0]!.message, /name of a group/),
  );
  await refused(
    () => t.addNodes(['ok1', 'bad.name'], {}),
    (e) => {
      assert.equal(e.code, 'NODE_NAME');
      assert.deepEqual(
        e.failures.map((f) => f.node),
        ['bad.name'],
      );
      assert.match(e.failures[0]!.message, /DNS label/);
    },
  );
  assert.equal(await dumpAll(t), before);
});

test('tables - a bad value names node, attribute and accepted form, and nothing is written', async () => {
  const t = fresh();
  await t.addNodes(['n1', 'n2'], {});
  const before = await dumpAll(t);
  const cases: [string, string, RegExp][] = [
    ['vm.storage', 'ftp://x', /vm\.storage: 'ftp:\/\/x'.*accepted: disks separated/],
    ['vm.nics', 'br0?model=ne2k', /vm\.nics: .*accepted: NICs/],
    ['vm.memory', '0', /vm\.memory: .*accepted: a whole number of MiB/],
    ['vm.cpus', 'many', /vm\.cpus: .*accepted: a whole number from 1/],
    ['vm.bootorder', 'floppy', /vm\.bootorder: .*accepted: devices/],
    ['mac.mac', '01:00:5e:00:00:01', /mac\.mac: .*accepted: six two-digit hex/],
    ['hosts.ip', '10.0.0.256', /hosts\.ip: .*accepted: an IPv4 address/],
    ['nodehm.mgt', 'ipmi', /nodehm\.mgt: .*accepted: one of kvm, xen, libvirt/],
    ['vm.host', 'hv01.example.org', /vm\.host: .*accepted: 1 to 63 letters/],
    ['groups', 'a b', /nodelist\.groups: .*accepted: group names/],
  ];
  for (const [attr, value, re] of cases) {
    await refused(
      () => t.changeNodes(['n1', 'n2'], { 'nodetype.os': 'debian12', [attr]: value }),
      (e) => {
        assert.equal(e.code, 'ATTR_INVALID', attr);
        assert.deepEqual(
          e.failures.map((f) => f.node),
          ['n1', 'n2'],
          attr,
        );
        assert.match(e.failures[0]!.message, re);
      },
    );
  }
  await refused(
    () => t.changeNodes(['n1'], { 'vm.colour': 'red' }),
    (e) => {
      assert.equal(e.code, 'ATTR_UNKNOWN');
      assert.match(e.failures[0]!.message, /unknown attribute 'vm\.colour'; table vm has columns host, /);
    },
  );
  await refused(
    () => t.changeNodes(['n1'], { 'vm.defined_hash': 'x' }),
    (e) => assert.match(e.failures[0]!.message, /set by drover/),
  );
  await refused(
    () => t.changeNodes(['n1'], { 'site.value': 'x' }),
    (e) => assert.match(e.failures[0]!.message, /not a node table; write it with chtab/),
  );
  await refused(
    () => t.changeNodes(['n1'], { groups: 'x', 'nodelist.groups': 'y' }),
    (e) => assert.match(e.failures[0]!.message, /given twice/),
  );
  assert.equal(await dumpAll(t), before);
});

test('tables - unique values: the same MAC or IP for two nodes, or one another node has, is refused', async () => {
  const t = fresh();
  await t.addNodes(['n1', 'n2', 'n3'], {});
  await t.changeNodes(['n1'], { mac: '02:00:00:00:00:01', ip: '10.0.0.1' });
  const before = await dumpAll(t);
  await refused(
    () => t.changeNodes(['n2', 'n3'], { ip: '10.0.0.2' }),
    (e) => {
      assert.equal(e.code, 'ATTR_CONFLICT');
      assert.deepEqual(
        e.failures.map((f) => f.node),
        ['n2', 'n3'],
      );
    },
  );
  await refused(
    () => t.changeNodes(['n2'], { mac: '02-00-00-00-00-01' }),
    (e) => assert.match(e.failures[0]!.message, /n1 already has this value/),
  );
  assert.equal(await dumpAll(t), before);
  await t.changeNodes(['n1'], { mac: '02:00:00:00:00:01' }); // a node may keep its own value
  await t.changeNodes(['n2'], { mac: '02:00:00:00:00:02' });
  const swap = await dumpAll(t);
  // One MAC for two nodes of one command: refused as a whole, not half-applied.
  await refused(
    () => t.changeNodes(['n1', 'n2'], { mac: '02:00:00:00:00:02' }),
    (e) => assert.equal(e.code, 'ATTR_CONFLICT'),
  );
  assert.equal(await dumpAll(t), swap);
});

test('tables - a group may not be named like a node', async () => {
  const t = fresh();
  await t.addNodes(['n1', 'n2'], {});
  await refused(
    () => t.changeNodes(['n2'], { groups: 'all,n1' }),
    (e) => assert.match(e.failures[0]!.message, /'n1' is a node name/),
  );
  await refused(
    () => t.addNodes(['x1', 'x2'], { groups: 'x1' }),
    (e) => assert.match(e.failures[0]!.message, /'x1' is a node name/),
  );
});

test('tables - chdef -p and -m edit list attributes; attr= clears and empty rows disappear', async () => {
  const t = fresh();
  await t.addNodes(['n1', 'n2'], { groups: 'all,web', 'vm.migrationdest': 'hv1' });
  await t.changeNodes(['n1', 'n2'], { groups: 'rack1,web' }, { mode: 'plus' });
  assert.equal(await t.get('n1', 'groups'), 'all,web,rack1');
  await t.changeNodes(['n2'], { groups: 'web,all' }, { mode: 'minus' });
  assert.equal(await t.get('n2', 'groups'), 'rack1');
  await t.changeNodes(['n1'], { 'vm.migrationdest': 'hv2' }, { mode: 'plus' });
  assert.equal(await t.get('n1', 'vm.migrationdest'), 'hv1,hv2');
  await refused(
    () => t.changeNodes(['n1'], { 'vm.memory': '1G' }, { mode: 'plus' }),
    (e) => assert.match(e.failures[0]!.message, /-p\/-m work only on list attributes/),
  );
  await t.changeNodes(['n1', 'n2'], { 'vm.migrationdest': '' });
  assert.equal(await t.get('n1', 'vm.migrationdest'), undefined);
  assert.deepEqual((await t.dump('vm')).rows, []);
  await t.changeNodes(['n1'], {}, { remove: ['groups'] });
  assert.equal(await t.get('n1', 'groups'), undefined);
  await refused(
    () => t.changeNodes(['n1'], {}),
    (e) => assert.match(e.message, /nothing to change/),
  );
  await refused(
    () => t.changeNodes(['ghost'], { os: 'x' }),
    (e) => assert.equal(e.code, 'NOT_FOUND'),
  );
});

test('tables - rmdef removes the node from every node table', async () => {
  const t = fresh();
  await t.addNodes(['n1', 'n2'], { 'vm.memory': '1024', mgt: 'kvm', os: 'debian12', netboot: 'pxe' });
  await t.changeNodes(['n1'], { mac: '02:00:00:00:00:09', ip: '10.1.1.1' });
  assert.equal(await t.removeNodes(['n1', 'n2']), 2);
  for (const name of ['nodelist', 'vm', 'nodehm', 'nodetype', 'noderes', 'mac', 'hosts'])
    assert.deepEqual((await t.dump(name)).rows, [], name);
});

test('tables - noderanges expand against nodes, groups and attributes', async () => {
  const t = fresh();
  await t.addNodes(['vm1', 'vm2', 'vm3', 'vm10'], { groups: 'web', vmhost: 'hv01' });
  await t.changeNodes(['vm3', 'vm10'], { vmhost: 'hv02', groups: 'db' });
  assert.deepEqual(await t.expand('web'), ['vm1', 'vm2']);
  assert.deepEqual(await t.expand('vm.host==hv02'), ['vm3', 'vm10']);
  assert.deepEqual(await t.expand('vm[1-3],-db'), ['vm1', 'vm2']);
  assert.deepEqual(await t.expand('', { emptyIsAll: true }), ['vm1', 'vm2', 'vm3', 'vm10']);
  await assert.rejects(
    () => t.expand('vm[1-4]'),
    (e: unknown) => e instanceof NoderangeError && e.code === 'NODERANGE_UNKNOWN' && e.names?.includes('vm4') === true,
  );
  assert.deepEqual(await t.expand('vm[4-5]', { requireKnown: false }), ['vm4', 'vm5']);
  await assert.rejects(() => t.expand('vm.colour==red'), NoderangeError);
  await assert.rejects(() => t.expand(''), NoderangeError);
});

test('tables - pending lists definition attributes changed since markDefined, in canonical form', async () => {
  const t = fresh();
  await t.addNodes(['g1', 'g2'], { 'vm.memory': '2G', 'vm.cpus': '2', 'vm.nics': 'br0', 'vm.storage': 'dir:///vms?size=10G' });
  assert.deepEqual([...(await t.pending(['g1', 'g2']))], [], 'never defined: nothing pending');
  await t.markDefined('g1');
  await t.markDefined('g2');
  await t.changeNodes(['g1'], { 'vm.memory': '2048', 'vm.nics': 'bridge:br0?model=virtio' });
  assert.deepEqual([...(await t.pending(['g1']))], [], 'the same values in other spellings');
  await t.changeNodes(['g1'], { 'vm.memory': '4G', 'vm.bootorder': 'net,hd', 'nodetype.os': 'debian12' });
  await t.changeNodes(['g2'], { 'vm.storage': '' });
  assert.deepEqual(
    await t.pending(['g1', 'g2']),
    new Map([
      ['g1', ['vm.memory', 'vm.bootorder']],
      ['g2', ['vm.storage']],
    ]),
  );
  await t.markDefined('g1');
  assert.deepEqual([...(await t.pending(['g1']))], []);
});

test('tables - recordMove writes vm.host and changes only vm.host in the record of what was defined', async () => {
  const t = fresh();
  await t.addNodes(['g1', 'g2'], { 'vm.host': 'node01', 'vm.memory': '1G' });
  await t.markDefined('g1');
  await t.changeNodes(['g1'], { 'vm.memory': '2G' });
  await t.recordMove('g1', 'node02');
  assert.equal(await t.get('g1', 'vm.host'), 'node02');
  assert.deepEqual(await t.pending(['g1']), new Map([['g1', ['vm.memory']]]), 'vm.host follows the move; the memory change stays pending');
  // a move by hand afterwards (chdef vm.host) is pending again
  await t.changeNodes(['g1'], { 'vm.host': 'node03' });
  assert.deepEqual(await t.pending(['g1']), new Map([['g1', ['vm.host', 'vm.memory']]]));
  // a guest never defined through drover has no record: only vm.host is written
  await t.recordMove('g2', 'node03');
  assert.equal(await t.get('g2', 'vm.host'), 'node03');
  assert.deepEqual([...(await t.pending(['g2']))], []);
});

test('tables - chtab sets keyed rows with each column checked, and node rows through the node checks', async () => {
  const t = fresh();
  await t.setRow('site', { key: 'master' }, { 'site.value': '10.0.0.1' });
  await t.setRow('site', { key: 'motd' }, { value: 'hello, world' });
  await refused(
    () => t.setRow('site', { key: 'master' }, { 'site.value': 'headnode' }),
    (e) => assert.match(e.failures[0]!.message, /site\.master: 'headnode'.*IPv4/),
  );
  const net = await t.setRow(
    'networks',
    { netname: 'lab' },
    { 'networks.net': '10.0.0.0', 'networks.mask': '255.255.255.0', 'networks.dynamicrange': '10.0.0.100,10.0.0.199' },
  );
  assert.deepEqual(net.rows[0]!.slice(0, 3), ['lab', '10.0.0.0', '255.255.255.0']);
  assert.equal(net.rows[0]![net.columns.indexOf('dynamicrange')], '10.0.0.100-10.0.0.199');
  await refused(
    () => t.setRow('networks', { netname: 'lab' }, { 'networks.mask': '255.0.255.0' }),
    (e) => assert.match(e.failures[0]!.message, /contiguous/),
  );
  await t.setRow('storage', { url: 'nfs://filer/vm/' }, { 'storage.shared': 'yes', 'storage.hosts': 'hv01,hv02' });
  assert.deepEqual((await t.dump('storage')).rows, [['nfs://filer/vm', '1', 'hv01,hv02', '', '']]);
  await refused(
    () => t.setRow('storage', { url: 'nfs://filer/vm?size=1G' }, { 'storage.shared': '1' }),
    (e) => assert.equal(e.code, 'KEY_INVALID'),
  );
  await t.setRow('hypervisor', { node: 'hv01' }, { type: 'kvm', memory: '64G' });
  await refused(
    () => t.setRow('hypervisor', { host: 'hv01' }, { type: 'kvm' }),
    (e) => assert.match(e.message, /keyed by node/),
  );
  await refused(
    () => t.setRow('hypervisor', { node: 'hv01' }, { 'site.value': 'x' }),
    (e) => assert.equal(e.code, 'ATTR_UNKNOWN'),
  );
  await refused(
    () => t.setRow('operations', { id: 'x' }, { state: 'done' }),
    (e) => assert.equal(e.code, 'TABLE_UNKNOWN'),
  );
  await refused(
    () => t.setRow('vm', { node: 'ghost' }, { 'vm.memory': '1G' }),
    (e) => assert.equal(e.code, 'NOT_FOUND'),
  );
  await t.addNodes(['n1'], {});
  await t.setRow('vm', { node: 'n1' }, { 'vm.memory': '1G' });
  assert.equal(await t.get('n1', 'vm.memory'), '1G');
  await refused(
    () => t.setRow('vm', { node: 'n1' }, { 'vm.memory': '0' }),
    (e) => assert.equal(e.failures[0]!.node, 'n1'),
  );
  await t.setRow('vm', { node: 'n1' }, {}, true);
  assert.equal(await t.get('n1', 'vm.memory'), undefined);
  assert.equal((await t.setRow('site', { key: 'motd' }, {}, true)).rows.length, 0);
  assert.deepEqual(
    (await t.dump('site')).rows.map((r) => r[0]),
    ['master'],
  );
});

test('tables - dumps are in natural key order and unknown tables are named', async () => {
  const t = fresh();
  await t.addNodes(['n10', 'n9', 'n1'], {});
  assert.deepEqual(
    (await t.dump('nodelist')).rows.map((r) => r[0]),
    ['n1', 'n9', 'n10'],
  );
  assert.deepEqual((await t.dump('nodelist')).columns, ['node', 'groups', 'status', 'statustime', 'comments', 'disable']);
  await refused(
    () => t.dump('nodes'),
    (e) => assert.match(e.message, /unknown table 'nodes'; tables: nodelist, vm/),
  );
});

test('tables - a refusal of thousands of nodes is summarised within the size limit', async () => {
  const t = fresh();
  const nodes = Array.from({ length: 3000 }, (_, i) => `n${i}`);
  await refused(
    () => t.addNodes(nodes, { 'vm.memory': 'lots' }),
    (e) => {
      assert.equal(e.failures.length, 3000);
      const lines = e.lines(6000);
      assert.ok(lines.join('\n').length < 6200);
      assert.match(lines[lines.length - 1]!, /^\.\.\. and \d+ more errors for \d+ more nodes$/);
      assert.match(lines[0]!, /^n0: vm\.memory: 'lots'/);
    },
  );
  assert.deepEqual(await t.nodeNames(), []);
});
