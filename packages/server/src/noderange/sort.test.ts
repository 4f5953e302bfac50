import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { compareNodeNames, sortNodes } from './index';

describe('noderange natural sort', () => {
  test('sort - numbers compare by value', () => {
    assert.deepEqual(sortNodes(['node10', 'node2', 'node1', 'node100', 'node9']), ['node1', 'node2', 'node9', 'node10', 'node100']);
  });
  test('sort - every number in the name counts', () => {
    assert.deepEqual(sortNodes(['f2n1', 'f10n1', 'f1n10', 'f1n2']), ['f1n2', 'f1n10', 'f2n1', 'f10n1']);
  });
  test('sort - duplicates are removed', () => {
    assert.deepEqual(sortNodes(['b', 'a', 'b', 'a']), ['a', 'b']);
  });
  test('sort - padded and unpadded numbers of equal value sit together, padded first', () => {
    assert.deepEqual(sortNodes(['node2', 'node1', 'node01', 'node001', 'node02']), ['node001', 'node01', 'node1', 'node02', 'node2']);
  });
  test('sort - a number sits among characters where 0 does', () => {
    assert.deepEqual(sortNodes(['aa', 'a1', 'a-1', 'a', 'A1']), ['A1', 'a', 'a-1', 'a1', 'aa']);
  });
  test('sort - a prefix sorts before its extensions', () => {
    assert.deepEqual(sortNodes(['node1a', 'node1', 'node']), ['node', 'node1', 'node1a']);
  });
  test('sort - huge numbers compare without loss', () => {
    assert.deepEqual(sortNodes(['n100000000000000000001', 'n100000000000000000000', 'n99']), [
      'n99',
      'n100000000000000000000',
      'n100000000000000000001',
    ]);
  });
  test('sort - the input is not modified', () => {
    const input = ['b', 'a'];
    sortNodes(input);
    assert.deepEqual(input, ['b', 'a']);
  });

  const name = fc.stringMatching(/^[a-c0-2.-]{0,8}$/);
  test('sort - property: the order is total and antisymmetric', () => {
    fc.assert(
      fc.property(name, name, (a, b) => {
        const ab = Math.sign(compareNodeNames(a, b));
        const ba = Math.sign(compareNodeNames(b, a));
        assert.ok(ab === -ba, `${a} vs ${b}: ${ab} and ${ba}`);
        assert.equal(ab === 0, a === b);
      }),
      { numRuns: 2000 },
    );
  });
  test('sort - property: the order is transitive', () => {
    fc.assert(
      fc.property(name, name, name, (a, b, c) => {
        if (compareNodeNames(a, b) <= 0 && compareNodeNames(b, c) <= 0) assert.ok(compareNodeNames(a, c) <= 0, `${a} <= ${b} <= ${c}`);
      }),
      { numRuns: 3000 },
    );
  });
  test('sort - property: the result does not depend on input order', () => {
    fc.assert(
      fc.property(fc.array(name, { maxLength: 30 }), fc.nat(), (names, seed) => {
        const shuffled = [...names].sort((p, q) => ((p.length * 31 + seed) % 7) - ((q.length * 31 + seed) % 7));
        assert.deepEqual(sortNodes(shuffled), sortNodes(names));
        assert.deepEqual(sortNodes(sortNodes(names)), sortNodes(names));
        assert.deepEqual(new Set(sortNodes(names)), new Set(names));
      }),
    );
  });
  test('sort - property: names differing only in one number follow that number', () => {
    fc.assert(
      fc.property(fc.stringMatching(/^[a-z-]{1,5}$/), fc.nat(), fc.nat(), fc.stringMatching(/^[a-z-]{0,3}$/), (pre, i, j, suf) => {
        const c = compareNodeNames(`${pre}${i}${suf}`, `${pre}${j}${suf}`);
        assert.equal(Math.sign(c), Math.sign(i - j));
      }),
    );
  });
});
