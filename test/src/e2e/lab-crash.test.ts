import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, execFile } from 'node:child_process';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { loadState, remains, type LabFootprint, type LabState } from '../lab';

const CLI = join(__dirname, '..', 'lab', 'cli.js');

function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [CLI, ...args], { timeout: 120_000 }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : 1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

async function waitForPause(id: string, phase: string, timeoutMs: number): Promise<LabState> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const s = loadState(id);
    if (s && s.timings[phase] !== undefined) return s;
    if (Date.now() > deadline) throw new Error(`lab ${id} did not reach phase ${phase} within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

for (const phase of ['network', 'spawn'] as const) {
  test(`lab - down removes a lab whose owner was SIGKILLed after the ${phase} phase`, { timeout: 120_000 }, async () => {
    const id = `k${randomBytes(3).toString('hex')}`;
    const child = spawn(process.execPath, [CLI, 'up', '--hosts', '2', '--id', id], {
      env: { ...process.env, DROVER_LAB_PAUSE_AFTER: phase },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<NodeJS.Signals | null>((r) => child.on('exit', (_c, sig) => r(sig)));
    let state: LabState;
    try {
      state = await waitForPause(id, phase, 90_000);
    } catch (err) {
      child.kill('SIGKILL');
      throw new Error(`${(err as Error).message}; child said: ${stderr}`);
    }
    child.kill('SIGKILL');
    assert.equal(await exited, 'SIGKILL');

    // the half-built lab really exists without its owner
    const fp: LabFootprint = {
      dir: state.dir,
      namespaces: state.hosts.map((h) => h.netns),
      links: [state.bridge, ...state.hosts.map((h) => h.vethRoot)],
      pids: state.hosts.flatMap((h) => (h.pid ? [h.pid] : [])),
    };
    const before = await remains(fp);
    assert.ok(before.includes(`namespace ${state.hosts[0]?.netns}`), `namespaces exist before down: ${before.join('; ')}`);
    assert.ok(before.includes(`link ${state.bridge}`), 'the bridge exists before down');
    if (phase === 'spawn') {
      assert.equal(fp.pids.length, 2, 'both daemons were recorded');
      assert.ok(fp.pids.every(processAlive), 'the daemons outlive their killed owner');
    }

    const down = await cli(['down', '--id', id]);
    assert.equal(down.code, 0, `down failed: ${down.stdout} ${down.stderr}`);
    assert.match(down.stdout, new RegExp(`lab ${id}: removed`));
    assert.deepEqual(await remains(fp), [], 'nothing of the killed lab is left');
    const status = await cli(['status', '--json']);
    const labs = (JSON.parse(status.stdout) as { labs: Array<{ id: string }> }).labs;
    assert.ok(!labs.some((l) => l.id === id), 'status no longer lists the lab');
  });
}
