import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { expandNoderange, NoderangeError, type NoderangeContext } from './index';

/** node01..node20, f1n1..f2n3, a few dashed names, groups by rack and role. */
function fleet(extra: Partial<NoderangeContext> = {}): NoderangeContext {
  const nodes: string[] = [];
  for (let i = 1; i <= 20; i++) nodes.push(`node${String(i).padStart(2, '0')}`);
  for (const f of [1, 2]) for (const n of [1, 2, 3]) nodes.push(`f${f}n${n}`);
  nodes.push('rack1-sw', 'web-1', 'xen1', 'xen2', 'both');
  const groups = new Map<string, string[]>([
    ['all', [...nodes]],
    ['rack1', ['node01', 'node02', 'node03']],
    ['rack2', ['node04', 'node05']],
    ['rack3', ['node06']],
    ['compute', ['node02', 'node03', 'node04', 'node10']],
    ['storage', ['node19', 'node20']],
    ['hyper', ['xen1', 'xen2']],
    ['empty', []],
    ['both', ['node07', 'node08']], // also a node: the node wins
  ]);
  const attrs: Record<string, Record<string, string>> = {
    node01: { 'nodehm.mgt': 'kvm', 'vm.host': 'node01', 'nodehm.cons': 'hmc' },
    node02: { 'nodehm.mgt': 'kvm', 'vm.host': 'node02' },
    node03: { 'nodehm.mgt': 'xen', 'vm.host': 'node012' },
    node04: { 'nodehm.mgt': 'xen', 'vm.host': 'node03', 'nodehm.cons': 'hmc-2' },
  };
  return {
    nodes,
    groups,
    attr: (node, table, column) => attrs[node]?.[`${table}.${column}`],
    ...extra,
  };
}

const x = (expr: string, ctx: NoderangeContext = fleet(), requireKnown = false): string[] => expandNoderange(expr, ctx, { requireKnown });
const n = (...nums: number[]): string[] => nums.map((i) => `node${String(i).padStart(2, '0')}`);
const span = (a: number, b: number): number[] => Array.from({ length: b - a + 1 }, (_, i) => a + i);

function throwsCode(fn: () => unknown, code: string, message?: RegExp): NoderangeError {
  let caught: unknown;
  try {
    fn();
  } catch (e) {
    caught = e;
  }
  assert.ok(caught instanceof NoderangeError, `expected a NoderangeError, got ${String(caught)}`);
  assert.equal(caught.code, code);
  if (message) assert.match(caught.message, message);
  return caught;
}

describe('noderange names and lists', () => {
  test('noderange - a node name expands to itself', () => {
    assert.deepEqual(x('node05'), ['node05']);
  });
  test('noderange - a group expands to its members', () => {
    assert.deepEqual(x('rack1'), n(1, 2, 3));
  });
  test('noderange - an empty group expands to nothing and is known', () => {
    assert.deepEqual(x('empty', fleet(), true), []);
  });
  test('noderange - a comma list is a union, sorted naturally, without duplicates', () => {
    assert.deepEqual(x('node10,node02,rack1,node02'), n(1, 2, 3, 10));
  });
  test('noderange - a name that is both node and group is the node', () => {
    assert.deepEqual(x('both'), ['both']);
  });
  test('noderange - blanks around commas, @ and parentheses are ignored', () => {
    assert.deepEqual(x(' node01 , ( rack1 @ compute ) '), n(1, 2, 3));
  });
  test('noderange - a dashed name that is not a range is a plain name', () => {
    assert.deepEqual(x('rack1-sw,web-1', fleet(), true), ['rack1-sw', 'web-1']);
  });
});

