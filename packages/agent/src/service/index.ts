/** The agent's command service (AgentService): one handler file per area, joined here. */
import type { Implementation } from '@drover/contract';
import { LibvirtError, ErrorNumber } from '@drover/libvirt';
import { ConsoleHubs } from '../console/hub.js';
import type { RestartRunner } from '../hypervisor/restart.js';
import { consoleHandlers } from './console.js';
import { diskHandlers } from '../disks/service.js';
import { guestHandlers } from './guests.js';
import { hypervisorHandlers } from './hypervisor.js';
import { powerHandlers } from './power.js';
import { vncHandlers } from './vnc.js';
import { migrationHandlers } from './migration.js';
import type { Migrations } from '../migration/migrations.js';
import { failedPrecondition, lookupGuest, type ServiceDeps } from './context.js';

export type { ServiceDeps } from './context.js';

/** Console hubs whose consoles are opened through the manager's connection. */
export function consoleHubs(deps: ServiceDeps): ConsoleHubs {
  return new ConsoleHubs(
    async (guest, force) => {
      const dom = await lookupGuest(deps, deps.lv.conn(), guest);
      if (!(await dom.isActive()))
        throw failedPrecondition(
          `guest '${guest}' is not running on ${deps.cfg.host}; its console exists only while it runs`,
          { host: deps.cfg.host, node: guest },
          `power it on first: rpower ${guest} on`,
        );
      return dom.openConsole(undefined, { force, safe: false });
    },
    deps.log.child({ host: deps.cfg.host, op: 'console' }),
  );
}

export function agentHandlers(
  deps: ServiceDeps,
  extra: { hubs: ConsoleHubs; advertise: () => string; restartRunner?: RestartRunner; migrations: Migrations },
): Implementation<'AgentService'> {
  return {
    ...guestHandlers(deps),
    ...powerHandlers(deps),
    ...diskHandlers(deps),
    ...vncHandlers(deps, extra.advertise),
    ...consoleHandlers(deps, extra.hubs),
    ...hypervisorHandlers(deps, extra.restartRunner),
    ...migrationHandlers(deps, extra.migrations),
  };
}

export function isNoDomain(e: unknown): boolean {
  return e instanceof LibvirtError && e.code === ErrorNumber.NO_DOMAIN;
}
