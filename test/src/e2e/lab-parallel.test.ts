import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  assertCountRises,
  defineCounterGuest,
  domState,
  footprint,
  readBoots,
  remains,
  sampleCounts,
  spawnInHost,
  startLab,
  virsh,
  waitForCount,
  type Lab,
  type LabHost,
} from '../lab';

function runInHost(host: LabHost, argv: string[]): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve) => {
    const child = spawnInHost(host, argv, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr?.on('data', (d: Buffer) => (out += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, out });
    });
  });
}

const hostUuid = async (h: LabHost): Promise<string> => /<uuid>([^<]+)<\/uuid>/.exec(await virsh(h, ['capabilities']))?.[1] ?? '';

test('lab - two labs side by side do not interfere', { timeout: 240_000 }, async () => {
  const labs: Lab[] = [];
  try {
    const started = await Promise.allSettled([startLab({ hosts: 2 }), startLab({ hosts: 2 })]);
    for (const r of started) if (r.status === 'fulfilled') labs.push(r.value);
    for (const r of started) if (r.status === 'rejected') throw r.reason;
    const [A, B] = labs;
    assert.ok(A && B);
    const [a1, a2] = A.hosts;
    const [b1] = B.hosts;
    assert.ok(a1 && a2 && b1);

    // nothing is shared: names, subnets, directories, host identities
    assert.notEqual(A.id, B.id);
    assert.notEqual(A.subnet, B.subnet);
    assert.notEqual(A.bridge, B.bridge);
    assert.notEqual(A.sharedDir, B.sharedDir);
    assert.notEqual(a1.netns, b1.netns);
    assert.notEqual(a1.vethRoot, b1.vethRoot);
    const uuids = new Set(await Promise.all([...A.hosts, ...B.hosts].map(hostUuid)));
    assert.equal(uuids.size, 4, 'every host has its own host_uuid');

    // the same guest name in both labs, each its own guest
    await defineCounterGuest(a1, 'twin', { disk: 'shared' });
    await defineCounterGuest(b1, 'twin', { disk: 'shared' });
    await waitForCount(a1, 'twin', 2);
    await waitForCount(b1, 'twin', 2);
    assert.deepEqual((await virsh(a2, ['list', '--all', '--name'])).trim(), '', 'lab A host 2 sees no guest');

    // a host of lab A cannot reach a host of lab B (no route between the lab subnets)
    const cross = await runInHost(a1, ['virsh', '-c', b1.uri, 'version']);
    assert.notEqual(cross.code, 0, `lab A reached lab B: ${cross.out}`);
    assert.match(cross.out, /unreachable|no route/i, 'the failure is the missing route, not something else');
    const own = await runInHost(a1, ['virsh', '-c', a2.uri, 'hostname']);
    assert.equal(own.code, 0, `lab A host 1 cannot reach its peer: ${own.out}`);

    // migrating inside lab A leaves lab B's twin alone
    await virsh(a1, ['migrate', '--live', '--p2p', '--unsafe', '--persistent', '--undefinesource', 'twin', a2.uri]);
    assert.equal(await domState(a2, 'twin'), 'running');
    assert.equal(await domState(b1, 'twin'), 'running');

    // stopping lab A leaves lab B running
    const fpA = await footprint(A);
    const repA = await A.stop();
    labs.shift();
    assert.deepEqual(repA.leftovers, []);
    assert.deepEqual(await remains(fpA), []);
    assert.equal(await domState(b1, 'twin'), 'running', "lab B's guest survived lab A's teardown");
    assertCountRises(await sampleCounts(b1, 'twin', 5, 300), "lab B's twin");
    assert.equal(readBoots(b1, 'twin'), 1);
    assert.match(await virsh(b1, ['hostname'], { uri: b1.uri }), /\S/, "lab B's TCP listener still answers");
  } finally {
    for (const l of labs) await l.stop();
  }
});
