import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { SqliteStores } from '../db/sqlite/stores.js';
import { Tables, tableNames } from './repository.js';
import { TablesError } from './errors.js';
import { TABLES, WRITABLE_NODE_ATTRS } from './schema.js';

/** Values near the accepted forms, so the fuzzer reaches the deeper checks, plus plain garbage. */
const SEEDS = [
  'dir:///vms?size=20G',
  'nfs://filer/vm',
  'lvm://vg0',
  'phy:/dev/sdb',
  'br0?mac=02:1a:2b:3c:4d:5e',
  'network:default',
  '2G',
  '512',
  '4',
  'network,disk',
  '02:1a:2b:3c:4d:5e',
  '10.0.0.1',
  '255.255.255.0',
  '10.0.0.1-10.0.0.9',
  'kvm',
  'xen',
  'hv01',
  'hv01,hv02',
  'web,all',
  '115200',
  '0',
  'yes',
  'x86_64',
  'debian12',
  'ipxe',
  'eth0',
  'a.example.org',
  '4dea22b3-1d52-d8f3-2516-782e98ab3fa0',
  '/install',
  '',
];

const garbage = fc.oneof(
  fc.constantFrom(...SEEDS),
  fc.string({ maxLength: 40 }),
  fc.string({ unit: 'binary', maxLength: 20 }),
  fc
    .tuple(fc.constantFrom(...SEEDS), fc.string({ maxLength: 6 }), fc.nat({ max: 30 }))
    .map(([s, ins, at]) => s.slice(0, at) + ins + s.slice(at)),
  fc.constantFrom("'; DROP TABLE nodelist; --", '"', '\n', '\u0000', 'constructor', '__proto__', '..', '-', ',', '?', '&=', '%s'),
);

async function dumpAll(t: Tables): Promise<string> {
  return JSON.stringify(await Promise.all(tableNames().map((n) => t.dump(n))));
}

async function seeded(): Promise<Tables> {
  const t = new Tables(SqliteStores.open(':memory:'));
  await t.addNodes(['n1', 'n2', 'n3'], { groups: 'all,web', 'vm.memory': '1G', 'vm.host': 'hv01' });
  await t.changeNodes(['n1'], { mac: '02:00:00:00:00:01', ip: '10.0.0.1' });
  await t.setRow('site', { key: 'master' }, { value: '10.0.0.254' });
  return t;
}

test('tables fuzz - garbage in any node attribute either is stored in a form that reads back the same, or writes nothing', async () => {
  const t = await seeded();
  let refusals = 0;
  await fc.assert(
    fc.asyncProperty(
      fc.constantFrom(...WRITABLE_NODE_ATTRS),
      garbage,
      fc.constantFrom('set', 'plus', 'minus'),
      fc.boolean(),
      async (attr, value, mode, withGood) => {
        const before = await dumpAll(t);
        const attrs: Record<string, string> = { [attr]: value };
        if (withGood && attr !== 'nodetype.os') attrs['nodetype.os'] = 'debian12';
        try {
          await t.changeNodes(['n2', 'n3'], attrs, { mode: mode as 'set' | 'plus' | 'minus' });
        } catch (e) {
          if (!(e instanceof TablesError)) throw e;
          refusals++;
          assert.equal(await dumpAll(t), before, `${attr}=${JSON.stringify(value)} was refused but something was written`);
          assert.ok(e.failures.length > 0 || e.message.length > 0);
          for (const f of e.failures) assert.ok(['n2', 'n3'].includes(f.node));
          return;
        }
        // Accepted: the stored value is itself acceptable and unchanged by a second write.
        const stored = await t.get('n2', attr);
        if (stored !== undefined) {
          await t.changeNodes(['n2'], { [attr]: stored });
          assert.equal(await t.get('n2', attr), stored, `${attr}: stored '${stored}' is not stable`);
        }
      },
    ),
    { numRuns: 1500, seed: 4242 },
  );
  assert.ok(refusals > 100, `the fuzzer should hit refusals (got ${refusals})`);
});

test('tables fuzz - garbage in nodeadd names and attributes leaves every table as it was', async () => {
  const t = await seeded();
  await fc.assert(
    fc.asyncProperty(
      fc.array(fc.oneof(fc.constantFrom('n1', 'web', 'new1', 'new2'), fc.string({ maxLength: 12 })), { minLength: 1, maxLength: 4 }),
      fc.dictionary(
        fc.oneof(fc.constantFrom(...WRITABLE_NODE_ATTRS, 'groups', 'mac', 'ip', 'vmhost'), fc.string({ maxLength: 10 })),
        garbage,
        { maxKeys: 3 },
      ),
      async (names, attrs) => {
        const before = await dumpAll(t);
        try {
          await t.addNodes([...new Set(names)], attrs);
        } catch (e) {
          if (!(e instanceof TablesError)) throw e;
          assert.equal(await dumpAll(t), before);
          return;
        }
        await t.removeNodes([...new Set(names)]);
        assert.equal(await dumpAll(t), before, 'add then remove restores the tables');
      },
    ),
    { numRuns: 800, seed: 77 },
  );
});

test('tables fuzz - garbage keys and columns in chtab write nothing when refused', async () => {
  const t = await seeded();
  const keyed = TABLES.filter((d) => d.kind === 'keyed');
  await fc.assert(
    fc.asyncProperty(
      fc.constantFrom(...keyed),
      garbage,
      fc.array(fc.tuple(fc.nat({ max: 20 }), garbage), { minLength: 1, maxLength: 3 }),
      fc.boolean(),
      async (def, keyValue, cols, del) => {
        const before = await dumpAll(t);
        const writable = def.columns.filter((c) => c.syntax);
        const values = Object.fromEntries(cols.map(([i, v]) => [`${def.name}.${writable[i % writable.length]!.name}`, v]));
        try {
          await t.setRow(def.name, { [def.key[0]!]: keyValue }, values, del);
        } catch (e) {
          if (!(e instanceof TablesError)) throw e;
          assert.equal(await dumpAll(t), before);
        }
      },
    ),
    { numRuns: 1000, seed: 99 },
  );
});
