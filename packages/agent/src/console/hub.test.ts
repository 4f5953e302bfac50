import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Duplex } from 'node:stream';
import { createLogger } from '@drover/contract';
import type { ConsoleOutput } from '@drover/contract';
import { ConsoleHub, ConsoleHubs, type ConsoleSink } from './hub.js';

/** A console source standing in for libvirt's stream: records what is written, prints on demand. */
class FakeConsole extends Duplex {
  written: string[] = [];
  override _read(): void {}
  override _write(chunk: Buffer, _e: BufferEncoding, cb: () => void): void {
    this.written.push(chunk.toString());
    cb();
  }
  print(s: string): void {
    this.push(Buffer.from(s));
  }
}

class Sink implements ConsoleSink {
  got: ConsoleOutput[] = [];
  ended = false;
  send(out: ConsoleOutput): void {
    this.got.push(out);
  }
  end(): void {
    this.ended = true;
  }
  text(): string {
    return this.got.map((o) => (o.data ? Buffer.from(o.data as Uint8Array).toString() : '')).join('');
  }
}

const log = createLogger('test', { level: 'silent' });
const tick = () => new Promise((r) => setImmediate(r));

test('console hub - every session reads everything; only the writer writes', async () => {
  const src = new FakeConsole();
  const hub = new ConsoleHub('g1', src, log);
  const a = new Sink();
  const b = new Sink();
  const sa = hub.attach(a, { write: true, force: false, who: 'alice' });
  const sb = hub.attach(b, { write: true, force: false, who: 'bob' });
  assert.equal(a.got[0]!.writer, true);
  assert.equal(b.got[0]!.writer, false);
  assert.match(b.got[0]!.notice ?? '', /read-only: alice is writing/);
  src.print('login: ');
  await tick();
  assert.equal(a.text(), 'login: ');
  assert.equal(b.text(), 'login: ');
  assert.equal(hub.input(sa, Buffer.from('root\n')), true);
  assert.equal(hub.input(sb, Buffer.from('evil\n')), false);
  assert.deepEqual(src.written, ['root\n']);
});

test('console hub - force takes the writer role over and tells the previous writer', () => {
  const src = new FakeConsole();
  const hub = new ConsoleHub('g1', src, log);
  const a = new Sink();
  const b = new Sink();
  const sa = hub.attach(a, { write: true, force: false, who: 'alice' });
  const sb = hub.attach(b, { write: true, force: true, who: 'bob' });
  assert.equal(b.got[0]!.writer, true);
  assert.match(b.got[0]!.notice ?? '', /took the writer role over from alice/);
  const told = a.got.find((o) => o.notice?.includes('taken over by bob'));
  assert.ok(told);
  assert.equal(told.writer, false);
  assert.equal(hub.input(sa, Buffer.from('x')), false);
  assert.equal(hub.input(sb, Buffer.from('y')), true);
  assert.deepEqual(src.written, ['y']);
});

test('console hub - when the guest stops every session ends; when it migrates they learn where', async () => {
  const src = new FakeConsole();
  let ended = 0;
  const hub = new ConsoleHub('g1', src, log, () => ended++);
  const a = new Sink();
  const b = new Sink();
  hub.attach(a, { write: false, force: false, who: 'a' });
  hub.attach(b, { write: false, force: false, who: 'b' });
  hub.setMovedTo('node02');
  hub.end('console ended: the guest migrated away');
  for (const s of [a, b]) {
    const last = s.got[s.got.length - 1]!;
    assert.equal(last.ended, true);
    assert.equal(last.movedTo, 'node02');
    assert.equal(s.ended, true);
  }
  assert.equal(ended, 1);
  assert.equal(src.destroyed, true);

  const src2 = new FakeConsole();
  const hub2 = new ConsoleHub('g2', src2, log);
  const c = new Sink();
  hub2.attach(c, { write: true, force: false, who: 'c' });
  src2.push(null); // the guest stopped: libvirt ends the stream
  await tick();
  assert.equal(c.got[c.got.length - 1]!.ended, true);
  assert.equal(c.got[c.got.length - 1]!.movedTo, undefined);
  assert.equal(c.ended, true);
});

test('console hubs - one libvirt console per guest, shared; closed when the last session leaves, reopened after', async () => {
  const opened: FakeConsole[] = [];
  const hubs = new ConsoleHubs(async () => {
    const s = new FakeConsole();
    opened.push(s);
    return s;
  }, log);
  const [h1, h2] = await Promise.all([hubs.hub('g1'), hubs.hub('g1')]);
  assert.equal(h1, h2);
  assert.equal(opened.length, 1);
  const s1 = h1.attach(new Sink(), { write: true, force: false, who: 'a' });
  const s2 = h1.attach(new Sink(), { write: false, force: false, who: 'b' });
  h1.detach(s1);
  assert.equal(opened[0]!.destroyed, false, 'still read by b');
  h1.detach(s2);
  assert.equal(opened[0]!.destroyed, true, 'the last session leaving closes the console');
  const h3 = await hubs.hub('g1');
  assert.notEqual(h3, h1);
  assert.equal(opened.length, 2);
});