describe('noderange ranges', () => {
  test('noderange - dash range node01-node10', () => {
    assert.deepEqual(x('node01-node10'), n(...span(1, 10)));
  });
  test('noderange - colon range node01:node10', () => {
    assert.deepEqual(x('node01:node10'), n(...span(1, 10)));
  });
  test('noderange - bracket ranges with - and :', () => {
    assert.deepEqual(x('node[01-10]'), n(...span(1, 10)));
    assert.deepEqual(x('node[01:10]'), n(...span(1, 10)));
  });
  test('noderange - bracket lists mix numbers and ranges', () => {
    assert.deepEqual(x('node[01,03,05-07]'), n(1, 3, 5, 6, 7));
  });
  test('noderange - several brackets multiply', () => {
    assert.deepEqual(x('f[1-2]n[1-3]'), ['f1n1', 'f1n2', 'f1n3', 'f2n1', 'f2n2', 'f2n3']);
  });
  test('noderange - padding comes from a leading zero', () => {
    const out = x('node001-node200');
    assert.equal(out.length, 200);
    assert.equal(out[0], 'node001');
    assert.equal(out[9], 'node010');
    assert.equal(out[199], 'node200');
    assert.deepEqual(x('node[008-011]'), ['node008', 'node009', 'node010', 'node011']);
  });
  test('noderange - without a leading zero numbers are unpadded', () => {
    const out = x('node1-node200');
    assert.equal(out.length, 200);
    assert.deepEqual(out.slice(0, 3), ['node1', 'node2', 'node3']);
    assert.equal(out[199], 'node200');
    assert.deepEqual(x('node8-node11'), ['node8', 'node9', 'node10', 'node11']);
  });
  test('noderange - the width is a minimum: node98+3 grows to three digits', () => {
    assert.deepEqual(x('node098-node101'), ['node098', 'node099', 'node100', 'node101']);
    assert.deepEqual(x('node98+3'), ['node98', 'node99', 'node100', 'node101']);
  });
  test('noderange - range ends may contain dashes and a suffix', () => {
    assert.deepEqual(x('node-01-node-03'), ['node-01', 'node-02', 'node-03']);
    assert.deepEqual(x('n1-eth-n3-eth'), ['n1-eth', 'n2-eth', 'n3-eth']);
    assert.deepEqual(x('r1u01-r1u03'), ['r1u01', 'r1u02', 'r1u03']);
  });
  test('noderange - a range with equal ends is one name', () => {
    assert.deepEqual(x('node04-node04'), ['node04']);
  });
  test('noderange - ends differing in two numbers are not a range but one (unknown) name', () => {
    assert.deepEqual(x('f1n1-f2n3'), ['f1n1-f2n3']);
    throwsCode(() => x('f1n1-f2n3', fleet(), true), 'NODERANGE_UNKNOWN', /f1n1-f2n3/);
  });
  test('noderange - ranges of groups expand each group', () => {
    assert.deepEqual(x('rack[1-2]'), n(1, 2, 3, 4, 5));
    assert.deepEqual(x('rack1-rack3'), n(1, 2, 3, 4, 5, 6));
    assert.deepEqual(x('rack1+1'), n(1, 2, 3, 4, 5));
  });
  test('noderange - a range mixing nodes and groups resolves each generated name', () => {
    const ctx = fleet({ groups: new Map([['node03', ['xen1']]]) });
    // node03 is a node, so the group of the same name is not used.
    assert.deepEqual(x('node02-node04', ctx), n(2, 3, 4));
  });
  test('noderange - a name written like a range but defined as a node is the node', () => {
    const ctx = fleet({ nodes: ['a1-a3', 'a1', 'a2', 'a3'] });
    assert.deepEqual(x('a1-a3', ctx), ['a1-a3']);
    const g = fleet({ groups: new Map([['g1-g2', ['node01']]]) });
    assert.deepEqual(x('g1-g2', g), ['node01']);
  });
  test('noderange - increment node10+3 is node10 to node13', () => {
    assert.deepEqual(x('node10+3'), n(10, 11, 12, 13));
    assert.deepEqual(x('node10+0'), n(10));
  });
  test('noderange - increment counts the last number and keeps the suffix', () => {
    assert.deepEqual(x('f1n1+2'), ['f1n1', 'f1n2', 'f1n3']);
    assert.deepEqual(x('r2u08-a+2'), ['r2u08-a', 'r2u09-a', 'r2u10-a']);
  });
  test('noderange - numbers alone stand for node<number>', () => {
    assert.deepEqual(x('10-12'), ['node10', 'node11', 'node12']);
    assert.deepEqual(x('10+3'), n(10, 11, 12, 13));
    assert.deepEqual(x('10:11'), n(10, 11));
    assert.deepEqual(x('[10-11]'), n(10, 11));
    assert.deepEqual(x('15'), n(15));
    assert.deepEqual(x('10-15,-13'), n(10, 11, 12, 14, 15));
  });
  test('noderange - the numeric shorthand keeps padding as written', () => {
    assert.deepEqual(x('01-03'), n(1, 2, 3));
    assert.deepEqual(x('1-3'), ['node1', 'node2', 'node3']);
  });
  test('noderange - the shorthand prefix and suffix are settable', () => {
    const ctx = fleet({ numberPrefix: 'xen', numberSuffix: '-vm' });
    assert.deepEqual(x('1-2', ctx), ['xen1-vm', 'xen2-vm']);
  });
  test('noderange - a number that is itself a node name is that node', () => {
    const ctx = fleet({ nodes: ['7'] });
    assert.deepEqual(x('7,8', ctx), ['7', 'node8']);
  });
  test('noderange - ranges generate new names without requireKnown', () => {
    assert.deepEqual(x('new[1-3]'), ['new1', 'new2', 'new3']);
  });
});

