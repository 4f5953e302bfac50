/** Prefer the host with the most memory room left after the move (spreads load, keeps slack). */
import type { Ranker } from './ranker';

export const mostFreeMemory: Ranker = {
  name: 'free-memory',
  bind: (ctx, guest) => {
    const need = guest.info.memoryMiB;
    const ledger = ctx.ledger;
    return { score: (h) => ledger.memRoom(h) - need };
  },
};
