import { test } from 'node:test';
import assert from 'node:assert/strict';
import { route } from './routes.js';

const L = { tftpDir: '/tftpboot', installDir: '/install' };
const TOKEN = 'abcdefghijklmnopqrstuvwxyz012345';

test('boot routes - generated iPXE scripts, answer files and the callback are recognised', () => {
  assert.deepEqual(route('GET', '/tftpboot/ipxe/node01.ipxe', L), {
    kind: 'file',
    node: 'node01',
    path: '/tftpboot/ipxe/node01.ipxe',
    contentType: 'text/plain; charset=utf-8',
  });
  assert.deepEqual(route('HEAD', '/tftpboot/ipxe/n1.ipxe?ignored=1', L), {
    kind: 'file',
    node: 'n1',
    path: '/tftpboot/ipxe/n1.ipxe',
    contentType: 'text/plain; charset=utf-8',
  });
  assert.deepEqual(route('GET', `/install/autoinst/node01.ks?token=${TOKEN}`, L), {
    kind: 'file',
    node: 'node01',
    path: '/install/autoinst/node01.ks',
    token: TOKEN,
    contentType: 'text/plain; charset=utf-8',
  });
  assert.deepEqual(route('GET', `/install/autoinst/db-2.preseed?token=${TOKEN}`, L), {
    kind: 'file',
    node: 'db-2',
    path: '/install/autoinst/db-2.preseed',
    token: TOKEN,
    contentType: 'text/plain; charset=utf-8',
  });
  assert.deepEqual(route('GET', `/install/callback/node01?token=${TOKEN}`, L), { kind: 'callback', node: 'node01', token: TOKEN });
  // other site directories move the files with them
  assert.equal(route('GET', '/srv/tftp/ipxe/node01.ipxe', { tftpDir: '/srv/tftp', installDir: '/srv/install' }).kind, 'file');
  assert.equal(route('GET', '/tftpboot/ipxe/node01.ipxe', { tftpDir: '/srv/tftp', installDir: '/srv/install' }).kind, 'refuse');
});

test('boot routes - traversal, encodings, directories and other files are refused', () => {
  const refused = [
    '/tftpboot/ipxe/../../etc/passwd',
    '/tftpboot/../etc/passwd',
    '/../etc/passwd',
    '/tftpboot/ipxe/%2e%2e/%2e%2e/etc/passwd',
    '/tftpboot/ipxe/..%2fetc%2fpasswd.ipxe',
    '/tftpboot/ipxe/./node01.ipxe',
    '/tftpboot//ipxe/node01.ipxe',
    '/tftpboot/ipxe/',
    '/tftpboot/ipxe',
    '/tftpboot/',
    '/',
    '',
    '/tftpboot/ipxe/node01.ipxe/',
    '/tftpboot/ipxe/-bad.ipxe',
    '/tftpboot/ipxe/node01.ipxe\u0000',
    '/tftpboot/ipxe/node 01.ipxe',
    '/tftpboot\\ipxe\\node01.ipxe',
    '/tftpboot/pxelinux.cfg/01-52-54-00-00-00-01',
    '/install/rhels9/x86_64/images/pxeboot/vmlinuz',
    '/install/autoinst/',
    '/etc/passwd',
    'http://evil/tftpboot/ipxe/node01.ipxe',
    `/tftpboot/ipxe/${'a'.repeat(64)}.ipxe`,
    `/x?${'a'.repeat(3000)}`,
  ];
  for (const url of refused) {
    const r = route('GET', url, L);
    assert.equal(r.kind, 'refuse', `${JSON.stringify(url)} should be refused, got ${JSON.stringify(r)}`);
  }
  assert.deepEqual(route('POST', '/tftpboot/ipxe/node01.ipxe', L), { kind: 'refuse', status: 405, reason: 'only GET and HEAD are served' });
});

test('boot routes - answer files and the callback need exactly one token', () => {
  for (const q of ['', '?', '?token=', `?token=${TOKEN}&token=${TOKEN}`, `?tok=${TOKEN}`]) {
    for (const p of ['/install/autoinst/node01.ks', '/install/callback/node01']) {
      const r = route('GET', `${p}${q}`, L);
      assert.equal(r.kind, 'refuse', `${p}${q}`);
      assert.equal((r as { status: number }).status, 403);
    }
  }
});
