/**
 * AdminService handlers for network install: makedhcp, makehosts, nodeset and rinstall. The work
 * is the netboot service's; these map requests to it and its per-node outcomes to NodeResults.
 * A node that could not be done is a result with ok=false (the call itself succeeds); a bad
 * noderange or target refuses the whole call.
 */
import type * as grpc from '@grpc/grpc-js';
import { status as grpcStatus } from '@grpc/grpc-js';
import {
  type Handlers,
  DroverError,
  invalidArgument,
  type GuestStatus__Output,
  type MakeDhcpRequest__Output,
  type MakeHostsRequest__Output,
  type NodeResult,
  type NodeResults,
  type NodeSetRequest__Output,
} from '@drover/contract';
import type { ServerContext } from '../context.js';
import { defineFromTables } from '../guests/define.js';
import { NetbootService, NODESET_TARGETS, type GuestControl, type NodeOutcome, type NodesetTarget } from '../netboot/service.js';
import { tablesErrorToDrover } from './tables.js';

const services = new WeakMap<ServerContext, NetbootService>();

/** The server's one netboot service (shared by these handlers and the boot file server). */
export function netbootService(ctx: ServerContext): NetbootService {
  let s = services.get(ctx);
  if (!s) {
    const guests: GuestControl = {
      setBootOrder: async (host, guest, order, restart) => {
        const set = (): Promise<GuestStatus__Output> =>
          ctx.agents.call(host, 'SetBootOrder', { guest, bootOrder: order, restart }, { deadlineMs: 120_000 });
        try {
          return await set();
        } catch (e) {
          // rinstall of a guest never powered on: define it from the tables first (as rpower on would).
          if (!restart || (e as DroverError).status !== grpcStatus.NOT_FOUND) throw e;
          await defineFromTables(ctx, guest, host, { start: false });
          return set();
        }
      },
      powerOn: (host, guest) => ctx.agents.call(host, 'Power', { guest, action: 'POWER_ACTION_ON' }, { deadlineMs: 120_000 }),
    };
    s = new NetbootService({
      tables: ctx.tables,
      stores: ctx.stores,
      cfg: ctx.cfg.netboot,
      guests,
      log: ctx.log.child({ part: 'netboot' }),
    });
    services.set(ctx, s);
  }
  return s;
}

function toResult(o: NodeOutcome): NodeResult {
  return { node: o.node, ok: o.ok, message: o.message, code: o.code, data: o.data };
}

async function expand(ctx: ServerContext, noderange: string, requireKnown: boolean, emptyIsAll = false): Promise<string[]> {
  try {
    return await ctx.expand(noderange, { requireKnown, emptyIsAll });
  } catch (e) {
    throw tablesErrorToDrover(e);
  }
}

function targetOf(raw: string): NodesetTarget {
  const t = raw.trim().toLowerCase();
  if (!(NODESET_TARGETS as readonly string[]).includes(t)) {
    throw invalidArgument(
      `nodeset target '${raw}': expected ${NODESET_TARGETS.join(' or ')} (install: boot the network installer next; boot: boot from the local disk)`,
    );
  }
  return t as NodesetTarget;
}

export function netbootHandlers(ctx: ServerContext): Handlers<'AdminService', 'MakeDhcp' | 'MakeHosts' | 'NodeSet' | 'RInstall'> {
  const svc = (): NetbootService => netbootService(ctx);

  const makeDhcp = async (call: grpc.ServerUnaryCall<MakeDhcpRequest__Output, NodeResults>): Promise<NodeResults> => {
    const req = call.request;
    const given = req.noderange.trim() !== '';
    if (req.all && given) throw invalidArgument('makedhcp: give a noderange or -a (every node), not both');
    if (req.delete && req.networks)
      throw invalidArgument('makedhcp: -d removes host entries and -n writes the networks; run them separately');
    if (!given && !req.all && !req.networks)
      throw invalidArgument('makedhcp: give a noderange, -a (every node) or -n (the networks table)');
    // -d may name nodes that were already removed with rmdef: their entries can still go
    const nodes = req.all ? await ctx.tables.nodeNames() : given ? await expand(ctx, req.noderange, !req.delete) : [];
    const out = await svc().makeDhcp({ nodes, networks: req.networks, remove: req.delete });
    return { results: out.map(toResult) };
  };

  const makeHosts = async (call: grpc.ServerUnaryCall<MakeHostsRequest__Output, NodeResults>): Promise<NodeResults> => {
    const req = call.request;
    if (req.delete && req.noderange.trim() === '') throw invalidArgument('makehosts -d: give the noderange to remove');
    const nodes = await expand(ctx, req.noderange, !req.delete, !req.delete);
    const out = await svc().makeHosts({ nodes, remove: req.delete, longNameFirst: req.longNameFirst });
    return { results: out.map(toResult) };
  };

  const nodeSetLike =
    (restart: boolean) =>
    async (call: grpc.ServerWritableStream<NodeSetRequest__Output, NodeResult>): Promise<void> => {
      const req = call.request;
      let target: NodesetTarget;
      if (restart) {
        if (req.target !== '' && req.target.trim().toLowerCase() !== 'install')
          throw invalidArgument(`rinstall installs; target '${req.target}' is not accepted (use nodeset for boot)`);
        target = 'install';
      } else {
        target = targetOf(req.target);
      }
      const nodes = await expand(ctx, req.noderange, true);
      await svc().nodeSet(nodes, target, { restart }, (o) => {
        if (!call.cancelled) call.write(toResult(o));
      });
    };

  return {
    MakeDhcp: makeDhcp,
    MakeHosts: makeHosts,
    NodeSet: nodeSetLike(false),
    RInstall: nodeSetLike(true),
  };
}