describe('noderange regex', () => {
  test('noderange - /regex matches whole node names', () => {
    assert.deepEqual(x('/node1[0-2]'), n(10, 11, 12));
    assert.deepEqual(x('/node0[345].*'), n(3, 4, 5));
    assert.deepEqual(x('/ode01'), []); // anchored at both ends
  });
  test('noderange - /regex falls back to group names when no node matches', () => {
    assert.deepEqual(x('/rack[12]'), n(1, 2, 3, 4, 5));
    assert.deepEqual(x('/stor.*'), n(19, 20));
  });
  test('noderange - /regex matching nodes ignores groups', () => {
    // rack1-sw is a node, so the rack groups are not consulted.
    assert.deepEqual(x('/rack.*'), ['rack1-sw']);
  });
  test('noderange - /regex may contain commas, @ and parentheses inside its groups', () => {
    assert.deepEqual(x('/node(01|02),node05'), n(1, 2, 5));
    assert.deepEqual(x('/node0{1,2}1'), n(1));
    assert.deepEqual(x('(/xen[12])'), ['xen1', 'xen2']);
  });
  test('noderange - /regex ends at a comma or @ outside its groups', () => {
    assert.deepEqual(x('/node0.*@compute'), n(2, 3, 4));
  });
  test('noderange - a catastrophic pattern returns quickly', () => {
    const ctx = fleet({ nodes: ['a'.repeat(60), `${'a'.repeat(59)}!`] });
    const started = process.hrtime.bigint();
    assert.deepEqual(x('/(a+)+b', ctx), []);
    assert.deepEqual(x('/(a|a)*', ctx), ['a'.repeat(60)]);
    assert.ok(process.hrtime.bigint() - started < 1_000_000_000n, 'took longer than a second');
  });
});

describe('noderange selectors', () => {
  test('noderange - == selects by attribute value', () => {
    assert.deepEqual(x('nodehm.mgt==kvm'), n(1, 2));
    assert.deepEqual(x('nodehm.cons==hmc'), n(1));
  });
  test('noderange - != includes nodes with the attribute unset', () => {
    const out = x('nodehm.mgt!=kvm');
    assert.ok(out.includes('node03') && out.includes('node20') && out.includes('xen1'));
    assert.ok(!out.includes('node01') && !out.includes('node02'));
  });
  test('noderange - =~ searches the value', () => {
    assert.deepEqual(x('vm.host=~node0[12]'), n(1, 2, 3)); // node012 contains node01
    assert.deepEqual(x('vm.host=~^node0[12]$'), n(1, 2));
    assert.deepEqual(x('vm.host=~/^node0[12]$/'), n(1, 2));
    assert.deepEqual(x('nodehm.cons=~hmc'), n(1, 4));
  });
  test('noderange - !~ is the complement of =~ over all nodes', () => {
    const all = x('all');
    const hit = x('vm.host=~node0[12]');
    assert.deepEqual(
      x('vm.host!~node0[12]'),
      all.filter((v) => !hit.includes(v)),
    );
  });
  test('noderange - == with an empty value selects unset attributes', () => {
    assert.deepEqual(x('nodehm.mgt==@rack1'), []);
    assert.deepEqual(x('nodehm.mgt==@rack2'), n(5));
  });
  test('noderange - selectors combine with other entries', () => {
    assert.deepEqual(x('nodehm.mgt==xen@compute'), n(3, 4));
    assert.deepEqual(x('rack1,-nodehm.mgt==kvm'), n(3));
    assert.deepEqual(x('(nodehm.mgt==xen),node10'), n(3, 4, 10));
  });
  test('noderange - selectors need attribute lookup', () => {
    const ctx = fleet();
    delete ctx.attr;
    throwsCode(() => x('nodehm.mgt==kvm', ctx), 'NODERANGE_UNSUPPORTED', /nodehm\.mgt==kvm/);
  });
});

