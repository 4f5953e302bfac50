/**
 * The table verbs end to end: the `drover` CLI as a process, a real drover-server with its
 * SQLite file, real NATS. No agents are needed: these verbs only touch the tables.
 */
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { TestCluster } from '../support/cluster.js';
import type { RunResult } from '../support/procs.js';

interface NodeDefJson {
  node: string;
  attrs: Record<string, string>;
  pending: string[];
  unmanaged: boolean;
}
interface ResultJson {
  node: string;
  ok: boolean;
  message: string;
}
interface AuditRow {
  action: string;
  target: string;
  outcome: string;
  who: string;
  error: string;
}

let c: TestCluster;

before(async () => {
  c = await TestCluster.start({ agents: 0 });
});
after(async () => {
  await c?.stop();
});

async function ok(args: string[], role: 'admin' | 'operator' | 'viewer' = 'admin'): Promise<RunResult> {
  const r = await c.cli(args, role);
  assert.equal(r.code, 0, `drover ${args.join(' ')} failed (${r.code}): ${r.stderr}`);
  return r;
}

const DUMPED = ['nodelist', 'vm', 'nodehm', 'nodetype', 'noderes', 'mac', 'hosts', 'site', 'networks', 'storage', 'hypervisor'];
async function dumps(): Promise<string> {
  const parts = await Promise.all(DUMPED.map(async (t) => (await ok(['tabdump', t])).stdout));
  return parts.join('');
}

function auditRows(): AuditRow[] {
  const db = new Database(join(c.dir, 'state', 'drover.db'), { readonly: true, fileMustExist: true });
  try {
    return db.prepare('SELECT action, target, outcome, who, error FROM audit ORDER BY id').all() as AuditRow[];
  } finally {
    db.close();
  }
}

test('tables - nodeadd, chdef, lsdef, nodels, tabdump and rmdef round trip through the CLI', async () => {
  const add = await ok([
    'nodeadd',
    'web[01-03]',
    'groups=web,all',
    'vm.host=hv01',
    'vm.memory=2G',
    'vm.cpus=2',
    'vm.storage=dir:///vms?size=10G',
    'vm.nics=br0',
    'nodehm.mgt=kvm',
  ]);
  assert.equal(add.stdout, 'web01: added\nweb02: added\nweb03: added\n');

  const ch = await ok(['chdef', 'web02,web03', 'vmmemory=4G', 'os=debian12']);
  assert.equal(ch.stdout, 'web02: changed\nweb03: changed\n');
  await ok(['chdef', 'web01', 'mac=02:00:00:00:00:0A', 'ip=10.0.0.11']);
  await ok(['chdef', '-p', 'web01', 'groups=rack1']);
  await ok(['chdef', '-m', 'web03', 'groups=all']);

  const text = (await ok(['lsdef', 'web01'])).stdout;
  assert.equal(
    text,
    [
      'Object name: web01',
      '    nodelist.groups=web,all,rack1',
      '    vm.cpus=2',
      '    vm.host=hv01',
      '    vm.memory=2G',
      '    vm.nics=br0',
      '    vm.storage=dir:///vms?size=10G',
      '    nodehm.mgt=kvm',
      '    mac.mac=02:00:00:00:00:0a',
      '    hosts.ip=10.0.0.11',
      '',
    ].join('\n'),
  );
  const all = await c.cliJson<NodeDefJson[]>(['lsdef']);
  assert.deepEqual(
    all.map((n) => n.node),
    ['web01', 'web02', 'web03'],
  );
  assert.equal(all[1]!.attrs['vm.memory'], '4G');
  assert.equal(all[1]!.attrs['nodetype.os'], 'debian12');
  assert.deepEqual(all[1]!.pending, []);
  const only = await c.cliJson<NodeDefJson[]>(['lsdef', 'web', '-i', 'vmhost,nodetype.os']);
  assert.deepEqual(
    only.map((n) => n.attrs),
    [{ 'vm.host': 'hv01' }, { 'vm.host': 'hv01', 'nodetype.os': 'debian12' }, { 'vm.host': 'hv01', 'nodetype.os': 'debian12' }],
  );

  assert.equal((await ok(['nodels', 'web'])).stdout, 'web01\nweb02\nweb03\n');
  assert.equal((await ok(['nodels', 'rack1'])).stdout, 'web01\n');
  assert.equal((await ok(['nodels', 'web', 'groups'])).stdout, 'web01: web,all,rack1\nweb02: web,all\nweb03: web\n');
  assert.equal(
    (await ok(['nodels', 'vm.memory==4G', 'vm.host', 'nodetype.os'])).stdout,
    'web02: vm.host: hv01\nweb02: nodetype.os: debian12\nweb03: vm.host: hv01\nweb03: nodetype.os: debian12\n',
  );

  const dump = (await ok(['tabdump', 'nodelist'])).stdout;
  assert.equal(
    dump,
    '#node,groups,status,statustime,comments,disable\n"web01","web,all,rack1",,,,\n"web02","web,all",,,,\n"web03","web",,,,\n',
  );
  assert.match((await ok(['tabdump'])).stdout, /^nodelist\nvm\n/);
  const vm = (await ok(['tabdump', 'vm'])).stdout.split('\n');
  assert.equal(
    vm[0],
    '#node,host,migrationdest,storage,memory,cpus,nics,bootorder,vncport,textconsole,powerstate,antiaffinity,uuid,defined_hash,defined_attrs,managed,comments,disable',
  );
  assert.match(vm[2]!, /^"web02","hv01",,"dir:\/\/\/vms\?size=10G","4G","2","br0",/);

  // ^file: the CLI reads the file and sends its lines.
  const file = join(c.dir, 'nodes.txt');
  writeFileSync(file, '# the first two\nweb01\nweb02  # and a comment\n\n');
  assert.equal((await ok(['nodels', `^${file},web03`])).stdout, 'web01\nweb02\nweb03\n');

  const rm = await ok(['rmdef', 'web[01-03]']);
  assert.equal(rm.stdout, 'web01: removed\nweb02: removed\nweb03: removed\n');
  assert.equal((await ok(['tabdump', 'vm'])).stdout.split('\n').length, 2, 'only the header and the final newline are left');
  assert.equal((await ok(['lsdef'])).stdout, 'Could not find any object definitions to display.\n');
});

