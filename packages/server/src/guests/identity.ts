/**
 * A guest's identity, allocated on first need and stored: its UUID (vm.uuid) and its first NIC's
 * MAC (mac.mac), locally administered and unique across the whole cluster (the `mac` table's
 * unique index, plus the MACs written in vm.nics).
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { generateMac } from '@drover/contract';
import type { Db } from '../db/database.js';

export function ensureUuid(db: Db, node: string): string {
  return db.transaction(() => {
    const cur = db.prepare('SELECT uuid FROM vm WHERE node = ?').pluck().get(node) as string | null | undefined;
    if (cur) return cur;
    const uuid = randomUUID();
    db.prepare('INSERT INTO vm(node, uuid) VALUES (?, ?) ON CONFLICT(node) DO UPDATE SET uuid = excluded.uuid WHERE uuid IS NULL').run(
      node,
      uuid,
    );
    return db.prepare('SELECT uuid FROM vm WHERE node = ?').pluck().get(node) as string;
  })();
}

/** MACs in use anywhere in the tables (mac.mac and any `mac=` written in vm.nics). */
function macsInUse(db: Db): Set<string> {
  const set = new Set((db.prepare('SELECT mac FROM mac WHERE mac IS NOT NULL').pluck().all() as string[]).map((m) => m.toLowerCase()));
  for (const nics of db.prepare("SELECT nics FROM vm WHERE nics LIKE '%mac=%'").pluck().all() as string[]) {
    for (const m of nics.matchAll(/mac=([0-9a-fA-F:]{17})/g)) set.add(m[1]!.toLowerCase());
  }
  return set;
}

/**
 * The node's MAC: the one in the `mac` table, or a new locally administered one, collision-checked
 * across the cluster and stored in the same transaction (so concurrent first power-ons never
 * hand out one MAC twice).
 */
export function ensureMac(db: Db, node: string): string {
  return db.transaction(() => {
    const cur = db.prepare('SELECT mac FROM mac WHERE node = ?').pluck().get(node) as string | null | undefined;
    if (cur) return cur.toLowerCase();
    const used = macsInUse(db);
    for (let i = 0; i < 64; i++) {
      const mac = generateMac(randomBytes(6));
      if (used.has(mac)) continue;
      db.prepare(
        'INSERT INTO mac(node, interface, mac) VALUES (?, ?, ?) ON CONFLICT(node) DO UPDATE SET mac = excluded.mac WHERE mac IS NULL',
      ).run(node, 'eth0', mac);
      return (db.prepare('SELECT mac FROM mac WHERE node = ?').pluck().get(node) as string).toLowerCase();
    }
    throw new Error(`${node}: could not allocate a unique MAC address`);
  })();
}
