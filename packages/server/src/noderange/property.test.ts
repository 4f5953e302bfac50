import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { expandNoderange, sortNodes, type NoderangeContext } from './index';

const NODES = [...Array.from({ length: 12 }, (_, i) => `n${i + 1}`), 'n01', 'web-1', 'db1', 'db2'];
const GROUPS = new Map<string, string[]>([
  ['g1', ['n1', 'n2', 'n3', 'n4']],
  ['g2', ['n3', 'n4', 'n5', 'db1']],
  ['g3', ['web-1', 'n12']],
  ['n5', ['db2']], // also a node: the node wins
]);
const ATTR = (node: string, _table: string, column: string): string | undefined =>
  column === 'mgt' ? (node.length % 2 === 0 ? 'kvm' : 'xen') : column === 'host' ? `h${node.length}` : undefined;

const ctx: NoderangeContext = { nodes: NODES, groups: GROUPS, attr: ATTR, readFile: () => 'n1\n-n2\ng2\n' };

/** Valid noderange text over the fixture's names. */
const atom = fc.oneof(
  fc.constantFrom(...NODES, 'g1', 'g2', 'g3', 'n5', 'new7'),
  fc.tuple(fc.integer({ min: 1, max: 12 }), fc.integer({ min: 0, max: 6 })).map(([a, k]) => `n${a}-n${a + k}`),
  fc.tuple(fc.integer({ min: 1, max: 12 }), fc.integer({ min: 0, max: 6 })).map(([a, k]) => `n[${a}:${a + k}]`),
  fc.tuple(fc.integer({ min: 1, max: 12 }), fc.integer({ min: 0, max: 4 })).map(([a, k]) => `n${a}+${k}`),
  fc.constantFrom(
    'g[1-2]',
    'db[1-2]',
    '/n1.*',
    '/g[23]',
    '/(n|db)[13]',
    't.mgt==kvm',
    't.mgt!=kvm',
    't.host=~h[23]',
    't.host!~3',
    '^/f',
    '3-5',
  ),
);
const { expr } = fc.letrec<{ expr: string; item: string; isect: string; primary: string }>((tie) => ({
  expr: fc.array(tie('item'), { minLength: 1, maxLength: 4 }).map((items) => items.join(',')),
  item: fc.tuple(fc.boolean(), tie('isect')).map(([ex, s]) => (ex && !s.startsWith('^') ? `-${s}` : s)),
  isect: fc.array(tie('primary'), { minLength: 1, maxLength: 3 }).map((ps) => ps.join('@')),
  primary: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    atom,
    tie('expr').map((e) => `(${e})`),
  ),
}));

const expand = (e: string, c: NoderangeContext = ctx): string[] => expandNoderange(e, c);

describe('noderange properties', () => {
  test('property - expansion is deterministic, whatever order the context lists nodes and groups in', () => {
    fc.assert(
      fc.property(expr, (e) => {
        const reversed: NoderangeContext = { ...ctx, nodes: [...NODES].reverse(), groups: new Map([...GROUPS].reverse()) };
        assert.deepEqual(expand(e), expand(e));
        assert.deepEqual(expand(e, reversed), expand(e));
      }),
      { numRuns: 500 },
    );
  });

  test('property - results are naturally sorted without duplicates', () => {
    fc.assert(
      fc.property(expr, (e) => {
        const out = expand(e);
        assert.deepEqual(out, sortNodes(out));
        assert.equal(new Set(out).size, out.length);
      }),
      { numRuns: 500 },
    );
  });

  test('property - (a),(b) is the union of a and b', () => {
    fc.assert(
      fc.property(expr, expr, (a, b) => {
        assert.deepEqual(expand(`(${a}),(${b})`), sortNodes([...expand(a), ...expand(b)]));
      }),
      { numRuns: 500 },
    );
  });

  test('property - a,b contains a when b excludes nothing', () => {
    fc.assert(
      fc.property(expr, expr, (a, b) => {
        fc.pre(!b.startsWith('-') && !b.includes(',-'));
        const ab = new Set(expand(`${a},${b}`));
        for (const name of expand(a)) assert.ok(ab.has(name), `${name} of ${a} missing from ${a},${b}`);
      }),
      { numRuns: 200 },
    );
  });

  test('property - a,-(b) shares nothing with b', () => {
    fc.assert(
      fc.property(expr, expr, (a, b) => {
        const bs = new Set(expand(b));
        const out = expand(`${a},-(${b})`);
        assert.deepEqual(
          out.filter((n) => bs.has(n)),
          [],
        );
        // ...and keeps everything else of a.
        assert.deepEqual(
          out,
          expand(a).filter((n) => !bs.has(n)),
        );
      }),
      { numRuns: 500 },
    );
  });

  test('property - (a)@(b) is the intersection of a and b', () => {
    fc.assert(
      fc.property(expr, expr, (a, b) => {
        const bs = new Set(expand(b));
        assert.deepEqual(
          expand(`(${a})@(${b})`),
          expand(a).filter((n) => bs.has(n)),
        );
      }),
      { numRuns: 500 },
    );
  });

  test('property - exclusion wins whatever its place in the list', () => {
    fc.assert(
      fc.property(expr, expr, (a, b) => {
        assert.deepEqual(expand(`-(${b}),${a}`), expand(`${a},-(${b})`));
      }),
      { numRuns: 300 },
    );
  });

  test('property - padded ranges round-trip in every form', () => {
    const empty: NoderangeContext = { nodes: [], groups: new Map() };
    fc.assert(
      fc.property(
        fc.stringMatching(/^[a-z][a-z-]{0,5}[a-z]$/),
        fc.integer({ min: 2, max: 5 }),
        fc.integer({ min: 0, max: 900 }),
        fc.integer({ min: 0, max: 150 }),
        (prefix, width, from, count) => {
          const to = from + count;
          if (String(to).length > width) return;
          const pad = (i: number): string => String(i).padStart(width, '0');
          const want = Array.from({ length: count + 1 }, (_, i) => `${prefix}${pad(from + i)}`);
          // The width is only known from a leading zero, so the lower end must have one.
          if (!pad(from).startsWith('0')) return;
          assert.deepEqual(expand(`${prefix}${pad(from)}-${prefix}${pad(to)}`, empty), want);
          assert.deepEqual(expand(`${prefix}${pad(from)}:${prefix}${pad(to)}`, empty), want);
          assert.deepEqual(expand(`${prefix}[${pad(from)}-${pad(to)}]`, empty), want);
          assert.deepEqual(expand(`${prefix}${pad(from)}+${count}`, empty), want);
        },
      ),
      { numRuns: 500 },
    );
  });

  test('property - unpadded ranges produce plain numbers', () => {
    const empty: NoderangeContext = { nodes: [], groups: new Map() };
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 5000 }), fc.integer({ min: 0, max: 120 }), (from, count) => {
        const want = Array.from({ length: count + 1 }, (_, i) => `vm${from + i}`);
        assert.deepEqual(expand(`vm${from}-vm${from + count}`, empty), want);
        assert.deepEqual(expand(`vm[${from}-${from + count}]`, empty), want);
      }),
      { numRuns: 300 },
    );
  });
});
