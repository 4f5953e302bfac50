import { test } from 'node:test';
import assert from 'node:assert/strict';
import { UserFacingError } from '@drover/contract';
import { inlineNoderangeFiles } from './noderange-file.js';
import { toCsv } from './tabdump.js';

const files: Record<string, string> = {
  '/a': 'node1\n# comment\nnode2 # trailing\n\n^/b\n-node3\n',
  '/b': 'other\n',
  '/empty': '# nothing\n\n',
};
const read = (p: string): string => {
  const t = files[p];
  if (t === undefined) throw new Error('ENOENT: no such file');
  return t;
};

test('noderange file - ^file entries become their lines in parentheses', () => {
  assert.equal(inlineNoderangeFiles('^/a', read), '(node1,node2,-node3)');
  assert.equal(inlineNoderangeFiles('web,^/b@rack1', read), 'web,(other)@rack1');
  assert.equal(inlineNoderangeFiles('( ^/b ),x', read), '( (other) ),x');
});

test('noderange file - a ^ inside a regex, a selector or after - is left to the server', () => {
  for (const expr of ['/^node[12]', 'vm.host=~^hv0', 'vm.host==^x', '-^/a', 'a,/(^b|c),d']) {
    assert.equal(inlineNoderangeFiles(expr, read), expr, expr);
  }
});

test('noderange file - unreadable and empty files are one-line errors', () => {
  assert.throws(
    () => inlineNoderangeFiles('^/missing', read),
    (e: unknown) => e instanceof UserFacingError && /cannot read noderange file '\/missing'/.test(e.message),
  );
  assert.throws(
    () => inlineNoderangeFiles('x,^/empty', read),
    (e: unknown) => e instanceof UserFacingError && /names no nodes/.test(e.message),
  );
});

test('tabdump csv - header, quoted values, doubled quotes, empty unset values', () => {
  assert.equal(
    toCsv(
      ['node', 'groups', 'comments'],
      [
        ['n1', 'a,b', ''],
        ['n2', '', 'say "hi"'],
      ],
    ),
    '#node,groups,comments\n"n1","a,b",\n"n2",,"say ""hi"""\n',
  );
});
