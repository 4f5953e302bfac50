/** Guest-level checks: can this guest be live-migrated at all right now? */
import type { GuestCheck } from './filter';
import { failure } from './filter';

const LIVE = new Set(['running', 'paused']);

export const guestState: GuestCheck = {
  check: 'guest-state',
  evaluate(_ctx, guest, _source, dest) {
    if (LIVE.has(guest.info.state)) return undefined;
    return failure(
      'guest-state',
      `guest ${guest.name} on ${guest.info.host} is ${guest.info.state}${dest ? ` and cannot be live-migrated to ${dest}` : ''}; live migration needs a running or paused guest`,
      `start ${guest.name} first (rpower ${guest.name} on), or leave it defined on ${guest.info.host}`,
    );
  },
  note: (guest) => `guest ${guest.name} is ${guest.info.state}`,
};

export const notInFlight: GuestCheck = {
  check: 'not-in-flight',
  evaluate(_ctx, guest) {
    const m = guest.inFlight;
    if (!m) return undefined;
    return failure(
      'not-in-flight',
      `guest ${guest.name} is already migrating from ${m.source} to ${m.dest}`,
      `wait for that migration to finish, then retry`,
    );
  },
  note: (guest) => `guest ${guest.name} has no migration in flight`,
};

export const sourceUp: GuestCheck = {
  check: 'source-up',
  evaluate(_ctx, guest, source) {
    if (!source) {
      return failure(
        'source-up',
        `guest ${guest.name}'s host ${guest.info.host} is not in the cluster snapshot (no agent reports it)`,
        `start drover-agent on ${guest.info.host}, or correct vm.host for ${guest.name}`,
      );
    }
    if (source.info.state !== 'down') return undefined;
    return failure(
      'source-up',
      `guest ${guest.name}'s host ${source.name} is down, so nothing can migrate off it`,
      `bring drover-agent and libvirtd on ${source.name} back; a dead host's guests need a restart elsewhere, not a migration`,
    );
  },
  note: (guest) => `source host ${guest.info.host} is reachable`,
};

export const GUEST_CHECKS: readonly GuestCheck[] = [guestState, notInFlight, sourceUp];
