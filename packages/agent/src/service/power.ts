/**
 * Power: on, off (destroy), softoff (ACPI shutdown, waiting up to timeout_ms), reset, reboot,
 * suspend, resume, boot (on when off, reset when on), stat. The reply is the guest's true state
 * afterwards: paused is not off, crashed is not off, a guest that ignored ACPI is still on.
 */
import type * as grpc from '@grpc/grpc-js';
import { invalidArgument, type AgentPowerRequest__Output, type GuestStatus } from '@drover/contract';
import { DomainState, type Domain } from '@drover/libvirt';
import { failedPrecondition, handle, lookupGuest, type ServiceDeps } from './context.js';
import { statusOf } from './guests.js';

const DEFAULT_SOFTOFF_MS = 60_000;

async function waitInactive(dom: Domain, timeoutMs: number): Promise<boolean> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    if (!(await dom.isActive())) return true;
    if (Date.now() >= end) return false;
    await new Promise((r) => setTimeout(r, Math.min(200, Math.max(10, end - Date.now()))));
  }
}

export function powerHandlers(deps: ServiceDeps) {
  const host = deps.cfg.host;
  return {
    Power: (call: grpc.ServerUnaryCall<AgentPowerRequest__Output, GuestStatus>) =>
      handle(deps, 'Power', call.request, async (log) => {
        const r = call.request;
        const action = String(r.action);
        const dom = await lookupGuest(deps, deps.lv.conn(), r.guest);
        const st = (await dom.state()).state;
        const active = await dom.isActive();
        const ctx = { host, node: r.guest };
        const needRunning = (what: string): void => {
          if (!active) throw failedPrecondition(`guest '${r.guest}' is off; ${what} needs it running`, ctx, 'power it on first');
        };
        switch (action) {
          case 'POWER_ACTION_ON':
            if (!active) await dom.start();
            break;
          case 'POWER_ACTION_OFF':
            if (active) await dom.destroy();
            break;
          case 'POWER_ACTION_SOFTOFF': {
            if (!active) break;
            await dom.shutdown();
            const stopped = await waitInactive(dom, r.timeoutMs || DEFAULT_SOFTOFF_MS);
            if (!stopped) log.warn({ timeoutMs: r.timeoutMs || DEFAULT_SOFTOFF_MS }, 'guest still running after ACPI shutdown');
            break;
          }
          case 'POWER_ACTION_RESET':
            needRunning('reset');
            await dom.reset();
            break;
          case 'POWER_ACTION_REBOOT':
            needRunning('reboot');
            await dom.reboot();
            break;
          case 'POWER_ACTION_SUSPEND':
            needRunning('suspend');
            if (st !== DomainState.PAUSED) await dom.suspend();
            break;
          case 'POWER_ACTION_RESUME':
            needRunning('resume');
            if (st === DomainState.PAUSED) await dom.resume();
            break;
          case 'POWER_ACTION_BOOT':
            if (active) await dom.reset();
            else await dom.start();
            break;
          case 'POWER_ACTION_STAT':
            break;
          default:
            throw invalidArgument(
              `action: ${JSON.stringify(r.action)} is not a power action (on, off, softoff, reset, reboot, suspend, resume, boot, stat)`,
            );
        }
        if (action !== 'POWER_ACTION_STAT') {
          log.info({ action }, 'power action done');
          deps.changed?.();
        }
        return statusOf(deps, dom);
      }),
  };
}
