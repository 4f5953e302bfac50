// Domain events of @drover/libvirt on libvirt's test driver, which raises lifecycle events in
// process; they travel through the binding's one event loop thread to the Connection.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import {
  Connection,
  DomainEventDefinedDetailType,
  DomainEventType,
  DomainEventResumedDetailType,
  DomainEventStartedDetailType,
  DomainEventStoppedDetailType,
  DomainEventSuspendedDetailType,
  DomainEventUndefinedDetailType,
  writeTestHost,
  type ConnectionEvent,
  type LifecycleEventInfo,
} from '@drover/libvirt';

async function withHost(fn: (c: Connection) => Promise<void>, events = true): Promise<void> {
  const h = writeTestHost({ domains: [{ name: 'ev1' }, { name: 'ev2', state: 'shutoff' }] });
  const c = await Connection.open(h.uri, { events });
  try {
    await fn(c);
  } finally {
    await c.close();
    rmSync(h.dir, { recursive: true, force: true });
  }
}

function collector(c: Connection) {
  const seen: LifecycleEventInfo[] = [];
  const waiters: (() => void)[] = [];
  c.on('lifecycle', (ev) => {
    seen.push(ev);
    for (const w of waiters.splice(0)) w();
  });
  return {
    seen,
    async waitFor(n: number, ms = 3000): Promise<LifecycleEventInfo[]> {
      const deadline = Date.now() + ms;
      while (seen.length < n) {
        const left = deadline - Date.now();
        if (left <= 0)
          assert.fail(
            `expected ${n} lifecycle events, got ${seen.length}: ${JSON.stringify(seen.map((e) => `${e.eventName}/${e.detailName}`))}`,
          );
        await new Promise<void>((r) => {
          const t = setTimeout(r, left);
          waiters.push(() => {
            clearTimeout(t);
            r();
          });
        });
      }
      return seen;
    },
  };
}

test('libvirt events - lifecycle events carry typed event and detail', async () => {
  await withHost(async (c) => {
    const col = collector(c);
    const d = await c.lookupDomainByName('ev1');
    await d.suspend();
    await d.resume();
    await d.destroy();
    await d.start();
    const evs = await col.waitFor(4);
    assert.deepEqual(
      evs.map((e) => [e.event, e.detail]),
      [
        [DomainEventType.SUSPENDED, DomainEventSuspendedDetailType.PAUSED],
        [DomainEventType.RESUMED, DomainEventResumedDetailType.UNPAUSED],
        [DomainEventType.STOPPED, DomainEventStoppedDetailType.DESTROYED],
        [DomainEventType.STARTED, DomainEventStartedDetailType.BOOTED],
      ],
    );
    assert.deepEqual(
      evs.map((e) => `${e.eventName}/${e.detailName}`),
      ['SUSPENDED/PAUSED', 'RESUMED/UNPAUSED', 'STOPPED/DESTROYED', 'STARTED/BOOTED'],
    );
    for (const e of evs) {
      assert.equal(e.type, 'lifecycle');
      assert.equal(e.domain.name, 'ev1');
      assert.equal(e.domain.uuid, d.uuid);
    }
  });
});

test('libvirt events - define and undefine raise DEFINED/ADDED and UNDEFINED/REMOVED', async () => {
  await withHost(async (c) => {
    const col = collector(c);
    const d = await c.defineDomain(`<domain type='test'><name>newbie</name><memory>65536</memory><os><type>hvm</type></os></domain>`);
    await d.undefine();
    const evs = await col.waitFor(2);
    assert.deepEqual(
      evs.map((e) => [e.domain.name, e.event, e.detail]),
      [
        ['newbie', DomainEventType.DEFINED, DomainEventDefinedDetailType.ADDED],
        ['newbie', DomainEventType.UNDEFINED, DomainEventUndefinedDetailType.REMOVED],
      ],
    );
  });
});

test('libvirt events - the generic event stream and the async iterator see the same events', async () => {
  await withHost(async (c) => {
    const generic: string[] = [];
    c.on('event', (e) => generic.push(e.type));
    const it = c.events();
    const d = await c.lookupDomainByName('ev2');
    await d.start();
    await d.shutdown();
    const got: ConnectionEvent[] = [];
    for await (const ev of it) {
      got.push(ev);
      if (got.length === 2) break;
    }
    assert.deepEqual(
      got.map((e) => (e.type === 'lifecycle' ? e.eventName : e.type)),
      ['STARTED', 'STOPPED'],
    );
    assert.deepEqual(generic, ['lifecycle', 'lifecycle']);
  });
});

test('libvirt events - the iterator ends when the connection closes', async () => {
  const h = writeTestHost({ domains: [{ name: 'x' }] });
  const c = await Connection.open(h.uri);
  const it = c.events();
  const pending = it.next();
  await c.close();
  assert.deepEqual(await pending, { value: undefined, done: true });
  assert.equal((await c.events().next()).done, true);
  rmSync(h.dir, { recursive: true, force: true });
});

test('libvirt events - no event is delivered after close', async () => {
  for (let round = 0; round < 20; round++) {
    const h = writeTestHost({ domains: [{ name: 'a' }, { name: 'b' }] });
    const c = await Connection.open(h.uri);
    let afterClose = 0;
    let before = 0;
    c.on('event', () => (c.closed ? afterClose++ : before++));
    const [a, b] = await Promise.all([c.lookupDomainByName('a'), c.lookupDomainByName('b')]);
    await Promise.all([a.suspend(), b.destroy()]);
    // events of these calls are typically still in flight here
    const closing = c.close();
    await closing;
    await new Promise((r) => setTimeout(r, 20));
    assert.equal(afterClose, 0, `round ${round}: ${afterClose} events after close (${before} before)`);
    rmSync(h.dir, { recursive: true, force: true });
  }
});

test('libvirt events - a connection opened without events gets none', async () => {
  await withHost(async (c) => {
    let n = 0;
    c.on('event', () => n++);
    const d = await c.lookupDomainByName('ev1');
    await d.suspend();
    await d.resume();
    await new Promise((r) => setTimeout(r, 100));
    assert.equal(n, 0);
  }, false);
});
