import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createLogger } from '@drover/contract';
import { InventoryStore } from './store.js';
import type { GuestStatus__Output } from '@drover/contract';

const log = createLogger('test', { level: 'silent' });
function g(name: string, state: GuestStatus__Output['state'] = 'POWER_STATE_ON'): GuestStatus__Output {
  return {
    name,
    uuid: `u-${name}`,
    id: 1,
    state,
    reason: '',
    memoryMib: 64,
    vcpus: 1,
    cpuTimeNs: 0,
    persistent: true,
    managed: true,
    migrating: false,
  };
}
const inv = (o: Partial<Parameters<InventoryStore['applyInventory']>[0]>) => ({
  host: 'h1',
  seq: 1,
  baseSeq: 0,
  full: false,
  guests: [],
  removed: [],
  timeMs: 0,
  bootId: 'b1',
  ...o,
});

test('inventory - a full inventory replaces, diffs apply in sequence', () => {
  const s = new InventoryStore(log);
  s.applyInventory(inv({ full: true, seq: 5, guests: [g('a'), g('b')] }));
  s.applyInventory(inv({ seq: 6, baseSeq: 5, guests: [g('c')], removed: ['a'] }));
  assert.deepEqual([...s.host('h1')!.guests.keys()].sort(), ['b', 'c']);
  assert.equal(s.needResync.size, 0);
});

test('inventory - a diff that skips a sequence number asks for a resync and is not applied', () => {
  const s = new InventoryStore(log);
  s.applyInventory(inv({ full: true, seq: 5, guests: [g('a')] }));
  s.applyInventory(inv({ seq: 8, baseSeq: 7, guests: [g('z')] }));
  assert.ok(s.needResync.has('h1'));
  assert.deepEqual([...s.host('h1')!.guests.keys()], ['a']);
  s.replace('h1', [g('a'), g('z')], 8, 'b1');
  assert.equal(s.needResync.size, 0);
});

test('inventory - a new boot id or a gap marker asks for a resync', () => {
  const s = new InventoryStore(log);
  s.applyInventory(inv({ full: true, seq: 2, guests: [g('a')] }));
  s.applyInventory(inv({ seq: 3, baseSeq: 2, bootId: 'b2' }));
  assert.ok(s.needResync.has('h1'));
  const t = new InventoryStore(log);
  t.applyInventory(inv({ full: true, seq: 2 }));
  t.applyEvent({
    host: 'h1',
    eventId: 'x',
    timeMs: 0,
    guest: '',
    uuid: '',
    kind: '',
    detail: '',
    state: 'POWER_STATE_UNSPECIFIED',
    gap: true,
  });
  assert.ok(t.needResync.has('h1'));
});

test('inventory - heartbeats ahead of what we have, or from an unknown host, ask for a resync', () => {
  const s = new InventoryStore(log);
  s.checkSeq('h9', 'b', 0);
  assert.ok(s.needResync.has('h9'));
  s.applyInventory(inv({ full: true, seq: 4 }));
  s.checkSeq('h1', 'b1', 4);
  assert.ok(!s.needResync.has('h1'));
  s.checkSeq('h1', 'b1', 5);
  assert.ok(s.needResync.has('h1'));
});

test('inventory - events update a state at once; whereIs finds a guest on every host that has it', () => {
  const s = new InventoryStore(log);
  s.applyInventory(inv({ full: true, seq: 1, guests: [g('a')] }));
  s.applyInventory(inv({ host: 'h2', full: true, seq: 1, guests: [g('a', 'POWER_STATE_OFF')] }));
  s.applyEvent({
    host: 'h1',
    eventId: 'e1',
    timeMs: 0,
    guest: 'a',
    uuid: 'u-a',
    kind: 'suspended',
    detail: 'paused',
    state: 'POWER_STATE_PAUSED',
    gap: false,
  });
  assert.equal(s.host('h1')!.guests.get('a')!.state, 'POWER_STATE_PAUSED');
  assert.deepEqual(
    s
      .whereIs('a')
      .map((x) => x.host)
      .sort(),
    ['h1', 'h2'],
  );
  s.applyEvent({
    host: 'h2',
    eventId: 'e2',
    timeMs: 0,
    guest: 'a',
    uuid: 'u-a',
    kind: 'undefined',
    detail: '',
    state: 'POWER_STATE_UNSPECIFIED',
    gap: false,
  });
  assert.deepEqual(
    s.whereIs('a').map((x) => x.host),
    ['h1'],
  );
});