test('tables - bad input for each validated attribute is refused naming node, attribute and accepted form; nothing is written', async () => {
  await ok(['nodeadd', 'db[1-2]', 'groups=db']);
  await ok(['chdef', 'db1', 'mac=02:00:00:00:01:01', 'ip=10.0.1.1']);
  const before = await dumps();
  const cases: [string[], RegExp][] = [
    [
      ['chdef', 'db[1-2]', 'vm.storage=ftp://filer/x'],
      /^db1: vm\.storage: 'ftp:\/\/filer\/x': not a storage location; accepted: disks separated by ","/m,
    ],
    [
      ['chdef', 'db[1-2]', 'vm.nics=br0?model=ne2k'],
      /^db2: vm\.nics: 'model=ne2k' in 'br0\?model=ne2k': unknown NIC model; accepted: NICs/m,
    ],
    [['chdef', 'db[1-2]', 'vm.memory=0'], /^db1: vm\.memory: '0': memory must be above zero; accepted: a whole number of MiB/m],
    [['chdef', 'db[1-2]', 'vm.cpus=lots'], /^db2: vm\.cpus: 'lots': not a whole number; accepted: a whole number from 1 to 4096/m],
    [['chdef', 'db[1-2]', 'vm.bootorder=floppy'], /^db1: vm\.bootorder: 'floppy': not a boot device; accepted: devices separated by ,/m],
    [
      ['chdef', 'db2', 'mac.mac=01:00:5e:00:00:01'],
      /^db2: mac\.mac: '01:00:5e:00:00:01': a multicast MAC cannot name a NIC; accepted: six two-digit hex bytes/m,
    ],
    [['chdef', 'db2', 'mac=02:00:00:00:01:01'], /^db2: mac\.mac: '02:00:00:00:01:01': db1 already has this value/m],
    [['chdef', 'db2', 'hosts.ip=10.0.1.300'], /^db2: hosts\.ip: '10\.0\.1\.300': not an IPv4 address; accepted: an IPv4 address/m],
    [['chdef', 'db[1-2]', 'nodehm.mgt=ipmi'], /^db1: nodehm\.mgt: 'ipmi': not an accepted value; accepted: one of kvm, xen, libvirt/m],
    [
      ['chdef', 'db[1-2]', 'vm.host=hv01.example.org'],
      /^db2: vm\.host: 'hv01\.example\.org': not a valid host name; accepted: 1 to 63 letters, digits and -/m,
    ],
    [['chdef', 'db[1-2]', 'groups=db,bad group'], /^db1: nodelist\.groups: 'bad group' in 'db,bad group': not a valid group name/m],
    [['chdef', 'db[1-2]', 'vm.colour=red'], /^db1: unknown attribute 'vm\.colour'; table vm has columns host,/m],
    // One good node and one bad value: the good attribute is not written either.
    [['chdef', 'db[1-2]', 'nodetype.os=debian12', 'vm.memory=1.5G'], /^db2: vm\.memory: '1\.5G'/m],
    [['nodeadd', 'db[2-3]', 'groups=db'], /^db2: node already exists/m],
    [['nodeadd', 'new.1'], /^new\.1: not a valid node name; accepted: 1 to 63 letters/m],
    // A group name expands to its members, which exist.
    [['nodeadd', 'db'], /^db1: node already exists/m],
    [['chdef', 'db[1-3]', 'os=debian12'], /^db3: no such node or group$/m],
    [['chtab', 'key=master', 'site.value=headnode'], /^master: site\.master: 'headnode': not an IPv4 address/m],
    [['chtab', 'url=nfs://filer/vm', 'storage.shared=maybe'], /storage\.shared: 'maybe': not a yes\/no value; accepted: 1 or 0/],
  ];
  for (const [args, re] of cases) {
    const r = await c.cli(args);
    assert.notEqual(r.code, 0, `${args.join(' ')} should fail`);
    assert.match(r.stderr, re, args.join(' '));
    assert.equal(r.stdout, '', `${args.join(' ')}: nothing on stdout`);
  }
  assert.equal(await dumps(), before, 'no table changed');
  await ok(['rmdef', 'db']);
});

