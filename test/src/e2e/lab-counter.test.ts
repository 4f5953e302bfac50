import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { closeSync, openSync, readFileSync, writeSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  assertCountRises,
  defineCounterGuest,
  getSharedLab,
  readBoots,
  readCounts,
  resetHosts,
  sampleCounts,
  virsh,
  waitForCount,
  type Lab,
} from '../lab';

test('lab - assertCountRises accepts a rising count and rejects a restart or two interleaved copies', () => {
  assert.doesNotThrow(() => assertCountRises([3, 4, 4, 7, 9]));
  assert.doesNotThrow(() => assertCountRises([null, 1, 2]));
  assert.throws(() => assertCountRises([5, 5, 5]), /did not rise/);
  assert.throws(() => assertCountRises([7]), /at least two/);
  assert.throws(() => assertCountRises([40, 41, 42, 1, 2, 3]), /count dropped/);
  assert.throws(() => assertCountRises([40, 12, 41, 13, 42, 14]), /two interleaved/);
});

let lab: Lab;
before(async () => {
  lab = await getSharedLab();
  await resetHosts(lab);
});
after(async () => {
  if (lab) await resetHosts(lab);
});

test('lab - the counter guest prints about six counts a second and echoes console input', { timeout: 60_000 }, async () => {
  const h = lab.hosts[0];
  assert.ok(h);
  const g = await defineCounterGuest(h, 'echo1', { serial: 'pty' });
  await waitForCount(h, 'echo1', 1);
  const samples = await sampleCounts(h, 'echo1', 11, 200);
  assertCountRises(samples, 'echo1');
  const first = samples[0] ?? 0;
  const last = samples[samples.length - 1] ?? 0;
  assert.ok(last - first >= 3 && last - first <= 40, `a modest rate, got ${last - first} counts in 2 s`);

  const pty = (await virsh(h, ['ttyconsole', 'echo1'])).trim();
  assert.match(pty, /^\/dev\/pts\/\d+$/);
  const fd = openSync(pty, 'r+');
  const marker = `drover-echo-${process.pid}`;
  try {
    // QEMU notices a pty peer on its next poll (about a second); resend until the echo shows
    let seen = false;
    for (let i = 0; i < 10 && !seen; i += 1) {
      writeSync(fd, marker);
      await sleep(700);
      seen = readFileSync(g.logPath, 'latin1').includes(marker);
    }
    assert.ok(seen, 'the guest echoed the bytes written to its console');
  } finally {
    closeSync(fd);
  }
  assertCountRises(readCounts(h, 'echo1'), 'echo1 with console input mixed in');
  assert.equal(readBoots(h, 'echo1'), 1);
});

test('lab - two running copies of one guest are caught by assertCountRises', { timeout: 60_000 }, async () => {
  const [a, b] = lab.hosts;
  assert.ok(a && b);
  // local disks: QEMU's image locking would refuse a second writer of one shared disk file
  await defineCounterGuest(a, 'dup1', { disk: 'local' });
  await waitForCount(a, 'dup1', 12);
  assertCountRises(readCounts(a, 'dup1'), 'dup1 alone');
  // a second copy of the same guest on another host, writing to the same serial log (split brain)
  await defineCounterGuest(b, 'dup1', { disk: 'local' });
  await sleep(2500);
  assert.throws(() => assertCountRises(readCounts(a, 'dup1')), /interleaved|dropped/);
});
