/** Moving a guest onto the host it already runs on is refused. */
import type { Filter } from './filter';
import { failure } from './filter';

export const notSource: Filter = {
  check: 'not-source',
  scope: 'source',
  bind: (_ctx, guest) => ({
    trivial: false,
    feasible: (h) => h.name !== guest.info.host,
    explain: (h) => failure('not-source', `guest ${guest.name} already runs on ${h.name}`, `name a destination other than ${h.name}`),
    note: (h) => `${h.name} is not ${guest.name}'s current host`,
  }),
};
