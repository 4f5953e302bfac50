// The safe hypervisor restart on libvirt's test driver, in process: the agent's connection
// manager on a real test:/// connection, the restart command replaced by functions that succeed,
// fail, or drop the connection as a dying libvirtd would.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createLogger } from '@drover/contract';
import { LibvirtManager, safeRestart } from '@drover/agent';
import { tempDir, cleanupDir } from '../support/procs.js';
import { writeTestHostFile } from '../support/testdriver.js';

const log = createLogger('test', { level: 'silent' });

async function withHost(fn: (lv: LibvirtManager) => Promise<void>): Promise<void> {
  const dir = tempDir('drover-restart-');
  const h = writeTestHostFile(dir, {
    guests: [{ name: 'run1' }, { name: 'run2' }, { name: 'held', state: 'paused' }, { name: 'off1', state: 'shutoff' }],
  });
  const lv = new LibvirtManager({ uri: h.uri, host: 'node01', log, facts: false, reconnectMinMs: 20 });
  lv.start();
  try {
    await lv.waitConnected(5000);
    await fn(lv);
  } finally {
    await lv.stop();
    cleanupDir(dir);
  }
}

async function states(lv: LibvirtManager): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const d of await lv.conn().listAllDomains()) out[d.name] = (await d.state()).stateName;
  return out;
}

test('hypervisor restart - running guests are suspended across the restart and resumed; a paused one stays paused', async () => {
  await withHost(async (lv) => {
    let during: Record<string, string> = {};
    const res = await safeRestart(
      lv,
      async () => {
        during = await states(lv);
      },
      log,
    );
    assert.deepEqual(during, { run1: 'PAUSED', run2: 'PAUSED', held: 'PAUSED', off1: 'SHUTOFF' }, 'suspended while the restart runs');
    assert.deepEqual(res.suspended.sort(), ['run1', 'run2']);
    assert.deepEqual(res.resumed.sort(), ['run1', 'run2']);
    assert.deepEqual(res.leftPaused, ['held']);
    assert.equal(res.restarted, true);
    assert.equal(res.error, '');
    assert.deepEqual(await states(lv), { run1: 'RUNNING', run2: 'RUNNING', held: 'PAUSED', off1: 'SHUTOFF' });
  });
});

test('hypervisor restart - a failed restart still resumes the guests and reports the failure', async () => {
  await withHost(async (lv) => {
    const res = await safeRestart(
      lv,
      async () => {
        throw new Error('libvirtd: unit failed');
      },
      log,
    );
    assert.equal(res.restarted, false);
    assert.match(res.error, /restart: libvirtd: unit failed/);
    assert.deepEqual(res.resumed.sort(), ['run1', 'run2']);
    assert.deepEqual(await states(lv), { run1: 'RUNNING', run2: 'RUNNING', held: 'PAUSED', off1: 'SHUTOFF' });
  });
});

test('hypervisor restart - when the connection dies with the daemon, the guests are resumed on the new one', async () => {
  await withHost(async (lv) => {
    const before = lv.connection;
    const res = await safeRestart(
      lv,
      async () => {
        await lv.connection!.close();
      },
      log,
      { reconnectTimeoutMs: 5000 },
    );
    assert.notEqual(lv.connection, before, 'a new connection');
    assert.equal(res.restarted, true);
    assert.deepEqual(res.resumed.sort(), ['run1', 'run2']);
    assert.equal(res.error, '');
    assert.equal((await states(lv)).run1, 'RUNNING');
  });
});
