/**
 * A guest's identity, allocated on first need and stored: its UUID (vm.uuid) and its first NIC's
 * MAC (mac.mac), locally administered and unique across the whole cluster (the `mac` table's
 * unique index, plus the MACs written in vm.nics).
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { generateMac } from '@drover/contract';
import type { Stores, TableStore } from '../db/stores.js';

export async function ensureUuid(stores: Stores, node: string): Promise<string> {
  const cur = await stores.tables.nodeValue('vm', 'uuid', node);
  if (cur) return cur;
  return stores.tables.claimNodeValue('vm', 'uuid', node, randomUUID());
}

/** MACs in use anywhere in the tables (mac.mac and any `mac=` written in vm.nics). */
async function macsInUse(tables: TableStore): Promise<Set<string>> {
  const set = new Set([...(await tables.columnValues('mac', 'mac')).values()].map((m) => m.toLowerCase()));
  for (const nics of (await tables.columnValues('vm', 'nics')).values()) {
    for (const m of nics.matchAll(/mac=([0-9a-fA-F:]{17})/g)) set.add(m[1]!.toLowerCase());
  }
  return set;
}

/**
 * The node's MAC: the one in the `mac` table, or a new locally administered one, collision-checked
 * across the cluster and stored in the same transaction (so concurrent first power-ons never
 * hand out one MAC twice).
 */
export function ensureMac(stores: Stores, node: string): Promise<string> {
  return stores.transaction(async (tx) => {
    const cur = await tx.tables.nodeValue('mac', 'mac', node);
    if (cur) return cur.toLowerCase();
    const used = await macsInUse(tx.tables);
    for (let i = 0; i < 64; i++) {
      const mac = generateMac(randomBytes(6));
      if (used.has(mac)) continue;
      return (await tx.tables.claimNodeValue('mac', 'mac', node, mac, { interface: 'eth0' })).toLowerCase();
    }
    throw new Error(`${node}: could not allocate a unique MAC address`);
  });
}
