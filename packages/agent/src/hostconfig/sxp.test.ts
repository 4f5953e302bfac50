import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildHostsAllow, editSxp, getSxpValue, parseSxp, renderSxpString } from './sxp.js';
import { HostConfigError } from './errors.js';
import { XEND_CONFIG, XEND_CONFIG_EDITED } from './testdata/samples.js';

const FILE = '/etc/xen/xend-config.sxp';

const PEERS = [
  { name: 'node02.cluster', addresses: ['10.0.0.2'] },
  { name: 'node03.cluster', addresses: ['10.0.0.3', 'fd00::3'] },
];

const RELOCATION = {
  'xend-relocation-server': true,
  'xend-relocation-port': 8002,
  'xend-relocation-address': '10.0.0.1',
  'xend-relocation-hosts-allow': buildHostsAllow(PEERS),
  'vnc-listen': '127.0.0.1',
};

/** Lines of `after` that are not in `before` and vice versa, by position-insensitive multiset. */
function lineChanges(before: string, after: string): { removed: string[]; added: string[] } {
  const count = (t: string): Map<string, number> => {
    const m = new Map<string, number>();
    for (const l of t.split('\n')) m.set(l, (m.get(l) ?? 0) + 1);
    return m;
  };
  const b = count(before);
  const a = count(after);
  const removed: string[] = [];
  const added: string[] = [];
  for (const [l, n] of b) for (let i = a.get(l) ?? 0; i < n; i++) removed.push(l);
  for (const [l, n] of a) for (let i = b.get(l) ?? 0; i < n; i++) added.push(l);
  return { removed, added };
}

test('sxp - parses the stock-like file into top-level expressions', () => {
  const nodes = parseSxp(XEND_CONFIG, FILE);
  const keys = nodes.map((n) => (n.type === 'list' && n.items[0]?.type === 'atom' ? n.items[0].text : '?'));
  assert.deepEqual(keys, [
    'xend-unix-server',
    'xend-unix-xmlrpc-server',
    'xend-relocation-server',
    'xend-relocation-hosts-allow',
    'network-script',
    'vif-script',
    'dom0-min-mem',
    'dom0-cpus',
    'vncpasswd',
  ]);
  // Escapes are decoded: the file's \\. is the regular expression \.
  assert.equal(getSxpValue(XEND_CONFIG, FILE, 'xend-relocation-hosts-allow'), '^localhost$ ^localhost\\.localdomain$');
  assert.equal(getSxpValue(XEND_CONFIG, FILE, 'vncpasswd'), '');
  assert.equal(getSxpValue(XEND_CONFIG, FILE, 'xend-relocation-port'), undefined);
});

test('sxp - relocation edit changes only the lines it must', () => {
  const after = editSxp(XEND_CONFIG, FILE, RELOCATION);
  const { removed, added } = lineChanges(XEND_CONFIG, after);
  assert.deepEqual(removed.sort(), [
    "(xend-relocation-hosts-allow '^localhost$ ^localhost\\\\.localdomain$')",
    '(xend-relocation-server no)',
  ]);
  assert.deepEqual(added.sort(), [
    "(vnc-listen '127.0.0.1')",
    "(xend-relocation-address '10.0.0.1')",
    "(xend-relocation-hosts-allow '^node02\\\\.cluster$ ^10\\\\.0\\\\.0\\\\.2$ ^node03\\\\.cluster$ ^10\\\\.0\\\\.0\\\\.3$ ^fd00::3$')",
    '(xend-relocation-port 8002)',
    '(xend-relocation-server yes)',
  ]);
});

test('sxp - a key only commented out gets its active line right after the commented default', () => {
  const after = editSxp(XEND_CONFIG, FILE, RELOCATION).split('\n');
  const follows = (commented: string, active: string): void => {
    const i = after.indexOf(commented);
    assert.ok(i >= 0, `missing ${commented}`);
    assert.equal(after[i + 1], active);
  };
  follows('#(xend-relocation-port 8002)', '(xend-relocation-port 8002)');
  follows("#(xend-relocation-address '')", "(xend-relocation-address '10.0.0.1')");
  follows("#(vnc-listen '127.0.0.1')", "(vnc-listen '127.0.0.1')");
});

