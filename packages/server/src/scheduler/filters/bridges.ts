/** Every NIC's bridge must exist on the destination. */
import type { HostRecord } from '../cluster';
import type { Filter } from './filter';
import { failure, list } from './filter';

export const bridgesPresent: Filter = {
  check: 'bridges',
  scope: 'guest',
  bind: (_ctx, guest) => {
    const need = guest.bridges;
    const missing = (h: HostRecord) => need.filter((b) => !h.bridges.includes(b));
    return {
      trivial: need.length === 0,
      feasible: (h) => {
        for (const b of need) if (!h.bridges.includes(b)) return false;
        return true;
      },
      explain: (h) => {
        const m = missing(h);
        return failure(
          'bridges',
          `${h.name} lacks bridge${m.length > 1 ? 's' : ''} ${list(m)} that guest ${guest.name}'s NICs use`,
          `create ${list(m)} on ${h.name}, or pick a host that has ${m.length > 1 ? 'them' : 'it'}`,
        );
      },
      note: (h) => (need.length ? `${h.name} has ${list(need)}` : `${guest.name} has no NICs`),
    };
  },
};
