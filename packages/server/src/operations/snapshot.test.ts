import { test } from 'node:test';
import assert from 'node:assert/strict';
import { oneCopyEach } from './snapshot.js';

const r = (host: string, name: string, state: string) => ({ host, g: { name, state } });

test('snapshot - a guest reported by two hosts is planned once: the active copy, then the one on vm.host', () => {
  const warned: string[] = [];
  const warn = (_f: object, m: string): void => void warned.push(m);
  const recorded = new Map([
    ['a', 'h1'],
    ['b', 'h2'],
    ['c', 'h1'],
  ]);
  const out = oneCopyEach((n) => recorded.get(n), warn, [
    r('h1', 'a', 'POWER_STATE_OFF'),
    r('h2', 'a', 'POWER_STATE_ON'), // the running copy wins over vm.host
    r('h1', 'b', 'POWER_STATE_PAUSED'),
    r('h2', 'b', 'POWER_STATE_ON'), // both active: vm.host decides
    r('h1', 'c', 'POWER_STATE_ON'),
  ]);
  assert.deepEqual(out.map((x) => `${x.g.name}@${x.host}`).sort(), ['a@h2', 'b@h2', 'c@h1']);
  assert.equal(warned.length, 2);
  assert.match(warned[0]!, /a is reported by 2 hosts; planning with the copy on h2/);
});

test('snapshot - no duplicates: the list is returned as it is, nothing logged', () => {
  const list = [r('h1', 'a', 'POWER_STATE_ON'), r('h2', 'b', 'POWER_STATE_ON')];
  let logged = 0;
  assert.equal(
    oneCopyEach(
      () => undefined,
      () => void logged++,
      list,
    ),
    list,
  );
  assert.equal(logged, 0);
});