test('tables - chtab sets site, networks, storage and hypervisor rows and deletes them', async () => {
  assert.equal((await ok(['chtab', 'key=master', 'site.value=10.0.0.1'])).stdout, '#key,value,comments,disable\n"master","10.0.0.1",,\n');
  await ok(['chtab', 'netname=lab', 'networks.net=10.0.0.0', 'networks.mask=255.255.255.0', 'networks.dynamicrange=10.0.0.100-10.0.0.199']);
  await ok(['chtab', 'url=nfs://filer/vm', 'storage.shared=yes', 'storage.hosts=hv01,hv02']);
  await ok(['chtab', 'node=hv01', 'hypervisor.type=kvm', 'hypervisor.memory=64G']);
  const storage = await c.cliJson<{ table: string; rows: Record<string, string>[] }>(['tabdump', 'storage']);
  assert.deepEqual(storage.rows, [{ url: 'nfs://filer/vm', shared: '1', hosts: 'hv01,hv02', comments: '', disable: '' }]);
  assert.match(
    (await ok(['tabdump', 'networks'])).stdout,
    /^"lab","10\.0\.0\.0","255\.255\.255\.0",,,,,,"10\.0\.0\.100-10\.0\.0\.199",,,$/m,
  );
  await ok(['chtab', '-d', 'netname=lab', 'networks']);
  assert.equal((await ok(['tabdump', 'networks'])).stdout.split('\n')[1], '');
  const bad = await c.cli(['chtab', 'key=master', 'site.value=1.2.3.4', 'networks.net=10.0.0.0']);
  assert.equal(bad.code, 2);
});

test('tables - a viewer bundle can lsdef, nodels and tabdump but not nodeadd, chdef, rmdef or chtab', async () => {
  await ok(['nodeadd', 'view1']);
  const defs = await c.cliJson<NodeDefJson[]>(['lsdef', 'view1'], 'viewer');
  assert.equal(defs[0]!.node, 'view1');
  await ok(['nodels', 'view1'], 'viewer');
  await ok(['tabdump', 'nodelist'], 'viewer');
  for (const args of [
    ['nodeadd', 'view2'],
    ['chdef', 'view1', 'os=x'],
    ['rmdef', 'view1'],
    ['chtab', 'key=a', 'site.value=b'],
  ]) {
    const r = await c.cli(args, 'viewer');
    assert.equal(r.code, 1, args.join(' '));
    assert.match(r.stderr, /refused by drover-server: .*needs role admin; 'test-viewer' is viewer/, args.join(' '));
  }
  assert.deepEqual(
    (await c.cliJson<NodeDefJson[]>(['lsdef', 'view1'])).map((n) => n.attrs),
    [{ 'nodelist.groups': 'all' }],
  );
  await ok(['rmdef', 'view1']);
});

