import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { AttrError } from './errors.js';
import { bytesToMiB, formatSize, mibToBytes, parseCpus, parseMemoryMiB, parseSize } from './size.js';

test('size - units are powers of 1024 with optional B or iB', () => {
  assert.equal(parseSize('4G'), 4 * 1024 ** 3);
  assert.equal(parseSize('4GiB'), 4 * 1024 ** 3);
  assert.equal(parseSize('4GB'), 4 * 1024 ** 3);
  assert.equal(parseSize('4g'), 4 * 1024 ** 3);
  assert.equal(parseSize('512M'), 512 * 1024 ** 2);
  assert.equal(parseSize('100K'), 102400);
  assert.equal(parseSize('2T'), 2 * 1024 ** 4);
  assert.equal(parseSize('1048576'), 1048576);
  assert.equal(parseSize('512B'), 512);
  assert.equal(parseSize(' 1M '), 1048576);
});

test('size - fractions, negatives, unknown units and overflow are refused', () => {
  for (const bad of ['1.5G', '-1G', '4X', 'G', '', '4 G', '4GG', '0x10', '4iB']) {
    assert.throws(
      () => parseSize(bad, 'vm.size'),
      (e: unknown) => e instanceof AttrError && e.code === 'ATTR_SYNTAX' && e.attribute === 'vm.size' && e.value === bad,
      bad,
    );
  }
  assert.throws(
    () => parseSize('99999999T'),
    (e: unknown) => e instanceof AttrError && e.code === 'ATTR_RANGE',
  );
});

test('size - formatSize picks the largest exact unit and round-trips', () => {
  assert.equal(formatSize(0), '0');
  assert.equal(formatSize(4 * 1024 ** 3), '4G');
  assert.equal(formatSize(1536 * 1024 ** 2), '1536M');
  assert.equal(formatSize(1000), '1000');
  assert.equal(formatSize(1024 ** 4), '1T');
  assert.throws(() => formatSize(-1), RangeError);
  assert.throws(() => formatSize(1.5), RangeError);
  fc.assert(fc.property(fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }), (n) => parseSize(formatSize(n)) === n));
});

test('size - MiB helpers convert and round bytes up', () => {
  assert.equal(mibToBytes(3), 3 * 1048576);
  assert.equal(bytesToMiB(1048576), 1);
  assert.equal(bytesToMiB(1048577), 2);
  assert.equal(bytesToMiB(0), 0);
  assert.throws(() => mibToBytes(-1), RangeError);
});

test('size - vm.memory is MiB, bare or with a unit', () => {
  assert.equal(parseMemoryMiB('512'), 512);
  assert.equal(parseMemoryMiB('512M'), 512);
  assert.equal(parseMemoryMiB('2G'), 2048);
  assert.equal(parseMemoryMiB('1048576K'), 1024);
});

test('size - vm.memory refuses zero, part MiB and junk, naming the attribute', () => {
  const check = (v: string, code: string) =>
    assert.throws(
      () => parseMemoryMiB(v),
      (e: unknown) => e instanceof AttrError && e.code === code && e.attribute === 'vm.memory' && /vm\.memory/.test(e.message),
      v,
    );
  check('0', 'ATTR_RANGE');
  check('0G', 'ATTR_RANGE');
  check('1000K', 'ATTR_RANGE');
  check('lots', 'ATTR_SYNTAX');
  check('-5', 'ATTR_SYNTAX');
});

test('size - vm.cpus is a whole number from 1 to 4096', () => {
  assert.equal(parseCpus('1'), 1);
  assert.equal(parseCpus(' 16 '), 16);
  assert.equal(parseCpus('4096'), 4096);
  for (const bad of ['0', '4097', '1.5', '-2', 'two', '']) {
    assert.throws(
      () => parseCpus(bad),
      (e: unknown) => e instanceof AttrError && e.attribute === 'vm.cpus',
      bad,
    );
  }
});
