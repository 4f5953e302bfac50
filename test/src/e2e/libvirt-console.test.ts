// @drover/libvirt console streams and connection close events against real lab hosts.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { ConnectCloseReason, Connection, ErrorNumber, LibvirtError, liveHandles, type CloseEventInfo } from '@drover/libvirt';
import { defineCounterGuest, getSharedLab, killLibvirtd, resetHosts, startLibvirtd, waitForCount, type Lab, type LabHost } from '../lab';

let lab: Lab;

before(async () => {
  lab = await getSharedLab();
  await resetHosts(lab);
});

after(async () => {
  if (lab) await resetHosts(lab);
});

function collect(stream: NodeJS.ReadableStream): { text: () => string; ended: Promise<void> } {
  let buf = '';
  stream.on('data', (b: Buffer) => (buf += b.toString('latin1')));
  const ended = new Promise<void>((resolve, reject) => {
    stream.on('end', () => resolve());
    stream.on('error', reject);
  });
  return { text: () => buf, ended };
}

async function waitUntil(what: string, ms: number, check: () => boolean): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) assert.fail(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

test(
  'libvirt e2e - console stream reads the counter and the guest echoes what is written; ends when the guest stops',
  { timeout: 60_000 },
  async () => {
    const host = lab.hosts[0] as LabHost;
    const name = 'lv-console';
    await defineCounterGuest(host, name, { serial: 'pty' });
    await waitForCount(host, name, 2);
    const c = await Connection.open(host.socketUri);
    try {
      const d = await c.lookupDomainByName(name);
      const con = await d.openConsole(undefined, { force: true });
      assert.equal(liveHandles().streams, 1);
      const out = collect(con);
      await waitUntil('two count lines on the console', 10_000, () => (out.text().match(/count \d+\r\n/g) ?? []).length >= 2);
      const counts = [...out.text().matchAll(/count (\d+)\r\n/g)].map((m) => Number(m[1]));
      assert.ok(
        counts.every((v, i) => i === 0 || v > (counts[i - 1] as number)),
        `console counts rise: ${counts.join(',')}`,
      );

      const token = 'drover-echo-7f3a';
      await new Promise<void>((resolve, reject) => con.write(Buffer.from(token), (err) => (err ? reject(err) : resolve())));
      await waitUntil(`the guest to echo ${token}`, 10_000, () => out.text().includes(token));

      // back-pressure: pause reading, output stops flowing into JS, resume gets it going again
      con.pause();
      const pausedAt = out.text().length;
      await new Promise((r) => setTimeout(r, 600));
      const grownWhilePaused = out.text().length - pausedAt;
      con.resume();
      await waitUntil('output after resume', 5000, () => out.text().length > pausedAt + grownWhilePaused);
      assert.equal(grownWhilePaused, 0, 'no data events while paused');

      await d.destroy();
      await Promise.race([
        out.ended,
        new Promise((_, rej) => setTimeout(() => rej(new Error('console did not end after the guest stopped')), 10_000)),
      ]);
      await new Promise((r) => setTimeout(r, 50));
      con.destroy();
      await waitUntil('stream handle released', 5000, () => liveHandles().streams === 0);
    } finally {
      await c.close();
    }
  },
);

test('libvirt e2e - closing the connection ends an open console', { timeout: 60_000 }, async () => {
  const host = lab.hosts[1] as LabHost;
  const name = 'lv-console-close';
  await defineCounterGuest(host, name, { serial: 'pty' });
  await waitForCount(host, name, 1);
  const c = await Connection.open(host.socketUri);
  const d = await c.lookupDomainByName(name);
  const con = await d.openConsole(undefined, { force: true });
  const closed = new Promise<void>((r) => con.on('close', () => r()));
  con.resume();
  await c.close();
  await closed;
  await waitUntil('handles released', 5000, () => liveHandles().streams === 0 && liveHandles().connections === 0);
});

test('libvirt e2e - a killed libvirtd raises the close event with its reason', { timeout: 120_000 }, async () => {
  const host = lab.hosts[2] as LabHost;
  const c = await Connection.open(host.socketUri);
  try {
    await c.setKeepAlive(1, 3);
    assert.equal(await c.isAlive(), true);
    const closed = new Promise<CloseEventInfo>((r) => c.once('close', r));
    await killLibvirtd(host);
    const ev = await Promise.race([
      closed,
      new Promise<never>((_, rej) => setTimeout(() => rej(new Error('no close event within 15 s')), 15_000)),
    ]);
    assert.ok(
      [ConnectCloseReason.EOF, ConnectCloseReason.ERROR, ConnectCloseReason.KEEPALIVE].includes(ev.reason),
      `reason ${ev.reasonName}`,
    );
    assert.equal(await c.isAlive(), false);
    await assert.rejects(c.hostname(), (e: unknown) => e instanceof LibvirtError && e.code !== ErrorNumber.OK);
  } finally {
    await c.close();
    await startLibvirtd(host);
  }
  // the restarted daemon answers again
  const again = await Connection.open(host.socketUri);
  assert.ok((await again.hostname()).length > 0);
  await again.close();
});
