import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AttrError } from './errors.js';
import { formatNicList, NICS_SYNTAX, parseNicList } from './nics.js';

test('nics - bridges and networks with default model virtio', () => {
  assert.deepEqual(parseNicList('br0'), [{ bridge: 'br0', model: 'virtio' }]);
  assert.deepEqual(parseNicList('bridge:br0'), [{ bridge: 'br0', model: 'virtio' }]);
  assert.deepEqual(parseNicList('network:default'), [{ network: 'default', model: 'virtio' }]);
  assert.deepEqual(parseNicList(''), []);
});

test('nics - model and MAC options; MAC colons do not confuse the parser', () => {
  assert.deepEqual(parseNicList('br0?model=e1000&mac=02:1A:2B:3C:4D:5E, network:lab?mac=52-54-00-00-00-01&model=rtl8139'), [
    { bridge: 'br0', model: 'e1000', mac: '02:1a:2b:3c:4d:5e' },
    { network: 'lab', model: 'rtl8139', mac: '52:54:00:00:00:01' },
  ]);
});

test('nics - canonical form round-trips', () => {
  const text = 'br0?mac=02:1a:2b:3c:4d:5e,network:default?model=e1000,br1.100';
  assert.equal(formatNicList(parseNicList(text)), text);
  assert.equal(formatNicList(parseNicList('bridge:br0?model=virtio')), 'br0');
});

function refused(value: string, part: string, code = 'ATTR_SYNTAX') {
  assert.throws(
    () => parseNicList(value),
    (e: unknown) => {
      assert.ok(e instanceof AttrError);
      assert.equal(e.attribute, 'vm.nics');
      assert.equal(e.part, part, value);
      assert.equal(e.code, code, value);
      assert.equal(e.accepted, NICS_SYNTAX);
      assert.ok(e.message.includes(part) && e.message.includes('network:NAME'));
      return true;
    },
    value,
  );
}

test('nics - bad bridges, models, MACs and duplicates are refused with the part named', () => {
  refused('br0:virtio', 'br0:virtio');
  refused('abcdefghijklmnop', 'abcdefghijklmnop');
  refused('br 0', 'br 0');
  refused('br0;reboot', 'br0;reboot');
  refused('network:', 'network:');
  refused('network:a/b', 'network:a/b');
  refused('br0?model=ne2k_pci', 'model=ne2k_pci');
  refused('br0?mac=01:00:5e:00:00:01', 'mac=01:00:5e:00:00:01');
  refused('br0?mac=02:00:00:00:00', 'mac=02:00:00:00:00');
  refused('br0?vlan=5', 'vlan=');
  refused('br0?mac=02:00:00:00:00:01,br1?mac=02-00-00-00-00-01', 'mac=02-00-00-00-00-01', 'ATTR_CONFLICT');
  refused('br0,,br1', 'br0,,br1');
});
