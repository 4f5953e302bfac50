import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { AttrError } from './errors.js';
import { generateMac, isValidMac, parseMac } from './mac.js';

test('mac - parsed to lowercase with colons', () => {
  assert.equal(parseMac('52:54:00:AB:cd:EF'), '52:54:00:ab:cd:ef');
  assert.equal(parseMac('02-1A-2B-3C-4D-5E'), '02:1a:2b:3c:4d:5e');
  assert.equal(parseMac(' 02:00:00:00:00:01 '), '02:00:00:00:00:01');
});

test('mac - malformed, mixed separators, multicast and zero are refused', () => {
  const bad = [
    '',
    '02:00:00:00:00',
    '02:00:00:00:00:00:00',
    '02:00-00:00:00:01',
    '0g:00:00:00:00:01',
    '020000000001',
    '01:00:5e:00:00:01',
    'ff:ff:ff:ff:ff:ff',
    '00:00:00:00:00:00',
    '2:0:0:0:0:1',
  ];
  for (const b of bad) {
    assert.equal(isValidMac(b), false, b);
    assert.throws(
      () => parseMac(b, 'mac.mac'),
      (e: unknown) => e instanceof AttrError && e.attribute === 'mac.mac' && e.value === b,
      b,
    );
  }
  assert.equal(isValidMac('52:54:00:12:34:56'), true);
});

test('mac - generated addresses are locally administered unicast and deterministic', () => {
  assert.equal(generateMac(Uint8Array.from([1, 2, 3, 4, 5])), '02:01:02:03:04:05');
  assert.equal(generateMac('web1/0'), generateMac('web1/0'));
  assert.notEqual(generateMac('web1/0'), generateMac('web1/1'));
  assert.throws(() => generateMac(Uint8Array.from([1, 2])), RangeError);
  fc.assert(
    fc.property(fc.uint8Array({ minLength: 5, maxLength: 16 }), (bytes) => {
      const mac = generateMac(bytes);
      const first = parseInt(mac.slice(0, 2), 16);
      return isValidMac(mac) && (first & 0b10) === 0b10 && (first & 1) === 0 && parseMac(mac) === mac;
    }),
  );
});
