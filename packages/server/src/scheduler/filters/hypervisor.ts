/** Live migration works only between hosts of one hypervisor type (kvm↔kvm, xen↔xen, qemu↔qemu). */
import type { Filter } from './filter';
import { failure } from './filter';

export const sameHypervisor: Filter = {
  check: 'hypervisor',
  scope: 'source',
  bind: (_ctx, guest, source) => ({
    trivial: false,
    feasible: (h) => source !== undefined && h.info.hypervisor === source.info.hypervisor,
    explain: (h) =>
      failure(
        'hypervisor',
        source
          ? `guest ${guest.name} runs on ${source.info.hypervisor} host ${source.name} but ${h.name} is ${h.info.hypervisor}`
          : `guest ${guest.name}'s host ${guest.info.host} is unknown, so ${h.name}'s hypervisor (${h.info.hypervisor}) cannot be matched`,
        source ? `pick a ${source.info.hypervisor} host` : `make ${guest.info.host} report to drover-server`,
      ),
    note: (h) => `${h.name} is ${h.info.hypervisor} like the source`,
  }),
};
