import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AttrError } from './errors.js';
import { isValidNodeName, parseNodeName } from './names.js';
import { parseBootOrder } from './boot.js';
import { ATTR_SYNTAX_HELP, checkAttribute } from './help.js';

test('names - DNS labels are node names', () => {
  for (const ok of ['a', 'xen01', 'node-1', 'A1', 'x'.repeat(63), '0']) assert.equal(isValidNodeName(ok), true, ok);
});

test('names - dots, metacharacters, edge hyphens and long names are refused', () => {
  const bad = ['', '-a', 'a-', 'a.b', 'a b', 'a;rm', 'a/b', "a'b", 'a<b', 'a&b', 'a$b', 'a*', 'a>', 'x'.repeat(64), 'a_b', 'nöde'];
  for (const b of bad) assert.equal(isValidNodeName(b), false, b);
  assert.throws(
    () => parseNodeName('a.b', 'vm.host'),
    (e: unknown) => e instanceof AttrError && e.attribute === 'vm.host' && e.value === 'a.b',
  );
  assert.equal(parseNodeName('host1'), 'host1');
});

test('boot - order is parsed with xCAT aliases', () => {
  assert.deepEqual(parseBootOrder('network,disk'), ['network', 'disk']);
  assert.deepEqual(parseBootOrder('net, hd'), ['network', 'disk']);
  assert.deepEqual(parseBootOrder('CD,pxe'), ['cdrom', 'network']);
  assert.deepEqual(parseBootOrder('disk'), ['disk']);
});

test('boot - unknown and repeated devices are refused with the part named', () => {
  assert.throws(
    () => parseBootOrder('network,floppy'),
    (e: unknown) => e instanceof AttrError && e.part === 'floppy' && e.attribute === 'vm.bootorder',
  );
  assert.throws(
    () => parseBootOrder('net,network'),
    (e: unknown) => e instanceof AttrError && e.code === 'ATTR_CONFLICT' && e.part === 'network',
  );
  assert.throws(() => parseBootOrder(''), AttrError);
  assert.throws(() => parseBootOrder('constructor'), AttrError);
});

test('help - checkAttribute dispatches by attribute and ignores others', () => {
  assert.equal(checkAttribute('vm.storage', 'dir:///vms'), true);
  assert.equal(checkAttribute('vm.comments', 'anything; at all'), false);
  assert.equal(checkAttribute('toString', 'x'), false);
  assert.throws(
    () => checkAttribute('vm.nics', 'br0?model=ne2k'),
    (e: unknown) => e instanceof AttrError && e.attribute === 'vm.nics',
  );
  assert.throws(
    () => checkAttribute('vm.memory', '0'),
    (e: unknown) => e instanceof AttrError && e.attribute === 'vm.memory',
  );
  assert.throws(
    () => checkAttribute('vm.cpus', '0'),
    (e: unknown) => e instanceof AttrError && e.attribute === 'vm.cpus',
  );
  assert.throws(
    () => checkAttribute('vm.bootorder', 'tape'),
    (e: unknown) => e instanceof AttrError && e.attribute === 'vm.bootorder',
  );
});

test('help - the help text covers every checked attribute and every storage scheme', () => {
  for (const word of [
    'vm.storage',
    'vm.nics',
    'vm.memory',
    'vm.cpus',
    'vm.bootorder',
    'dir:///',
    'nfs://',
    'lvm://',
    'phy:/dev/',
    'format=raw|qcow2',
    'model=virtio|e1000|rtl8139',
  ]) {
    assert.ok(ATTR_SYNTAX_HELP.includes(word), word);
  }
  for (const line of ATTR_SYNTAX_HELP.split('\n')) assert.ok(line.length <= 100, `help line too long: ${line}`);
});
