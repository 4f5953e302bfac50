/**
 * Room for the guest's memory and vCPUs on the destination, counting headroom, moves in flight
 * and what this plan has already placed there (see ledger.ts).
 */
import { baselineRoom } from '../ledger';
import type { Filter } from './filter';
import { failure } from './filter';

export const memoryRoom: Filter = {
  check: 'memory',
  scope: 'capacity',
  bind: (ctx, guest) => {
    const need = guest.info.memoryMiB;
    const ledger = ctx.ledger;
    return {
      trivial: false,
      feasible: (h) => ledger.memRoom(h) >= need,
      explain: (h) => {
        const planned = ledger.plannedMemMiB(h);
        return failure(
          'memory',
          `guest ${guest.name} needs ${need} MiB but ${h.name} has ${ledger.memRoom(h)} MiB room (${h.freeMiB} MiB free − ${ledger.headroomMiB(h)} MiB headroom − ${h.inFlightMemMiB} MiB for moves in flight${planned ? ` − ${planned} MiB planned in this run` : ''})`,
          `free memory on ${h.name}, raise its memory in the hypervisor table if the report is low, or pick another host`,
        );
      },
      note: (h) => `${h.name} has ${ledger.memRoom(h)} MiB room for ${need} MiB`,
    };
  },
};

export const vcpuRoom: Filter = {
  check: 'vcpus',
  scope: 'capacity',
  bind: (ctx, guest) => {
    const need = guest.info.vcpus;
    const ledger = ctx.ledger;
    const ratio = ctx.policy.vcpuOvercommit;
    return {
      trivial: false,
      feasible: (h) => ledger.vcpuRoom(h) >= need,
      explain: (h) => {
        const planned = baselineRoom(h, ctx.policy).vcpus - ledger.vcpuRoom(h);
        return failure(
          'vcpus',
          `guest ${guest.name} needs ${need} vCPUs but ${h.name} has room for ${ledger.vcpuRoom(h)} (${h.cpus} CPUs × overcommit ${ratio} − ${h.activeVcpus} in use − ${h.inFlightVcpus} for moves in flight${planned ? ` − ${planned} planned in this run` : ''})`,
          `pick another host, lower ${guest.name}'s vCPUs, or raise the overcommit ratio`,
        );
      },
      note: (h) => `${h.name} has room for ${ledger.vcpuRoom(h)} vCPUs, needs ${need}`,
    };
  },
};
