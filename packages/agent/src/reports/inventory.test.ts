import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createLogger } from '@drover/contract';
import { codec, type Inventory__Output } from '@drover/contract';
import { diffInventory, InventoryReporter, type GuestRow } from './inventory.js';

const g = (name: string, over: Partial<GuestRow> = {}): GuestRow => ({
  name,
  uuid: `u-${name}`,
  id: 1,
  state: 'POWER_STATE_ON',
  reason: 'booted',
  memoryMib: 64,
  vcpus: 1,
  cpuTimeNs: 5,
  persistent: true,
  managed: false,
  migrating: false,
  ...over,
});

test('inventory diff - new and changed guests are upserts, missing names are removed, CPU time alone is no change', () => {
  const prev = new Map([
    ['a', g('a')],
    ['b', g('b')],
    ['c', g('c')],
  ]);
  const d = diffInventory(prev, [g('a', { cpuTimeNs: 999 }), g('b', { state: 'POWER_STATE_PAUSED' }), g('d')]);
  assert.deepEqual(
    d.upserts.map((x) => x.name),
    ['b', 'd'],
  );
  assert.deepEqual(d.removed, ['c']);
  assert.deepEqual(diffInventory(prev, [...prev.values()]), { upserts: [], removed: [] });
});

test('inventory reporter - full first, then diffs on base_seq, nothing when nothing changed, full again when asked', async () => {
  let rows = [g('a'), g('b')];
  const sent: Inventory__Output[] = [];
  const cd = codec<Inventory__Output>('Inventory');
  const r = new InventoryReporter({
    host: 'h1',
    bootId: 'boot',
    log: createLogger('test', { level: 'silent' }),
    reconcileMs: 60_000,
    now: () => 42,
    list: async () => rows,
    publish: (subject, data) => {
      assert.equal(subject, 'drover.v1.host.h1.inventory');
      sent.push(cd.decode(data));
    },
  });
  await r.sync('start');
  await r.sync('reconcile');
  rows = [g('a', { state: 'POWER_STATE_OFF', id: -1 })];
  await r.sync('event');
  await r.full('reconnect');
  assert.deepEqual(
    sent.map((s) => [s.seq, s.baseSeq, s.full]),
    [
      [1, 0, true],
      [2, 1, false],
      [3, 0, true],
    ],
  );
  assert.deepEqual(
    sent[1]!.guests.map((x) => [x.name, x.state]),
    [['a', 'POWER_STATE_OFF']],
  );
  assert.deepEqual(sent[1]!.removed, ['b']);
  assert.equal(sent[0]!.bootId, 'boot');
  assert.equal(r.seq, 3);
});

test('inventory reporter - a failed publish makes the next one full', async () => {
  let fail = false;
  const sent: Inventory__Output[] = [];
  const cd = codec<Inventory__Output>('Inventory');
  let rows = [g('a')];
  const r = new InventoryReporter({
    host: 'h1',
    bootId: 'b',
    log: createLogger('test', { level: 'silent' }),
    reconcileMs: 60_000,
    list: async () => rows,
    publish: (_s, data) => {
      if (fail) throw new Error('connection closed');
      sent.push(cd.decode(data));
    },
  });
  await r.sync('start');
  fail = true;
  rows = [g('a'), g('b')];
  await r.sync('event');
  fail = false;
  await r.sync('event');
  assert.deepEqual(
    sent.map((s) => s.full),
    [true, true],
  );
  assert.deepEqual(
    sent[1]!.guests.map((x) => x.name),
    ['a', 'b'],
  );
});
