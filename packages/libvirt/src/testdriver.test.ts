import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { testHostXml, writeTestHost } from './testdriver';

test('libvirt testdriver - host XML lists domains with run states, pools and volumes', () => {
  const xml = testHostXml({
    domains: [{ name: 'a' }, { name: 'b&c', state: 'shutoff', uuid: '11111111-2222-3333-4444-555555555555' }],
    pools: [{ name: 'p', path: '/x', volumes: { 'v.img': 1024 } }],
  });
  assert.match(xml, /<test:runstate>1<\/test:runstate>/);
  assert.match(xml, /<name>b&amp;c<\/name>/);
  assert.match(xml, /<uuid>11111111-2222-3333-4444-555555555555<\/uuid>\s*<memory>65536<\/memory>/);
  assert.match(xml, /<test:runstate>5<\/test:runstate>/);
  assert.match(xml, /<volume><name>v.img<\/name><capacity>1024<\/capacity>/);
});

test('libvirt testdriver - writeTestHost writes the file and returns its test:/// URI', () => {
  const h = writeTestHost({ domains: [{ name: 'a', state: 'paused' }] });
  try {
    assert.ok(existsSync(h.path));
    assert.equal(h.uri, `test://${h.path}`);
    assert.match(readFileSync(h.path, 'utf8'), /<test:runstate>3<\/test:runstate>/);
  } finally {
    rmSync(h.dir, { recursive: true, force: true });
  }
});