test('sxp - commented default keeps its spacing and a multi-line commented default is stepped over', () => {
  const port = editSxp(XEND_CONFIG, FILE, { 'xend-port': 8080 }).split('\n');
  assert.equal(port[port.indexOf('#(xend-port            8000)') + 1], '(xend-port            8080)');
  const api = editSxp(XEND_CONFIG, FILE, { 'xen-api-server': 'unix' }).split('\n');
  const at = api.indexOf('#                 (unix none)))');
  assert.ok(at > 0);
  assert.equal(api[at + 1], '(xen-api-server unix)');
});

test('sxp - a commented default wins over an example quoted in prose', () => {
  const text = XEND_CONFIG.replace("(xend-relocation-hosts-allow '^localhost$ ^localhost\\\\.localdomain$')\n", '');
  assert.notEqual(text, XEND_CONFIG);
  const after = editSxp(text, FILE, { 'xend-relocation-hosts-allow': '^node02$' }).split('\n');
  const at = after.indexOf("(xend-relocation-hosts-allow '^node02$')");
  assert.equal(after[at - 1], "#(xend-relocation-hosts-allow '')");
  // Without the default, the example line is the only commented copy and the line goes after it.
  const bare = text.replace("#(xend-relocation-hosts-allow '')\n", '');
  const lines = editSxp(bare, FILE, { 'xend-relocation-hosts-allow': '^node02$' }).split('\n');
  assert.match(
    lines[lines.indexOf("(xend-relocation-hosts-allow '^node02$')") - 1] ?? '',
    /^# {2}\(xend-relocation-hosts-allow '\^localhost\$/,
  );
});

test('sxp - a missing key is appended at the end', () => {
  const after = editSxp(XEND_CONFIG, FILE, { 'xend-relocation-ssl-server': false });
  assert.equal(after, `${XEND_CONFIG}(xend-relocation-ssl-server no)\n`);
  const noNewline = editSxp('(a 1)', FILE, { b: 2 });
  assert.equal(noNewline, '(a 1)\n(b 2)\n');
});

test('sxp - applying the same edit twice changes nothing the second time', () => {
  const once = editSxp(XEND_CONFIG, FILE, RELOCATION);
  assert.notEqual(once, XEND_CONFIG);
  const twice = editSxp(once, FILE, RELOCATION);
  assert.equal(twice, once);
  const edited = editSxp(XEND_CONFIG_EDITED, FILE, RELOCATION);
  assert.equal(editSxp(edited, FILE, RELOCATION), edited);
});

test('sxp - duplicates: the last active copy is edited, earlier ones commented out', () => {
  const after = editSxp(XEND_CONFIG_EDITED, FILE, {
    'xend-relocation-server': true,
    'xend-relocation-port': 8002,
    'xend-relocation-address': '10.0.0.1',
  });
  assert.equal(
    after,
    [
      '# local changes',
      '#(xend-relocation-server no)',
      // the earlier port line had its own line: commented out
      '#(xend-relocation-port 8002)',
      "(xen-api-server ((9363 pam '^localhost$')",
      '                 (unix none)))',
      // already yes: left exactly as written, comment included
      '(xend-relocation-server   yes)   # turned on for the migration test',
      // the kept copy shares its line with another key: only the value changes
      '(dom0-cpus 0) (xend-relocation-port 8002)',
      "(xend-relocation-address '10.0.0.1')",
      '',
    ].join('\n'),
  );
  assert.equal(getSxpValue(after, FILE, 'xend-relocation-port'), '8002');
});

test('sxp - a duplicate sharing its line is cut out, leaving its neighbour active', () => {
  const text = '(dom0-cpus 0) (xend-relocation-port 9002)\n(xend-relocation-port 8002)\n';
  const after = editSxp(text, FILE, { 'xend-relocation-port': 8002 });
  assert.equal(after, '(dom0-cpus 0) \n(xend-relocation-port 8002)\n');
});

