/** The destination's CPU must satisfy the guest's required CPU (see cpu-models.ts for the rule). */
import type { HostRecord } from '../cluster';
import { cpuCompatible, type CpuVerdict } from './cpu-models';
import type { Filter } from './filter';
import { failure, list } from './filter';

export const cpuCompat: Filter = {
  check: 'cpu',
  scope: 'guest',
  bind: (_ctx, guest) => {
    const req = guest.info.cpu;
    // Hosts with one CPU description share a cpuId, so each description is compared once.
    const seen = new Map<number, CpuVerdict>();
    const verdict = (h: HostRecord): CpuVerdict => {
      let v = seen.get(h.cpuId);
      if (!v) {
        v = req ? cpuCompatible(req, h.cpu) : { ok: true, missing: [] };
        seen.set(h.cpuId, v);
      }
      return v;
    };
    return {
      trivial: req === undefined,
      feasible: (h) => verdict(h).ok,
      explain: (h) => {
        const v = verdict(h);
        const parts: string[] = [];
        if (v.modelProblem) parts.push(v.modelProblem);
        if (v.missing.length) parts.push(`${h.name} lacks feature${v.missing.length > 1 ? 's' : ''} ${list(v.missing)}`);
        return failure(
          'cpu',
          `guest ${guest.name} requires CPU ${req?.model ?? '?'} but ${h.name} offers ${h.cpu.model}: ${parts.join('; ')}`,
          `pick a host with a compatible CPU, or relax ${guest.name}'s CPU model/features`,
        );
      },
      note: (h) => (req ? `${h.name}'s ${h.cpu.model} satisfies ${req.model}` : `${guest.name} requires no particular CPU`),
    };
  },
};
