import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { createLogger } from '@drover/contract';
import type { Connection, LifecycleEventInfo } from '@drover/libvirt';
import { LibvirtManager, nextBackoff } from './manager.js';

/** A stand-in for the binding's Connection: only what the manager touches. */
class FakeConn extends EventEmitter {
  closed = false;
  constructor(readonly n: number) {
    super();
  }
  async setKeepAlive(): Promise<void> {}
  async isAlive(): Promise<boolean> {
    return !this.closed;
  }
  async close(): Promise<void> {
    this.closed = true;
  }
  /** libvirtd went away. */
  die(): void {
    this.emit('close', { type: 'close', reason: 0, reasonName: 'EOF' });
  }
}

const log = createLogger('test', { level: 'silent' });
const lifecycle = (name: string): LifecycleEventInfo => ({
  type: 'lifecycle',
  domain: { name, uuid: `uuid-${name}`, id: 1 },
  event: 3,
  detail: 0,
  eventName: 'SUSPENDED',
  detailName: 'PAUSED',
});

function manager(open: (uri: string) => Promise<FakeConn>) {
  return new LibvirtManager({
    uri: 'test:///x',
    host: 'h1',
    log,
    facts: false,
    reconnectMinMs: 10,
    reconnectMaxMs: 40,
    open: open as unknown as (uri: string) => Promise<Connection>,
  });
}

const once = <T extends unknown[]>(m: LibvirtManager, ev: 'connected' | 'disconnected'): Promise<T> =>
  new Promise((res) => m.once(ev, (...a: unknown[]) => res(a as T)));

test('libvirt manager - backoff doubles from min and stops at max', () => {
  const seen: number[] = [];
  let d: number | undefined;
  for (let i = 0; i < 6; i++) seen.push((d = nextBackoff(d, 500, 30_000)));
  assert.deepEqual(seen, [500, 1000, 2000, 4000, 8000, 16000]);
  assert.equal(nextBackoff(20_000, 500, 30_000), 30_000);
});

test('libvirt manager - retries until libvirt answers, reporting why it is unreachable meanwhile', async () => {
  let calls = 0;
  const m = manager(async () => {
    calls++;
    if (calls < 3) throw new Error(`Failed to connect socket (attempt ${calls})`);
    return new FakeConn(calls);
  });
  const up = once<[FakeConn, { reconnect: boolean }]>(m, 'connected');
  m.start();
  await new Promise((r) => setTimeout(r, 5));
  assert.equal(m.libvirt().reachable, false);
  assert.match(m.libvirt().error, /Failed to connect socket/);
  assert.throws(() => m.conn(), /not reachable/);
  const [c, info] = await up;
  assert.equal(calls, 3);
  assert.equal(c.n, 3);
  assert.equal(info.reconnect, false);
  assert.equal(m.libvirt().reachable, true);
  assert.equal(m.libvirt().error, '');
  await m.stop();
});

test('libvirt manager - reconnects after libvirtd dies and listens to the new connection only', async () => {
  const conns: FakeConn[] = [];
  let failNext = 0;
  const m = manager(async () => {
    if (failNext > 0) {
      failNext--;
      throw new Error('libvirtd is restarting');
    }
    const c = new FakeConn(conns.length + 1);
    conns.push(c);
    return c;
  });
  const events: string[] = [];
  m.on('lifecycle', (ev) => events.push(ev.domain.name));
  const first = once(m, 'connected');
  m.start();
  await first;
  conns[0]!.emit('lifecycle', lifecycle('a'));

  failNext = 2;
  const down = once<[string]>(m, 'disconnected');
  const back = once<[FakeConn, { reconnect: boolean }]>(m, 'connected');
  conns[0]!.die();
  const [why] = await down;
  assert.match(why, /EOF/);
  assert.equal(m.libvirt().reachable, false);
  const [c2, info] = await back;
  assert.equal(info.reconnect, true);
  assert.equal(c2, conns[1]);
  assert.equal(m.connection as unknown, conns[1]);

  conns[0]!.emit('lifecycle', lifecycle('stale'));
  conns[1]!.emit('lifecycle', lifecycle('b'));
  assert.deepEqual(events, ['a', 'b'], 'events of the dead connection are not delivered; the new one is listened to');
  await m.stop();
});

test('libvirt manager - waitConnected resolves on reconnect and times out when libvirt stays away', async () => {
  let up = false;
  const m = manager(async () => {
    if (!up) throw new Error('no daemon');
    return new FakeConn(1);
  });
  m.start();
  await assert.rejects(m.waitConnected(50), /did not come back within 50 ms: no daemon/);
  up = true;
  const c = await m.waitConnected(2000);
  assert.equal((c as unknown as FakeConn).n, 1);
  await m.stop();
});
