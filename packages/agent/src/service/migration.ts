/** AgentService migration RPCs (contract: docs/migration.md), on top of the agent's Migrations. */
import type * as grpc from '@grpc/grpc-js';
import type {
  Handlers,
  PrepareMigrationRequest__Output,
  StartMigrationRequest__Output,
  QueryMigrationRequest__Output,
  AbortMigrationRequest__Output,
  CheckReachableRequest__Output,
  CompareCpuRequest__Output,
  GuestCpuRequest__Output,
} from '@drover/contract';
import { handle, type ServiceDeps } from './context.js';
import type { Migrations } from '../migration/migrations.js';

type Call<T> = grpc.ServerUnaryCall<T, unknown>;

export function migrationHandlers(
  deps: ServiceDeps,
  m: Migrations,
): Handlers<
  'AgentService',
  'PrepareMigration' | 'StartMigration' | 'QueryMigration' | 'AbortMigration' | 'GuestCpu' | 'CompareCpu' | 'CheckReachable'
> {
  return {
    PrepareMigration: (call: Call<PrepareMigrationRequest__Output>) =>
      handle(deps, 'PrepareMigration', { host: call.request.host }, (log) => m.prepare(call.request, log), call.request.spec?.name),
    StartMigration: (call: Call<StartMigrationRequest__Output>) =>
      handle(deps, 'StartMigration', call.request, (log) => m.start(call.request, log)),
    QueryMigration: (call: Call<QueryMigrationRequest__Output>) =>
      handle(deps, 'QueryMigration', { host: call.request.host, ...(call.request.guest ? { guest: call.request.guest } : {}) }, () =>
        m.query(call.request.operationId, call.request.stepId, call.request.guest),
      ),
    AbortMigration: (call: Call<AbortMigrationRequest__Output>) =>
      handle(deps, 'AbortMigration', { host: call.request.host, ...(call.request.guest ? { guest: call.request.guest } : {}) }, () =>
        m.abort(call.request.operationId, call.request.stepId, call.request.guest),
      ),
    GuestCpu: (call: Call<GuestCpuRequest__Output>) => handle(deps, 'GuestCpu', call.request, () => m.guestCpu(call.request.guest)),
    CompareCpu: (call: Call<CompareCpuRequest__Output>) =>
      handle(deps, 'CompareCpu', { host: call.request.host, ...(call.request.guest ? { guest: call.request.guest } : {}) }, () =>
        m.compareCpu(call.request),
      ),
    CheckReachable: (call: Call<CheckReachableRequest__Output>) =>
      handle(deps, 'CheckReachable', { host: call.request.host }, () => m.checkReachable(call.request)),
  };
}
