import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SqliteStores } from './stores.js';
import type { Stores } from '../stores.js';

const node = (name: string) => ({ node: name, values: new Map([['nodelist.groups', 'all']]) });

async function names(s: Stores): Promise<string[]> {
  return (await s.tables.nodeNames()).sort();
}

test('sqlite stores - a transaction commits what it wrote, or nothing when it rejects', async (t) => {
  const s = SqliteStores.open(':memory:');
  t.after(() => s.close());
  await s.transaction(async (tx) => {
    await tx.tables.writeNodes([node('n1')], { create: true });
    await tx.tables.writeNodes([node('n2')], { create: true });
  });
  await assert.rejects(
    s.transaction(async (tx) => {
      await tx.tables.writeNodes([node('n3')], { create: true });
      throw new Error('refused');
    }),
    /refused/,
  );
  assert.deepEqual(await names(s), ['n1', 'n2']);
});

test('sqlite stores - a call from outside an open transaction waits for it and is not rolled back with it', async (t) => {
  const s = SqliteStores.open(':memory:');
  t.after(() => s.close());
  let release!: () => void;
  const gate = new Promise<void>((res) => (release = res));
  let entered!: () => void;
  const inside = new Promise<void>((res) => (entered = res));
  const tx = s.transaction(async (x) => {
    await x.tables.writeNodes([node('inside')], { create: true });
    entered();
    await gate;
    throw new Error('rolled back');
  });
  await inside;
  let outsideDone = false;
  const outside = s.tables.writeNodes([node('outside')], { create: true }).then(() => (outsideDone = true));
  await new Promise((res) => setImmediate(res));
  assert.equal(outsideDone, false, 'the outside write waits while the transaction is open');
  release();
  await assert.rejects(tx, /rolled back/);
  await outside;
  assert.deepEqual(await names(s), ['outside']);
});

test('sqlite stores - a nested transaction that fails undoes only its own writes; a finished transaction refuses calls', async (t) => {
  const s = SqliteStores.open(':memory:');
  t.after(() => s.close());
  let kept: Stores | undefined;
  await s.transaction(async (tx) => {
    kept = tx;
    await tx.tables.writeNodes([node('outer')], { create: true });
    await assert.rejects(
      tx.transaction(async (inner) => {
        await inner.tables.writeNodes([node('inner')], { create: true });
        throw new Error('inner refused');
      }),
      /inner refused/,
    );
  });
  assert.deepEqual(await names(s), ['outer']);
  await assert.rejects(kept!.tables.nodeNames(), /transaction that has already ended/);
});

test('sqlite stores - a unique value held twice is a UniqueViolation, and the change stamp moves on writes', async (t) => {
  const s = SqliteStores.open(':memory:');
  t.after(() => s.close());
  await s.tables.writeNodes([node('a'), node('b')], { create: true });
  const before = await s.tables.changeStamp();
  await s.tables.claimNodeValue('mac', 'mac', 'a', '02:00:00:00:00:01', { interface: 'eth0' });
  assert.notEqual(await s.tables.changeStamp(), before);
  assert.equal(await s.tables.claimNodeValue('mac', 'mac', 'a', '02:00:00:00:00:02'), '02:00:00:00:00:01', 'a set value is kept');
  await assert.rejects(s.tables.claimNodeValue('mac', 'mac', 'b', '02:00:00:00:00:01'), { name: 'UniqueViolation' });
  assert.equal(await s.tables.nodeValue('mac', 'interface', 'a'), 'eth0');
  await assert.rejects(s.tables.nodeValue('mac', 'colour', 'a'), /unknown column 'mac.colour'/);
});
