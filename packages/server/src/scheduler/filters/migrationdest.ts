/** `vm.migrationdest`, when set, lists the only hosts a guest may go to. */
import type { Filter } from './filter';
import { failure, list } from './filter';

export const migrationDest: Filter = {
  check: 'migrationdest',
  scope: 'guest',
  bind: (_ctx, guest) => {
    const dests = guest.dests;
    return {
      trivial: dests === undefined,
      feasible: (h) => dests === undefined || dests.has(h.name),
      explain: (h) =>
        failure(
          'migrationdest',
          `guest ${guest.name} may only go to ${list([...(dests ?? [])].sort())} (vm.migrationdest), not ${h.name}`,
          `pick one of those hosts, or change vm.migrationdest for ${guest.name}`,
        ),
      note: (h) => (dests === undefined ? `${guest.name} has no migrationdest` : `${h.name} is in ${guest.name}'s migrationdest`),
    };
  },
};