describe('noderange exclusion, intersection and parentheses', () => {
  test('noderange - exclusion wins whatever its position (noderange(3) example 2)', () => {
    assert.deepEqual(x('node01-node10,-node03-node05,node04'), n(1, 2, 6, 7, 8, 9, 10));
  });
  test('noderange - exclusion listed first still applies (example 4)', () => {
    assert.deepEqual(x('-node02-node20,all'), [
      'both',
      'f1n1',
      'f1n2',
      'f1n3',
      'f2n1',
      'f2n2',
      'f2n3',
      'node01',
      'rack1-sw',
      'web-1',
      'xen1',
      'xen2',
    ]);
  });
  test('noderange - several exclusions of groups and ranges (example 6)', () => {
    const out = x('all,-rack1-rack3,-node10-node18,node15,-storage,-hyper');
    assert.deepEqual(out, ['both', 'f1n1', 'f1n2', 'f1n3', 'f2n1', 'f2n2', 'f2n3', ...n(7, 8, 9), 'rack1-sw', 'web-1']);
  });
  test('noderange - a list of exclusions only is empty', () => {
    assert.deepEqual(x('-node01'), []);
  });
  test('noderange - intersection keeps common nodes', () => {
    assert.deepEqual(x('rack1@compute'), n(2, 3));
    assert.deepEqual(x('all@rack1@compute'), n(2, 3));
    assert.deepEqual(x('rack1@rack2'), []);
  });
  test('noderange - @ binds tighter than ,', () => {
    assert.deepEqual(x('rack1@compute,node10'), n(2, 3, 10));
    assert.deepEqual(x('node10,rack1@compute'), n(2, 3, 10));
  });
  test('noderange - exclusion of an intersection', () => {
    assert.deepEqual(x('rack1,rack2,-rack1@compute'), n(1, 4, 5));
  });
  test('noderange - parentheses group a list', () => {
    assert.deepEqual(x('(rack1,rack2)@compute'), n(2, 3, 4));
    assert.deepEqual(x('compute@(node01-node03,-node02)'), n(3));
  });
  test('noderange - exclusion inside parentheses stays inside them', () => {
    assert.deepEqual(x('(rack1,-node02),node02'), n(1, 2, 3));
    assert.deepEqual(x('rack1,(-node02)'), n(1, 2, 3));
    assert.deepEqual(x('rack1,-(node02,node03)'), n(1));
  });
  test('noderange - nested parentheses', () => {
    assert.deepEqual(x('((rack1@compute),(rack2@compute))'), n(2, 3, 4));
  });
});

describe('noderange files', () => {
  const files: Record<string, string> = {
    '/tmp/nodes':
      '#my node list (this line ignored)\n^/tmp/foo #ignored\nnode01    #node comment\nnode02\r\n\n  node10-node12\n/node1[7-8]\n-node11\nrack3 , xen1\n',
    '/tmp/bad': 'node01\nnode[1-\n',
    '/tmp/nested': 'node01,(^/tmp/nodes)\n',
    '/tmp/empty': '# nothing\n\n',
  };
  const ctx = fleet({
    readFile: (path) => {
      const text = files[path];
      if (text === undefined) throw new Error(`ENOENT: no such file '${path}'`);
      return text;
    },
  });
  test('noderange - ^file reads one noderange per line with comments and exclusions', () => {
    assert.deepEqual(x('^/tmp/nodes', ctx), [...n(1, 2, 6, 10, 12, 17, 18), 'xen1']);
  });
  test('noderange - ^file combines with other entries like a parenthesised list', () => {
    assert.deepEqual(x('^/tmp/nodes,node11', ctx), [...n(1, 2, 6, 10, 11, 12, 17, 18), 'xen1']);
    assert.deepEqual(x('^/tmp/nodes@rack1', ctx), n(1, 2));
    assert.deepEqual(x('rack1,-(^/tmp/nodes)', ctx), n(3));
  });
  test('noderange - an empty file expands to nothing', () => {
    assert.deepEqual(x('^/tmp/empty', ctx), []);
  });
  test('noderange - ^file syntax errors name the file and line', () => {
    const e = throwsCode(() => x('node05,^/tmp/bad', ctx), 'NODERANGE_SYNTAX', /line 2 of noderange file '\/tmp\/bad'.*missing '\]'/);
    assert.equal(e.position, 7);
  });
  test('noderange - a file cannot refer to another file inside an entry', () => {
    throwsCode(() => x('^/tmp/nested', ctx), 'NODERANGE_SYNTAX', /cannot refer to another file/);
  });
  test('noderange - an unreadable file is NODERANGE_FILE with the cause', () => {
    const e = throwsCode(() => x('^/tmp/missing', ctx), 'NODERANGE_FILE', /\/tmp\/missing.*ENOENT/);
    assert.ok(e.cause instanceof Error);
  });
  test('noderange - ^file needs a reader', () => {
    throwsCode(() => x('^/tmp/nodes'), 'NODERANGE_UNSUPPORTED', /\^\/tmp\/nodes/);
  });
  test('noderange - a file cannot be excluded', () => {
    throwsCode(() => x('all,-^/tmp/nodes', ctx), 'NODERANGE_SYNTAX', /cannot be excluded/);
  });
});

