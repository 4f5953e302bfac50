import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { NoderangeError, parseNoderange, type Primary } from './index';

/** The single primary of a one-entry noderange. */
function only(expr: string): Primary {
  const ast = parseNoderange(expr);
  assert.equal(ast.items.length, 1);
  const item = ast.items[0]!;
  assert.equal(item.exclude, false);
  assert.notEqual(item.expr.kind, 'intersect');
  return item.expr as Primary;
}

function syntaxError(expr: string, position: number, message: RegExp): void {
  assert.throws(
    () => parseNoderange(expr),
    (e: unknown) => {
      assert.ok(e instanceof NoderangeError, `not a NoderangeError: ${String(e)}`);
      assert.equal(e.code, 'NODERANGE_SYNTAX');
      assert.equal(e.position, position, `position for ${JSON.stringify(expr)}: ${e.message}`);
      assert.match(e.message, message);
      assert.match(e.message, new RegExp(`column ${position + 1}`));
      return true;
    },
  );
}

describe('noderange parser', () => {
  test('parser - a plain name', () => {
    assert.deepEqual(only('node01'), { kind: 'name', pos: 0, text: 'node01' });
  });
  test('parser - a dash range with padding', () => {
    assert.deepEqual(only('node001-node200'), {
      kind: 'range',
      pos: 0,
      text: 'node001-node200',
      form: '-',
      prefix: 'node',
      suffix: '',
      span: { from: '001', to: '200', width: 3 },
    });
  });
  test('parser - an unpadded range has width 0', () => {
    const r = only('node1-node200');
    assert.ok(r.kind === 'range');
    assert.deepEqual(r.span, { from: '1', to: '200', width: 0 });
  });
  test('parser - a colon range keeps its suffix', () => {
    assert.deepEqual(only('r1u01-eth:r1u10-eth'), {
      kind: 'range',
      pos: 0,
      text: 'r1u01-eth:r1u10-eth',
      form: ':',
      prefix: 'r1u',
      suffix: '-eth',
      span: { from: '01', to: '10', width: 2 },
    });
  });
  test('parser - an increment becomes a range from the last number', () => {
    assert.deepEqual(only('f1n08+3'), {
      kind: 'range',
      pos: 0,
      text: 'f1n08+3',
      form: '+',
      prefix: 'f1n',
      suffix: '',
      span: { from: '08', to: '11', width: 2 },
    });
  });
  test('parser - brackets become a pattern of literal parts and number lists', () => {
    assert.deepEqual(only('f[1-2]n[01,03:04]'), {
      kind: 'pattern',
      pos: 0,
      text: 'f[1-2]n[01,03:04]',
      parts: [
        'f',
        [{ from: '1', to: '2', width: 0 }],
        'n',
        [
          { from: '01', to: '01', width: 2 },
          { from: '03', to: '04', width: 2 },
        ],
      ],
    });
  });
  test('parser - a dashed name without a range shape stays a name', () => {
    assert.deepEqual(only('rack1-sw'), { kind: 'name', pos: 0, text: 'rack1-sw' });
    assert.deepEqual(only('a-b-c'), { kind: 'name', pos: 0, text: 'a-b-c' });
    assert.deepEqual(only('node1-ipmi'), { kind: 'name', pos: 0, text: 'node1-ipmi' });
  });
  test('parser - regex, file and selector entries', () => {
    assert.deepEqual(only('/node[345].*'), { kind: 'regex', pos: 0, source: 'node[345].*' });
    assert.deepEqual(only('^/tmp/nodes'), { kind: 'file', pos: 0, path: '/tmp/nodes' });
    assert.deepEqual(only('nodehm.mgt==kvm'), { kind: 'selector', pos: 0, table: 'nodehm', column: 'mgt', op: '==', value: 'kvm' });
    assert.deepEqual(only('vm.host=~/node0[12]/'), { kind: 'selector', pos: 0, table: 'vm', column: 'host', op: '=~', value: 'node0[12]' });
    assert.deepEqual(only('vm.host!~a{1,2}'), { kind: 'selector', pos: 0, table: 'vm', column: 'host', op: '!~', value: 'a{1,2}' });
    assert.deepEqual(only('nodetype.os!=rhels5.3'), {
      kind: 'selector',
      pos: 0,
      table: 'nodetype',
      column: 'os',
      op: '!=',
      value: 'rhels5.3',
    });
  });
  test('parser - exclusion, intersection and parentheses', () => {
    const ast = parseNoderange('a,-b@c,(d,-e)');
    assert.equal(ast.items.length, 3);
    const [a, bc, de] = ast.items;
    assert.deepEqual(a, { pos: 0, exclude: false, expr: { kind: 'name', pos: 0, text: 'a' } });
    assert.deepEqual(bc, {
      pos: 2,
      exclude: true,
      expr: {
        kind: 'intersect',
        pos: 3,
        operands: [
          { kind: 'name', pos: 3, text: 'b' },
          { kind: 'name', pos: 5, text: 'c' },
        ],
      },
    });
    assert.equal(de?.expr.kind, 'list');
    assert.equal(de?.expr.pos, 7);
    assert.deepEqual(de?.expr.kind === 'list' ? de.expr.items.map((i) => i.exclude) : [], [false, true]);
  });
  test('parser - commas inside brackets and regex groups do not split entries', () => {
    const ast = parseNoderange('node[1,2],/a(b,c)|d{1,2},x');
    assert.deepEqual(
      ast.items.map((i) => i.expr.kind),
      ['pattern', 'regex', 'name'],
    );
  });
  test('parser - the AST is plain JSON', () => {
    const ast = parseNoderange('f[1-2]n[1-3],-node1+2@(vm.host=~x,/y),^/f');
    assert.deepEqual(JSON.parse(JSON.stringify(ast)), ast);
  });
});