test('sxp - removing a key comments out every active copy, including multi-line ones', () => {
  const after = editSxp(XEND_CONFIG_EDITED, FILE, { 'xen-api-server': null, 'xend-relocation-server': null });
  assert.match(after, /^#\(xen-api-server \(\(9363 pam '\^localhost\$'\)\n#                 \(unix none\)\)\)$/m);
  assert.match(after, /^#\(xend-relocation-server no\)$/m);
  assert.match(after, /^#\(xend-relocation-server {3}yes\) {3}# turned on for the migration test$/m);
  assert.equal(getSxpValue(after, FILE, 'xend-relocation-server'), undefined);
  assert.equal(getSxpValue(after, FILE, 'dom0-cpus'), '0');
});

test('sxp - boolean values accept the words xend accepts', () => {
  const text = '(xend-relocation-server true)\n';
  assert.equal(editSxp(text, FILE, { 'xend-relocation-server': true }), text);
  assert.equal(editSxp(text, FILE, { 'xend-relocation-server': false }), '(xend-relocation-server no)\n');
});

test('sxp - unbalanced parentheses are an error naming the file and the line', () => {
  const open = '# header\n(xend-relocation-server yes)\n(xend-relocation-port 8002\n(dom0-cpus 0)\n';
  assert.throws(
    () => editSxp(open, FILE, { 'xend-relocation-server': true }),
    (err: unknown) =>
      err instanceof HostConfigError &&
      err.code === 'syntax' &&
      err.file === FILE &&
      err.line === 3 &&
      err.message.startsWith(`${FILE}:3: `),
  );
  const close = '(xend-relocation-server yes)\n\n(dom0-cpus 0))\n';
  assert.throws(
    () => parseSxp(close, FILE),
    (err: unknown) => err instanceof HostConfigError && err.line === 3,
  );
  const quote = "(a 1)\n(vnc-listen '127.0.0.1)\n(b 2)\n";
  assert.throws(
    () => parseSxp(quote, FILE),
    (err: unknown) => err instanceof HostConfigError && err.line === 2 && /unterminated string/.test(err.message),
  );
});

test('sxp - parentheses inside comments and strings do not count', () => {
  const text = "# (an aside\n(network-script 'network-bridge netdev=eth1 (x')  # )) trailing\n";
  assert.equal(getSxpValue(text, FILE, 'network-script'), 'network-bridge netdev=eth1 (x');
  assert.equal(editSxp(text, FILE, { 'network-script': 'network-bridge netdev=eth1 (x' }), text);
});

test('sxp - strings round-trip through the escaper', () => {
  for (const s of ['', 'yes', '10.0.0.1', "it's", 'a\\b', '^a\\.b$ ^c$', 'tab\there']) {
    const text = editSxp('', FILE, { k: s });
    assert.equal(getSxpValue(text, FILE, 'k'), s, `value ${JSON.stringify(s)} written as ${text}`);
  }
  assert.equal(renderSxpString('network-bridge'), 'network-bridge');
  assert.equal(renderSxpString(''), "''");
});

test('sxp - hosts-allow regular expressions admit the peers and nobody else', () => {
  const value = buildHostsAllow(PEERS);
  const text = editSxp(XEND_CONFIG, FILE, { 'xend-relocation-hosts-allow': value });
  // Read back through the file, as xend would, then compile each pattern.
  const patterns = getSxpValue(text, FILE, 'xend-relocation-hosts-allow')!
    .split(/\s+/)
    .map((p) => new RegExp(p));
  const allowed = (host: string): boolean => patterns.some((re) => re.test(host));
  for (const host of ['node02.cluster', '10.0.0.2', 'node03.cluster', '10.0.0.3', 'fd00::3']) {
    assert.ok(allowed(host), `${host} should be allowed`);
  }
  for (const host of [
    'node02xcluster',
    '10.0.0.20',
    '10a0b0c2',
    'evil-node02.cluster',
    'node02.cluster.evil',
    '',
    'localhost',
    '10.0.0.1',
  ]) {
    assert.ok(!allowed(host), `${host} should be refused`);
  }
});

test('sxp - buildHostsAllow refuses an empty list and drops duplicates', () => {
  assert.throws(
    () => buildHostsAllow([]),
    (err: unknown) => err instanceof HostConfigError && err.code === 'invalid-option',
  );
  assert.throws(() => buildHostsAllow([{ name: 'a b', addresses: [] }]), HostConfigError);
  assert.equal(
    buildHostsAllow([
      { name: 'n1', addresses: ['10.0.0.9'] },
      { name: 'n1', addresses: ['10.0.0.9'] },
    ]),
    '^n1$ ^10\\.0\\.0\\.9$',
  );
});
