/** The destination must be up (fresh heartbeat) and not in maintenance. */
import type { Filter } from './filter';
import { failure } from './filter';

export const hostUp: Filter = {
  check: 'host-up',
  scope: 'source',
  bind: (_ctx, guest) => ({
    trivial: false,
    feasible: (h) => h.info.state === 'up',
    explain: (h) =>
      failure(
        'host-up',
        `cannot move guest ${guest.name} to ${h.name}: ${h.name} is ${h.info.state}${h.info.state === 'stale' ? ' (its agent missed heartbeats)' : ''}`,
        `bring drover-agent on ${h.name} back up, or pick another destination`,
      ),
    note: (h) => `${h.name} is up`,
  }),
};

export const hostMaintenance: Filter = {
  check: 'host-maintenance',
  scope: 'source',
  bind: (_ctx, guest) => ({
    trivial: false,
    feasible: (h) => !h.info.maintenance,
    explain: (h) =>
      failure(
        'host-maintenance',
        `cannot move guest ${guest.name} to ${h.name}: ${h.name} is in maintenance`,
        `take ${h.name} out of maintenance, or pick another destination`,
      ),
    note: (h) => `${h.name} is not in maintenance`,
  }),
};
