/**
 * One lab for the whole end-to-end tier. scripts/test.mjs calls startSharedLab() before the e2e
 * files run and passes the id as DROVER_LAB_ID; test files call getSharedLab() to re-attach.
 * A test file run alone (no DROVER_LAB_ID) gets a lab of its own, stopped when the process exits;
 * a detached watchdog (`lab down --id X --wait-pid P`) removes it even if the process is killed.
 */
import { spawn } from 'node:child_process';
import { background } from '@drover/contract';
import { join } from 'node:path';
import { attachLab, startLab, type Lab } from './lab';
import { resetHosts } from './guest';

export { resetHosts };

const SHARED_HOSTS = 3;
const CLI = join(__dirname, 'cli.js');

/** Starts the run's shared lab (3 hosts); `stop()` tears it down. */
export async function startSharedLab(): Promise<{ id: string; stop(): Promise<void> }> {
  const lab = await startLab({ hosts: SHARED_HOSTS, log: (l) => process.stderr.write(`${l}\n`) });
  return {
    id: lab.id,
    async stop() {
      const r = await lab.stop();
      if (r.leftovers.length) process.stderr.write(`lab ${lab.id}: teardown left ${r.leftovers.join('; ')}\n`);
    },
  };
}

let own: Promise<Lab> | null = null;

function watchdog(id: string): void {
  const child = spawn(process.execPath, [CLI, 'down', '--id', id, '--wait-pid', String(process.pid)], { detached: true, stdio: 'ignore' });
  child.unref();
}

/** The lab of this test run (DROVER_LAB_ID), or one of this process's own (started once, stopped at exit). */
export function getSharedLab(): Promise<Lab> {
  const id = process.env.DROVER_LAB_ID;
  if (id) return Promise.resolve(attachLab(id));
  own ??= (async () => {
    const lab = await startLab({ hosts: SHARED_HOSTS });
    watchdog(lab.id);
    let stopped = false;
    process.on('beforeExit', () => {
      if (stopped) return;
      stopped = true;
      background('lab teardown', lab.stop());
    });
    return lab;
  })();
  return own;
}
