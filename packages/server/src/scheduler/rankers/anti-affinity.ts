/** Spread: prefer hosts with the fewest guests of the guest's anti-affinity group (ideally none). */
import type { Ranker } from './ranker';

export const antiAffinitySpread: Ranker = {
  name: 'anti-affinity',
  bind: (ctx, guest) => {
    const group = guest.info.antiAffinity;
    if (group === undefined) return undefined;
    const ledger = ctx.ledger;
    return { score: (h) => -ledger.groupCount(group, h) };
  },
};
