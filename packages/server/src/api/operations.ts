/** AdminService: rmigrate, revacuate, maintenance, and the operations they create (ops). */
import * as grpc from '@grpc/grpc-js';
import {
  callerOf,
  type Handlers,
  DroverError,
  type MigrateRequest__Output,
  type EvacuateRequest__Output,
  type MaintenanceRequest__Output,
  type OperationRef__Output,
  type OperationRef,
  type Operation,
  type OperationUpdate,
  type ListOperationsRequest__Output,
  type HypervisorRequest__Output,
  type NodeResults,
} from '@drover/contract';
import type { ServerContext } from '../context.js';
import type { OperationEngine, MigrationOptions } from '../operations/engine.js';

type Unary<Req, Res> = (call: grpc.ServerUnaryCall<Req, Res>) => Promise<Res>;

function copyStorage(v: string, field = 'copy_storage'): MigrationOptions['copyStorage'] | undefined {
  if (!v) return undefined;
  if (v === 'auto' || v === 'always' || v === 'never') return v;
  throw new DroverError('INVALID_ARGUMENT', `${field} '${v}': expected auto, always or never`, { status: grpc.status.INVALID_ARGUMENT });
}

function options(r: {
  timeoutS?: number;
  maxDowntimeMs?: number;
  bandwidthMibps?: number;
  copyStorage?: string;
}): Partial<MigrationOptions> {
  const o: Partial<MigrationOptions> = {};
  if (r.timeoutS) o.timeoutS = r.timeoutS;
  if (r.maxDowntimeMs) o.maxDowntimeMs = Number(r.maxDowntimeMs);
  if (r.bandwidthMibps) o.bandwidthMibps = Number(r.bandwidthMibps);
  const cs = copyStorage(r.copyStorage ?? '');
  if (cs) o.copyStorage = cs;
  return o;
}

export function operationHandlers(
  ctx: ServerContext,
  engine: OperationEngine,
): Handlers<
  'AdminService',
  'Migrate' | 'Evacuate' | 'Maintenance' | 'GetOperation' | 'CancelOperation' | 'ListOperations' | 'WatchOperation' | 'RestartHypervisor'
> {
  const who = (call: object): string => callerOf(call)?.name ?? '';

  const Migrate: Unary<MigrateRequest__Output, OperationRef> = async (call) => {
    const r = call.request;
    const nodes = await ctx.expand(r.noderange, { requireKnown: true });
    if (r.dest) {
      const hosts = await ctx.tables.getMany(nodes, 'vm.host');
      const same = nodes.filter((n) => hosts.get(n) === r.dest);
      if (same.length)
        throw new DroverError(
          'INVALID_ARGUMENT',
          same.map((n) => `${n}: already on ${r.dest}; the destination must differ from the source`).join('\n'),
          { status: grpc.status.INVALID_ARGUMENT, node: same[0]! },
        );
    }
    const op = await engine.migrate(nodes, r.dest, options(r), who(call), r.dryRun);
    return { id: op.id };
  };

  const Evacuate: Unary<EvacuateRequest__Output, OperationRef> = async (call) => {
    const r = call.request;
    const op = await engine.evacuate(r.host, { maxOut: r.maxOut, maxIn: r.maxIn, maxTotal: r.maxTotal }, options(r), who(call), r.dryRun);
    return { id: op.id };
  };

  const Maintenance: Unary<MaintenanceRequest__Output, OperationRef> = async (call) => {
    const r = call.request;
    const view = ctx.hosts.get(r.host);
    if (!view)
      throw new DroverError('HOST_UNKNOWN', `host '${r.host}' is not enrolled (see lshosts)`, {
        status: grpc.status.NOT_FOUND,
        host: r.host,
      });
    if (r.on) {
      const op = await engine.evacuate(r.host, {}, {}, who(call), false, 'maintenance');
      return { id: op.id };
    }
    await ctx.hosts.setMaintenance(r.host, false);
    if (!r.returnGuests) return { id: '' };
    const back = await engine.evacuatedBy(r.host);
    if (back.length === 0) return { id: '' };
    const op = await engine.migrate(
      back.map((b) => b.guest),
      r.host,
      {},
      who(call),
      false,
    );
    return { id: op.id };
  };

  const GetOperation: Unary<OperationRef__Output, Operation> = (call) => engine.get(call.request.id);
  const CancelOperation: Unary<OperationRef__Output, Operation> = async (call) => engine.cancel(call.request.id);
  const ListOperations: Unary<ListOperationsRequest__Output, { operations: Operation[] }> = async (call) => ({
    operations: await engine.list(call.request.all, call.request.limit),
  });

  const WatchOperation = async (call: grpc.ServerWritableStream<OperationRef__Output, OperationUpdate>): Promise<void> => {
    const id = call.request.id;
    // Watch first, then read: an update that comes while the operation is read waits, none is lost.
    let finished!: () => void;
    const done = new Promise<void>((res) => (finished = res));
    let waiting: OperationUpdate[] | undefined = [];
    const send = (u: OperationUpdate): void => {
      call.write(u);
      if (u.final) {
        off();
        finished();
      }
    };
    const off = engine.watch(id, (u) => (waiting ? waiting.push(u) : send(u)));
    let first: Operation;
    try {
      first = await engine.get(id);
    } catch (e) {
      off();
      throw e;
    }
    const queued = waiting;
    waiting = undefined;
    if (!engine.isRunning(id) && queued.length === 0) {
      off();
      call.write({ operation: first, final: true });
      return;
    }
    call.write({ operation: first, final: false });
    for (const u of queued) send(u);
    call.on('cancelled', () => {
      off();
      finished();
    });
    await done;
  };

  const RestartHypervisor: Unary<HypervisorRequest__Output, NodeResults> = async (call) => {
    const { host, action } = call.request;
    if (action && action !== 'restart')
      throw new DroverError('INVALID_ARGUMENT', `rhypervisor: action '${action}': expected restart`, {
        status: grpc.status.INVALID_ARGUMENT,
      });
    const r = await ctx.agents.call(host, 'RestartHypervisor', {}, { deadlineMs: 300_000 });
    const msg = `${r.restarted ? 'restarted' : 'NOT restarted'}; suspended ${r.suspended.length}, resumed ${r.resumed.length}${r.leftPaused.length ? `, left paused (were paused before): ${r.leftPaused.join(',')}` : ''}${r.error ? `; ${r.error}` : ''}`;
    return { results: [{ node: host, ok: r.restarted && !r.error, message: msg, code: r.error ? 'RESTART_FAILED' : '', data: {} }] };
  };

  return {
    Migrate,
    Evacuate,
    Maintenance,
    GetOperation,
    CancelOperation,
    ListOperations,
    WatchOperation,
    RestartHypervisor,
  };
}
