import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createLogger } from '@drover/contract';
import { codec, type GuestEvent__Output } from '@drover/contract';
import type { LifecycleEventInfo } from '@drover/libvirt';
import { EventBuffer, EventPublisher } from './events.js';

const ev = (name: string, eventName = 'STARTED', detailName = 'BOOTED'): LifecycleEventInfo => ({
  type: 'lifecycle',
  domain: { name, uuid: `u-${name}`, id: 1 },
  event: 2,
  detail: 0,
  eventName,
  detailName,
});
const cd = codec<GuestEvent__Output>('GuestEvent');

test('event buffer - overflow drops what waits and remembers the gap', () => {
  const b = new EventBuffer<number>(3);
  for (const n of [1, 2, 3]) b.push(n);
  assert.equal(b.gap, false);
  b.push(4);
  assert.equal(b.gap, true);
  assert.equal(b.length, 1);
  assert.equal(b.peek(), 4);
  assert.equal(b.takeGap(), true);
  assert.equal(b.gap, false);
});

test('event publisher - ids are boot id + sequence, sent in order, kept while NATS is away', async () => {
  let up = false;
  const sent: { data: GuestEvent__Output; id: string }[] = [];
  let gaps = 0;
  const p = new EventPublisher({
    host: 'h1',
    bootId: 'boot1',
    log: createLogger('test', { level: 'silent' }),
    max: 100,
    retryMs: 5,
    publish: async (subject, data, id) => {
      assert.equal(subject, 'drover.v1.host.h1.event');
      if (!up) throw new Error('no responders');
      sent.push({ data: cd.decode(data), id });
    },
    onGap: () => gaps++,
  });
  p.record(ev('a'));
  p.record(ev('b', 'SUSPENDED', 'PAUSED'));
  await new Promise((r) => setTimeout(r, 20));
  assert.equal(sent.length, 0);
  assert.equal(p.buffer.length, 2);
  up = true;
  await new Promise((r) => setTimeout(r, 30));
  assert.deepEqual(
    sent.map((s) => [s.id, s.data.guest, s.data.kind, s.data.state]),
    [
      ['boot1-1', 'a', 'started', 'POWER_STATE_ON'],
      ['boot1-2', 'b', 'suspended', 'POWER_STATE_PAUSED'],
    ],
  );
  assert.equal(sent[0]!.data.eventId, 'boot1-1');
  assert.equal(gaps, 0);
  p.stop();
});

test('event publisher - an overflow sends a gap marker first, asks for a full inventory, then the newer events', async () => {
  let up = false;
  const sent: GuestEvent__Output[] = [];
  let gapAt = -1;
  const p = new EventPublisher({
    host: 'h1',
    bootId: 'b',
    log: createLogger('test', { level: 'silent' }),
    max: 3,
    retryMs: 5,
    publish: async (_s, data) => {
      if (!up) throw new Error('disconnected');
      sent.push(cd.decode(data));
    },
    onGap: () => {
      gapAt = sent.length;
    },
  });
  for (const n of ['a', 'b', 'c', 'd', 'e']) p.record(ev(n));
  await new Promise((r) => setTimeout(r, 10));
  up = true;
  await p.pump();
  assert.equal(sent[0]!.gap, true);
  assert.equal(sent[0]!.kind, 'gap');
  assert.equal(gapAt, 1, 'the full inventory is asked for right after the gap marker');
  assert.deepEqual(
    sent.slice(1).map((s) => s.guest),
    ['d', 'e'],
  );
  p.stop();
});
