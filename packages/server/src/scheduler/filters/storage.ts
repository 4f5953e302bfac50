/**
 * Disks must either sit on declared-shared storage the destination reaches, or be copied during
 * the migration (copy-storage) when the policy allows it.
 *
 * A shared entry is reachable from a host when the entry lists the host, or the host's agent
 * reports the entry's URL among its storage. A disk whose URL matches no entry is host-local.
 */
import type { DiskRecord, GuestRecord, HostRecord } from '../cluster';
import type { CopyStorage } from '../policy';
import type { StorageDecision } from '../types';
import type { Filter } from './filter';
import { failure, list } from './filter';

function reachable(d: DiskRecord, h: HostRecord): boolean {
  const s = d.storage;
  return s !== undefined && s.shared && (s.hosts.has(h.name) || h.storage.includes(s.url));
}

const NOTHING_TO_COPY: StorageDecision = Object.freeze({ mode: 'shared', copyDisks: Object.freeze([]) as readonly string[] });

/** How the guest's disks would travel to `host`, or undefined when the policy forbids the copy it needs. */
export function storageDecision(guest: GuestRecord, host: HostRecord, copy: CopyStorage): StorageDecision | undefined {
  if (guest.disks.length === 0) return NOTHING_TO_COPY;
  if (copy === 'always') return { mode: 'copy', copyDisks: guest.disks.map((d) => d.id) };
  const local = guest.disks.filter((d) => !reachable(d, host));
  if (local.length === 0) return NOTHING_TO_COPY;
  if (copy === 'never') return undefined;
  return { mode: 'copy', copyDisks: local.map((d) => d.id) };
}

export const storageReachable: Filter = {
  check: 'storage',
  scope: 'guest',
  bind: (ctx, guest) => {
    const copy = ctx.policy.copyStorage;
    return {
      trivial: copy !== 'never' || guest.disks.length === 0,
      feasible: (h) => {
        if (copy !== 'never') return true;
        for (const d of guest.disks) if (!reachable(d, h)) return false;
        return true;
      },
      explain: (h) => {
        const local = guest.disks.filter((d) => !reachable(d, h));
        const where = local.map((d) =>
          d.storage ? `${d.id} on ${d.storage.url}${d.storage.shared ? '' : ' (not shared)'}` : `${d.id} (host-local)`,
        );
        const shared = local.filter((d) => d.storage?.shared).map((d) => d.storage?.url ?? '');
        return failure(
          'storage',
          `guest ${guest.name}'s disk${local.length > 1 ? 's' : ''} ${list(where)} ${local.length > 1 ? 'are' : 'is'} not on shared storage ${h.name} reaches, and policy copyStorage is never`,
          shared.length
            ? `add ${h.name} to the hosts of ${list([...new Set(shared)])}, or allow copy-storage (copyStorage auto)`
            : `allow copy-storage (copyStorage auto), or move the disks to shared storage`,
        );
      },
      note: (h) => {
        const d = storageDecision(guest, h, copy);
        if (!d) return `no storage mode for ${h.name}`;
        if (d.mode === 'shared')
          return guest.disks.length
            ? `every disk is on shared storage ${h.name} reaches (migration uses libvirt's unsafe flag)`
            : `${guest.name} has no disks`;
        return `copy-storage of ${list([...d.copyDisks])} to ${h.name}`;
      },
    };
  },
};