describe('noderange parser errors', () => {
  test('parser - empty input and empty entries', () => {
    syntaxError('', 0, /empty/);
    syntaxError('  ', 2, /empty/);
    syntaxError('a,,b', 2, /expected a node or group name.*before ','/);
    syntaxError('a,', 2, /ends where an entry was expected/);
    syntaxError(',a', 0, /before ','/);
    syntaxError('a@', 2, /ends where an entry was expected/);
    syntaxError('()', 1, /empty parentheses/);
  });
  test('parser - parentheses must balance', () => {
    syntaxError('(a,b', 4, /missing '\)' for the '\(' at column 1/);
    syntaxError('a)', 1, /'\)' without a matching '\('/);
    syntaxError('(a b)', 3, /expected ',', '@' or '\)' before 'b'/);
  });
  test('parser - exclusion forms', () => {
    syntaxError('--a', 1, /excluded only once/);
    syntaxError('a,-', 3, /'-' must be followed/);
    syntaxError('a@-b', 2, /'-' excludes a whole entry.*a@\(b,-c\)/);
    syntaxError('-^/tmp/f', 1, /file \(\^path\) cannot be excluded/);
  });
  test('parser - brackets', () => {
    syntaxError('node[1-', 4, /missing '\]'/);
    syntaxError('node1]', 5, /'\]' without a matching '\['/);
    syntaxError('node[a-b]', 5, /inside \[\.\.\.\] write numbers.*node\[01-10\]/);
    syntaxError('node[1,x]', 7, /inside \[\.\.\.\]/);
    syntaxError('node[[1]]', 5, /nested/);
    syntaxError('node[5-1]', 5, /counts down/);
    syntaxError('node[1-2]+3', 9, /'\+' cannot be combined with \[\.\.\.\]/);
  });
  test('parser - ranges', () => {
    syntaxError('node5-node1', 0, /counts down; write the lower end first: node1-node5/);
    syntaxError('a:b:c', 1, /one ':' between two names/);
    syntaxError('node1:rack5', 0, /same name with one number differing.*node01:node10/);
    syntaxError('node+3', 0, /no number to count from.*node10\+3/);
    syntaxError('node1+x', 5, /'\+' must be followed by a count/);
    syntaxError('node1+2+3', 5, /count/);
  });
  test('parser - characters that are not part of names', () => {
    syntaxError('node*', 4, /not a wildcard.*\/node\.\*/);
    syntaxError('nodehm.mgt=kvm', 10, /table\.column==value/);
    syntaxError('mgt==kvm', 3, /table\.column==value/);
    syntaxError('node#1', 4, /unexpected '#'/);
    syntaxError('a(b)', 1, /can only start an entry/);
  });
  test('parser - regex and file entries need content', () => {
    syntaxError('/', 1, /regular expression/);
    syntaxError('^', 1, /file path/);
    syntaxError('/a(', 3, /missing '\)'/);
    syntaxError('/(a', 3, /missing '\)' for the '\(' at column 2/);
    syntaxError('/a**', 3, /nothing to repeat/);
    syntaxError('/a\\1', 2, /back-references/);
    syntaxError('vm.host=~(?=x)', 9, /look-around/);
  });
  test('parser - inside a file other files are refused', () => {
    assert.throws(
      () => parseNoderange('a,^/x', { allowFile: false, where: 'line 4 of f' }),
      (e: unknown) => {
        assert.ok(e instanceof NoderangeError);
        assert.equal(e.code, 'NODERANGE_SYNTAX');
        assert.match(e.message, /^line 4 of f 'a,\^\/x', column 3: a file cannot refer to another file/);
        return true;
      },
    );
  });
  test('parser - input and nesting limits', () => {
    assert.throws(
      () => parseNoderange('a'.repeat(1_000_001)),
      (e: unknown) => e instanceof NoderangeError && e.code === 'NODERANGE_TOO_LARGE',
    );
    assert.throws(
      () => parseNoderange(`${'('.repeat(65)}a${')'.repeat(65)}`),
      (e: unknown) => e instanceof NoderangeError && e.code === 'NODERANGE_TOO_LARGE' && e.position === 64,
    );
  });
});
