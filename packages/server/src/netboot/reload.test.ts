import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ReloadError } from './errors.js';
import { runReload } from './reload.js';

test('reload - a command that exits 0 resolves with its output', async () => {
  const res = await runReload(['/bin/sh', '-c', 'echo reloaded; echo note >&2']);
  assert.deepEqual(res, { stdout: 'reloaded\n', stderr: 'note\n' });
});

test('reload - arguments reach the command unchanged, with no shell in between', async () => {
  const res = await runReload(['/bin/echo', '$(id -u)', '; rm -rf /', '*']);
  assert.equal(res.stdout, '$(id -u) ; rm -rf / *\n');
});

test('reload - a failing command rejects with its exit code and stderr', async () => {
  await assert.rejects(runReload(['/bin/sh', '-c', 'echo "dhcpd: bad config" >&2; exit 3']), (e: unknown) => {
    assert.ok(e instanceof ReloadError);
    assert.equal(e.exitCode, 3);
    assert.equal(e.stderr, 'dhcpd: bad config\n');
    assert.match(e.message, /exited with code 3: dhcpd: bad config$/);
    return true;
  });
});

test('reload - a command that runs too long is killed at the timeout', async () => {
  const started = Date.now();
  await assert.rejects(
    runReload(['/bin/sleep', '10'], { timeoutMs: 200 }),
    (e: unknown) => e instanceof ReloadError && /timed out after 200 ms/.test(e.message) && e.signal === 'SIGKILL',
  );
  assert.ok(Date.now() - started < 5000);
});

test('reload - a missing program and a shell string are refused', async () => {
  await assert.rejects(runReload(['/nonexistent/drover-reload']), /could not start: ENOENT/);
  await assert.rejects(
    runReload('systemctl reload dnsmasq' as unknown as string[]),
    /must be a non-empty argv array.*got the string "systemctl reload dnsmasq"/,
  );
  await assert.rejects(runReload([]), /non-empty argv array/);
  await assert.rejects(runReload(['']), /non-empty argv array/);
  await assert.rejects(runReload(['/bin/true'], { timeoutMs: 0 }), /positive whole number/);
});