describe('noderange requireKnown', () => {
  test('noderange - unknown plain names are an error listing all of them', () => {
    const e = throwsCode(() => x('node01,nod02,ghost', fleet(), true), 'NODERANGE_UNKNOWN', /2 unknown nodes or groups: ghost, nod02/);
    assert.deepEqual(e.names, ['ghost', 'nod02']);
  });
  test('noderange - names a range produces must exist', () => {
    const e = throwsCode(() => x('node19-node22', fleet(), true), 'NODERANGE_UNKNOWN');
    assert.deepEqual(e.names, ['node21', 'node22']);
  });
  test('noderange - an unknown name in an exclusion is an error too', () => {
    const e = throwsCode(() => x('all,-nod05', fleet(), true), 'NODERANGE_UNKNOWN', /an unknown node or group: nod05/);
    assert.deepEqual(e.names, ['nod05']);
  });
  test('noderange - the message shows ten names and counts the rest', () => {
    const e = throwsCode(() => x('new[1-25]', fleet(), true), 'NODERANGE_UNKNOWN', /25 unknown .*new10 and 15 more$/);
    assert.equal(e.names?.length, 25);
  });
  test('noderange - a shorthand number is reported with its prefix', () => {
    const e = throwsCode(() => x('99', fleet(), true), 'NODERANGE_UNKNOWN');
    assert.deepEqual(e.names, ['node99']);
  });
  test('noderange - regexes and selectors never produce unknown names', () => {
    assert.deepEqual(x('/nothing.*,nodehm.mgt==none', fleet(), true), []);
  });
  test('noderange - without requireKnown unknown names are returned as written', () => {
    assert.deepEqual(x('node01,ghost,-nod05'), ['ghost', 'node01']);
  });
});

describe('noderange limits', () => {
  test('noderange - a range over the size limit is refused, naming it', () => {
    const e = throwsCode(() => x('node[1-100001]'), 'NODERANGE_TOO_LARGE', /node\[1-100001\].*100001 nodes/);
    assert.equal(e.position, 0);
    throwsCode(() => x('a,f[1-1000]n[1-1000]'), 'NODERANGE_TOO_LARGE', /f\[1-1000\]n\[1-1000\]/);
    throwsCode(() => x('node1+100000'), 'NODERANGE_TOO_LARGE', /node1\+100000/);
    throwsCode(() => x('n1-n1000000000000000000000'), 'NODERANGE_TOO_LARGE');
  });
  test('noderange - a range at the size limit is accepted', () => {
    assert.equal(x('node[1-100000]').length, 100_000);
  });
  test('noderange - many large entries together hit the expansion limit', () => {
    const expr = Array.from({ length: 300 }, (_, i) => `g${i}n[1-100000]`).join(',');
    throwsCode(() => x(expr), 'NODERANGE_TOO_LARGE', /too large to expand/);
  });
  test('noderange - deep nesting is refused', () => {
    throwsCode(() => x(`${'('.repeat(100)}node01${')'.repeat(100)}`), 'NODERANGE_TOO_LARGE', /nested deeper/);
    assert.deepEqual(x(`${'('.repeat(60)}node01${')'.repeat(60)}`), n(1));
  });
  test('noderange - very long ranges are refused', () => {
    throwsCode(() => x(`${'a'.repeat(300)}1-${'a'.repeat(300)}2`), 'NODERANGE_TOO_LARGE', /longer than 255/);
  });
});
