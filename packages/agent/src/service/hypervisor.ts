/** RestartHypervisor: the safe restart (suspend, restart, reconnect, resume exactly those). SetPeers is not served yet. */
import * as grpc from '@grpc/grpc-js';
import { DroverError, notImplemented, type HostRequest__Output, type RestartHypervisorResponse } from '@drover/contract';
import { commandRunner, safeRestart, type RestartRunner } from '../hypervisor/restart.js';
import { handle, type ServiceDeps } from './context.js';

export function hypervisorHandlers(deps: ServiceDeps, runner?: RestartRunner) {
  let busy = false;
  const run = runner ?? commandRunner(deps.cfg.hypervisor.restartCommand);
  return {
    RestartHypervisor: (call: grpc.ServerUnaryCall<HostRequest__Output, RestartHypervisorResponse>) =>
      handle(deps, 'RestartHypervisor', call.request, async (log) => {
        if (busy)
          throw new DroverError('RESTART_IN_PROGRESS', `a hypervisor restart is already running on ${deps.cfg.host}`, {
            status: grpc.status.ABORTED,
            host: deps.cfg.host,
          });
        busy = true;
        try {
          const res = await safeRestart(deps.lv, run, log, { reconnectTimeoutMs: deps.cfg.hypervisor.reconnectTimeoutMs });
          deps.changed?.();
          log[res.error ? 'warn' : 'info']({ ...res }, 'hypervisor restart finished');
          return res;
        } finally {
          busy = false;
        }
      }),
    // Declared in proto/ (peer relocation settings) but not implemented by the agent.
    SetPeers: notImplemented('AgentService', 'SetPeers'),
  };
}