test('tables - every mutating call leaves an audit row, refused ones marked failed', async () => {
  const start = auditRows().length;
  await ok(['nodeadd', 'aud1', 'groups=audit']);
  await ok(['chdef', 'aud1', 'os=debian12']);
  await c.cli(['chdef', 'aud1', 'vm.memory=none']);
  await ok(['chtab', 'key=domain', 'site.value=cluster.example.org']);
  await c.cli(['nodeadd', 'aud2'], 'viewer');
  await ok(['rmdef', 'aud1']);
  await ok(['lsdef']); // a read: not audited
  const rows = auditRows().slice(start);
  assert.deepEqual(
    rows.map((r) => [r.action, r.target, r.outcome]),
    [
      ['NodeAdd', 'aud1', 'ok'],
      ['ChDef', 'aud1', 'ok'],
      ['ChDef', 'aud1', 'failed'],
      ['TabSet', 'site', 'ok'],
      ['NodeAdd', 'aud2', 'failed'],
      ['RmDef', 'aud1', 'ok'],
    ],
  );
  for (const i of [0, 1, 2, 3, 5]) assert.equal(rows[i]!.who, 'test-admin');
  // A call refused for its role is recorded before the caller is attached, so it shows the peer.
  assert.match(rows[4]!.who, /test-viewer|unauthenticated/);
  assert.match(rows[2]!.error, /aud1: vm\.memory: 'none'/);
});

test('tables - nodeadd of 1,000 nodes in one noderange, then lsdef -o json lists them', async () => {
  const t0 = Date.now();
  const add = await c.cliJson<ResultJson[]>(['nodeadd', 'vm[0001-1000]', 'groups=bulk', 'vm.host=hv01', 'vm.memory=1G', 'vm.nics=br0']);
  const addMs = Date.now() - t0;
  assert.equal(add.length, 1000);
  assert.ok(add.every((r) => r.ok && r.message === 'added'));
  const t1 = Date.now();
  const defs = await c.cliJson<NodeDefJson[]>(['lsdef', 'bulk']);
  const lsMs = Date.now() - t1;
  assert.equal(defs.length, 1000);
  assert.equal(defs[0]!.node, 'vm0001');
  assert.equal(defs[999]!.node, 'vm1000');
  assert.ok(defs.every((d) => d.attrs['vm.memory'] === '1G' && d.attrs['nodelist.groups'] === 'bulk'));
  process.stdout.write(`# nodeadd of 1,000 nodes: ${addMs} ms; lsdef -o json of them: ${lsMs} ms (wall time, CLI process included)\n`);
  // A refused range of 1,000 nodes reports them compactly and writes nothing.
  const bad = await c.cli(['chdef', 'bulk', 'vm.memory=0']);
  assert.equal(bad.code, 1);
  assert.match(bad.stderr, /^vm0001: vm\.memory: '0'/);
  assert.match(bad.stderr, /\.\.\. and \d+ more errors for \d+ more nodes\n$/);
  assert.equal((await c.cliJson<NodeDefJson[]>(['lsdef', 'vm0500'])).at(0)?.attrs['vm.memory'], '1G');
  await ok(['rmdef', 'bulk']);
});

test('tables - lsdef --help shows the attribute syntax and the noderange grammar', async () => {
  const r = await c.cli(['lsdef', '--help']);
  assert.equal(r.code, 0);
  for (const word of [
    'Guest attribute syntax',
    'vm.storage',
    'vm.nics',
    'Noderanges',
    'node[01-10]',
    '^/path/file',
    'table.column==value',
    'Attributes',
  ]) {
    assert.ok(r.stdout.includes(word), `lsdef --help mentions ${word}`);
  }
});
