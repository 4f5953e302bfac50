import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { NoderangeError } from './errors';
import { compilePattern } from './regex';

/** Inputs against which each pattern is checked, compared with RegExp. */
const INPUTS = [
  '',
  'a',
  'b',
  'ab',
  'aab',
  'abab',
  'node01',
  'node1',
  'node012',
  'Node01',
  'x-1_y',
  'a.b',
  'a\nb',
  ' \t',
  'aaaaaaaaaa',
  '{}',
  ']',
  '$^',
];

const PATTERNS = [
  'a',
  'ab',
  'a|b',
  'a*',
  'a+b',
  'a?b',
  '(ab)+',
  '(?:a|b)*',
  'a{2}',
  'a{2,}',
  'a{0,2}b',
  'a{1,3}?',
  '.',
  '.*',
  'node[0-9]+',
  'node0[12]',
  '[^a]*',
  '[a-c.]+',
  '[\\d]+',
  '\\w+',
  '\\W',
  '\\s+',
  '\\S*',
  '\\D+',
  'node\\d{2}',
  'a\\.b',
  'a\\nb',
  '\\x61',
  '\\u0062',
  '^a',
  'b$',
  '^$',
  '(a|ab)(c|bcd)?',
  '[\\]]',
  '\\{\\}',
  '\\$\\^',
  '(a*)*',
  '(a|)+b',
  '[-a]',
  '[a-]+',
  'x-1_y',
  '[\\w-]+',
  'N?ode.*',
];

describe('noderange regex engine', () => {
  for (const source of PATTERNS) {
    test(`regex - '${source}' agrees with RegExp on full match and search`, () => {
      const full = compilePattern(source, 'full');
      const search = compilePattern(source, 'search');
      const reFull = new RegExp(`^(?:${source})$`);
      const reSearch = new RegExp(source);
      for (const input of INPUTS) {
        assert.equal(full.test(input), reFull.test(input), `full ${source} on ${JSON.stringify(input)}`);
        assert.equal(search.test(input), reSearch.test(input), `search ${source} on ${JSON.stringify(input)}`);
      }
    });
  }

  test('regex - property: random patterns from a safe alphabet agree with RegExp', () => {
    // Build small patterns from pieces RegExp and this engine read the same way.
    const atom = fc.constantFrom('a', 'b', '.', '[ab]', '[^a]', '\\d', '(a|b)', '(?:ab)', '(a|)', '1');
    const quant = fc.constantFrom('', '', '*', '+', '?', '{2}', '{0,2}', '{1,}');
    const piece = fc.tuple(atom, quant).map(([a, q]) => a + q);
    const pattern = fc
      .array(piece, { minLength: 1, maxLength: 5 })
      .chain((ps) => fc.constantFrom(ps.join(''), `${ps.join('')}|b`, `^${ps.join('')}`, `${ps.join('')}$`));
    fc.assert(
      fc.property(pattern, fc.stringMatching(/^[ab1]{0,8}$/), (source, input) => {
        assert.equal(compilePattern(source, 'full').test(input), new RegExp(`^(?:${source})$`).test(input));
        assert.equal(compilePattern(source, 'search').test(input), new RegExp(source).test(input));
      }),
      { numRuns: 3000 },
    );
  });

  test('regex - catastrophic patterns run in linear time', () => {
    const input = `${'a'.repeat(5000)}!`;
    const started = process.hrtime.bigint();
    for (const source of ['(a+)+b', '(a|a)*b', '(a*)*b', '(a|aa)+$', '(.*a){20}b', 'a*a*a*a*a*a*a*a*b']) {
      assert.equal(compilePattern(source, 'full').test(input), false, source);
      assert.equal(compilePattern(source, 'search').test(input), false, source);
    }
    assert.ok(process.hrtime.bigint() - started < 2_000_000_000n, 'catastrophic patterns took more than 2 s');
  });

  test('regex - steps are counted', () => {
    const p = compilePattern('a+', 'full');
    assert.equal(p.steps, 0);
    assert.equal(p.test('aaaa'), true);
    const after = p.steps;
    assert.ok(after > 4);
    p.test('aaaa');
    assert.equal(p.steps, after * 2);
  });

  const rejects: [string, RegExp, number][] = [
    ['a(', /missing '\)'/, 2],
    ['a)', /unmatched '\)'/, 1],
    ['[a', /missing '\]'/, 0],
    ['[]', /empty class/, 0],
    ['[b-a]', /out of order/, 2],
    ['[\\d-z]', /single characters/, 3],
    ['*a', /nothing to repeat/, 0],
    ['a{', /repetition/, 1],
    ['a{3,1}', /wrong way round/, 1],
    ['a{1001}', /above 1000/, 1],
    ['^*', /anchor cannot be repeated/, 0],
    ['\\1', /back-references/, 0],
    ['\\b', /word boundaries/, 0],
    ['\\q', /unknown escape/, 0],
    ['\\x4', /hex digits/, 0],
    ['\\01', /octal/, 0],
    ['(?<n>a)', /look-around and named groups/, 0],
    ['a\\', /cannot end with/, 1],
    ['a}', /unmatched '\}'/, 1],
  ];
  for (const [source, message, at] of rejects) {
    test(`regex - '${source}' is rejected with its position`, () => {
      assert.throws(
        () => compilePattern(source, 'full', 10),
        (e: unknown) => {
          assert.ok(e instanceof NoderangeError);
          assert.equal(e.code, 'NODERANGE_SYNTAX');
          assert.match(e.message, message);
          assert.equal(e.position, 10 + at);
          return true;
        },
      );
    });
  }

  test('regex - patterns that unroll too far are refused', () => {
    assert.throws(
      () => compilePattern('(a{1000}){1000}', 'full'),
      (e: unknown) => e instanceof NoderangeError && e.code === 'NODERANGE_TOO_LARGE',
    );
    assert.throws(
      () => compilePattern('a'.repeat(1001), 'full'),
      (e: unknown) => e instanceof NoderangeError && e.code === 'NODERANGE_TOO_LARGE',
    );
  });
});
