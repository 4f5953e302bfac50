import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { expandNoderange, NoderangeError, parseNoderange, sortNodes, type NoderangeContext } from './index';

const nodes = ['node1', 'node2', 'node01', 'node10', 'a-1', 'b2c3', '7'];
const ctx: NoderangeContext = {
  nodes,
  groups: new Map([
    ['g1', ['node1', 'node2']],
    ['node1', ['b2c3']],
    ['[x]', ['a-1']],
  ]),
  attr: (node, table, column) => (table === 't' ? `${column}:${node}` : undefined),
  // A file's content is itself fuzzed text (by path), so file parsing is exercised too.
  readFile: (path) => {
    if (path.includes('x')) throw new Error(`no file ${path}`);
    return `${path}\n# c\n-${path.split('').reverse().join('')}\nnode[1-3]\n`;
  },
};

/** Strings rich in noderange punctuation, plus arbitrary text. */
const grammarChars = fc.constantFrom(
  ...'abn01239-:+[],@()^/=!~.*#?{}|\\ \t\n$_'.split(''),
  'node',
  'g1',
  't.c',
  '==',
  '=~',
  '!~',
  '!=',
  '[1-3]',
  '(?:',
  '+5',
  '-node',
  '99999',
);
/** Mostly well-formed: real entries joined by real (or slightly wrong) operators. */
const entry = fc.constantFrom(
  'node1',
  'g1',
  'node[1-3]',
  'node[01-10]',
  'f[1-2]n[1-3]',
  'node1-node5',
  'node01:node10',
  'node1+2',
  '10-12',
  '7',
  '/node.*',
  '/(a|b)+',
  't.c==c:node1',
  't.c=~node[12]$',
  't.c!~1',
  't.c!=x',
  '^/f',
  '^/x',
  'a-1',
  'ghost',
  '[x]',
);
const joiner = fc.constantFrom(',', ',', ',-', '@', ',(', ')', '(', ' , ', '', '-', '@-', ',^');
const structured = fc
  .array(fc.tuple(joiner, entry), { minLength: 1, maxLength: 6 })
  .map((parts) => parts.map(([j, e], i) => (i === 0 ? e : j + e)).join(''));
const fuzzed = fc.oneof(
  { weight: 3, arbitrary: structured },
  { weight: 3, arbitrary: fc.array(grammarChars, { maxLength: 24 }).map((cs) => cs.join('')) },
  { weight: 1, arbitrary: fc.string({ maxLength: 40, unit: 'binary' }) },
  { weight: 1, arbitrary: fc.string({ maxLength: 40 }) },
);

/** One case: a sorted distinct array or a NoderangeError, in bounded time. */
function check(expr: string, requireKnown: boolean): void {
  const started = process.hrtime.bigint();
  try {
    const out = expandNoderange(expr, ctx, { requireKnown });
    assert.ok(Array.isArray(out));
    assert.deepEqual(out, sortNodes(out), `unsorted result for ${JSON.stringify(expr)}`);
  } catch (e) {
    if (!(e instanceof NoderangeError)) {
      assert.fail(`${JSON.stringify(expr)} threw ${e instanceof Error ? `${e.name}: ${e.message}` : String(e)}`);
    }
    assert.equal(typeof e.message, 'string');
    assert.ok(e.message.length > 0);
  }
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  assert.ok(ms < 1000, `${JSON.stringify(expr)} took ${ms.toFixed(0)} ms`);
}

describe('noderange fuzz', () => {
  test('fuzz - random strings expand to a sorted list or throw NoderangeError', () => {
    fc.assert(
      fc.property(fuzzed, fc.boolean(), (expr, requireKnown) => check(expr, requireKnown)),
      { numRuns: 5000, seed: 20240611 },
    );
  });

  test('fuzz - random strings with a fresh seed', () => {
    // A different sample each run; a failure prints its seed for replay.
    fc.assert(
      fc.property(fuzzed, fc.boolean(), (expr, requireKnown) => check(expr, requireKnown)),
      { numRuns: 2000 },
    );
  });

  test('fuzz - parser errors always carry a position inside the input', () => {
    fc.assert(
      fc.property(fuzzed, (expr) => {
        try {
          parseNoderange(expr);
        } catch (e) {
          assert.ok(e instanceof NoderangeError, String(e));
          if (e.code === 'NODERANGE_SYNTAX') {
            assert.ok(
              e.position !== undefined && e.position >= 0 && e.position <= expr.length,
              `position ${e.position} for ${JSON.stringify(expr)}`,
            );
          }
        }
      }),
      { numRuns: 3000, seed: 77 },
    );
  });
});
