/**
 * Guests: rpower (fan-out to the agents, bounded), rpower stat (from the reported inventory, or
 * --live from the agents), mkvm, rmvm, lsvm, wvid and the rcons console relay.
 *
 * Fencing: a guest is never started when its recorded host is stale or down, nor when its UUID is
 * active on any other host; a guest found defined on two hosts is reported, not started.
 */
import * as grpc from '@grpc/grpc-js';
import {
  type Handlers,
  DroverError,
  fromServiceError,
  toServiceError,
  callerOf,
  background,
  type PowerRequest__Output,
  type NodeResult,
  type GuestStatus__Output,
  type MkVmRequest__Output,
  type RmVmRequest__Output,
  type LsVmRequest__Output,
  type LsVmResponse,
  type WvidRequest__Output,
  type ConsoleInput__Output,
  type ConsoleOutput__Output,
} from '@drover/contract';
import type { ServerContext } from '../context.js';
import { boundedAll, isActive, stateWord } from '../guests/state.js';
import { defineFromTables, fenceGuest } from '../guests/define.js';

const DEFAULT_FANOUT = 64;
/** wvid's one-time VNC password: valid 5 minutes unless asked otherwise, never more than an hour. */
const WVID_TTL_S = 300;
const WVID_MAX_TTL_S = 3600;
type Stream<Req> = grpc.ServerWritableStream<Req, NodeResult>;

function ok(node: string, message: string, data: Record<string, string> = {}): NodeResult {
  return { node, ok: true, message, code: '', data };
}
/** A live stat: the guest's state as its host's libvirt reports it. */
const liveOk = (node: string, host: string, g: GuestStatus__Output): NodeResult =>
  ok(node, stateWord(g.state), { state: stateWord(g.state), host, reason: g.reason });
/** The guest is not defined on its host (off, as xCAT says). */
const notDefined = (node: string, host: string): NodeResult => ok(node, 'off (not defined)', { state: 'off', host, defined: 'false' });
function failed(node: string, err: unknown): NodeResult {
  const d = err instanceof DroverError ? err : fromServiceError(err);
  return {
    node,
    ok: false,
    message: d.message.startsWith(`${node}:`) ? d.message.slice(node.length + 1).trim() : d.message,
    code: d.code,
    data: {},
  };
}

export function guestHandlers(
  ctx: ServerContext,
): Handlers<'AdminService', 'Power' | 'PowerStat' | 'MkVm' | 'RmVm' | 'LsVm' | 'Wvid' | 'Console'> {
  const log = ctx.log.child({ part: 'guests' });

  /** The host a node's guest belongs to (vm.host), or an error naming the attribute. */
  async function hostOf(node: string): Promise<string> {
    const h = await ctx.tables.get(node, 'vm.host');
    if (!h)
      throw new DroverError('NO_HOST', `${node}: vm.host is not set; set it with: chdef ${node} vm.host=<hypervisor>`, {
        status: grpc.status.FAILED_PRECONDITION,
        node,
      });
    return h;
  }

  const fence = (node: string, host: string, uuid: string): void => fenceGuest(ctx, node, host, uuid);

  async function powerOn(node: string): Promise<string> {
    const host = await hostOf(node);
    const view = ctx.hosts.get(host);
    if (!view || view.state !== 'up') {
      throw new DroverError(
        'HOST_DOWN',
        `${node}: host ${host} is ${view?.state ?? 'unknown'}; a guest is never started on a host that is not up`,
        { status: grpc.status.UNAVAILABLE, node, host },
      );
    }
    const uuid = await ctx.tables.get(node, 'vm.uuid');
    fence(node, host, uuid ?? '');
    let cur: GuestStatus__Output | undefined;
    try {
      cur = await ctx.agents.call(host, 'GetGuest', { guest: node });
    } catch (e) {
      if ((e as DroverError).status !== grpc.status.NOT_FOUND) throw e;
    }
    if (!cur) return stateWord((await defineFromTables(ctx, node, host, { start: true })).status?.state);
    if (isActive(cur.state)) return stateWord(cur.state);
    const r = await ctx.agents.call(host, 'Power', { guest: node, action: 'POWER_ACTION_ON' });
    return stateWord(r.state);
  }

  /** stat from the reported inventory; `known` is the node's vm.host when the caller read many at once. */
  async function statFromInventory(node: string, known?: string): Promise<NodeResult> {
    const host = known ?? (await hostOf(node));
    const view = ctx.hosts.get(host);
    if (!view || view.state !== 'up') {
      const age = view?.lastSeenMs ? `${Math.round((Date.now() - view.lastSeenMs) / 1000)}s ago` : 'never';
      return ok(node, `unknown (host ${host} is ${view?.state ?? 'not enrolled'}, last heartbeat ${age})`, { state: 'unknown', host });
    }
    const inv = ctx.inventory.host(host);
    if (!inv) return ok(node, `unknown (no inventory from ${host} yet)`, { state: 'unknown', host });
    const g = inv.guests.get(node);
    const elsewhere = ctx.inventory.whereIs(node).find((s) => s.host !== host && isActive(s.guest.state));
    if (!g) {
      if (elsewhere)
        return ok(node, `${stateWord(elsewhere.guest.state)} (on ${elsewhere.host}, not vm.host ${host})`, {
          state: stateWord(elsewhere.guest.state),
          host: elsewhere.host,
        });
      return notDefined(node, host);
    }
    const age = Date.now() - inv.updatedMs;
    const stale = age > ctx.cfg.hosts.staleAfterMs ? ` (as of ${Math.round(age / 1000)}s ago)` : '';
    return ok(node, `${stateWord(g.state)}${stale}`, { state: stateWord(g.state), host, reason: g.reason });
  }

  const Power = async (call: Stream<PowerRequest__Output>): Promise<void> => {
    const req = call.request;
    const nodes = await ctx.expand(req.noderange, { requireKnown: true });
    const action = req.action;
    const who = callerOf(call)?.name ?? '';
    await boundedAll(nodes, req.concurrency || DEFAULT_FANOUT, async (node) => {
      try {
        let msg: string;
        if (action === 'POWER_ACTION_ON') msg = await powerOn(node);
        else if (action === 'POWER_ACTION_STAT' || action === 'POWER_ACTION_UNSPECIFIED') {
          call.write(req.live ? await liveStat(node) : await statFromInventory(node));
          return;
        } else {
          const host = await hostOf(node);
          const r = await ctx.agents.call(
            host,
            'Power',
            { guest: node, action, timeoutMs: req.timeoutMs },
            { deadlineMs: (req.timeoutMs || 60_000) + 10_000 },
          );
          msg = stateWord(r.state);
        }
        log.info({ node, action, who }, `power ${action.replace('POWER_ACTION_', '').toLowerCase()}: ${msg}`);
        call.write(ok(node, msg, { state: msg.split(' ')[0]! }));
      } catch (e) {
        call.write(failed(node, e));
      }
    });
  };

  async function liveStat(node: string): Promise<NodeResult> {
    const host = await hostOf(node);
    try {
      const g = await ctx.agents.call(host, 'GetGuest', { guest: node }, { deadlineMs: 15_000 });
      return liveOk(node, host, g);
    } catch (err) {
      return liveError(node, host, err);
    }
  }

  /** A live stat the agent could not answer: 'off' when the guest is not defined there, 'unknown' (with why) when the host cannot tell. */
  function liveError(node: string, host: string, e: unknown): NodeResult {
    if ((e as DroverError).status === grpc.status.NOT_FOUND) return notDefined(node, host);
    if ((e as DroverError).code === 'LIBVIRT_UNAVAILABLE')
      return ok(node, `unknown (${(e as Error).message})`, { state: 'unknown', host, reason: 'libvirt unreachable' });
    if ((e as DroverError).code === 'HOST_DOWN' || (e as DroverError).code === 'AGENT_UNREACHABLE')
      return ok(node, `unknown (${(e as Error).message})`, { state: 'unknown', host });
    throw e;
  }

  /** stat --live over many nodes: one ListGuests per host (not one call per guest). */
  async function liveStatByHost(nodes: string[], concurrency: number, write: (r: NodeResult) => void): Promise<void> {
    const hostOfNode = await ctx.tables.getMany(nodes, 'vm.host');
    const byHost = new Map<string, string[]>();
    for (const node of nodes) {
      const host = hostOfNode.get(node);
      if (!host) {
        try {
          await hostOf(node);
        } catch (e) {
          write(failed(node, e));
        }
        continue;
      }
      const l = byHost.get(host);
      if (l) l.push(node);
      else byHost.set(host, [node]);
    }
    await boundedAll([...byHost], concurrency, async ([host, list]) => {
      let guests: Map<string, GuestStatus__Output>;
      try {
        const r = await ctx.agents.call(host, 'ListGuests', {}, { deadlineMs: 30_000 });
        guests = new Map(r.guests.map((g) => [g.name, g]));
      } catch (err) {
        for (const node of list) {
          try {
            write(liveError(node, host, err));
          } catch (e) {
            write(failed(node, e));
          }
        }
        return;
      }
      for (const node of list) {
        const g = guests.get(node);
        write(g ? liveOk(node, host, g) : notDefined(node, host));
      }
    });
  }

  const PowerStat = async (call: Stream<PowerRequest__Output>): Promise<void> => {
    const req = call.request;
    const nodes = await ctx.expand(req.noderange, { requireKnown: true });
    if (!req.live) {
      // vm.host of every node in one pass (40,000 single-row queries cost more than the stat itself)
      const hostOfNode = await ctx.tables.getMany(nodes, 'vm.host');
      for (const node of nodes) {
        try {
          call.write(await statFromInventory(node, hostOfNode.get(node)));
        } catch (e) {
          call.write(failed(node, e));
        }
      }
      return;
    }
    await liveStatByHost(nodes, req.concurrency || DEFAULT_FANOUT, (r) => call.write(r));
  };

  const MkVm = async (call: Stream<MkVmRequest__Output>): Promise<void> => {
    const req = call.request;
    const nodes = await ctx.expand(req.noderange, { requireKnown: true });
    await boundedAll(nodes, DEFAULT_FANOUT, async (node) => {
      try {
        const host = await hostOf(node);
        const r = await defineFromTables(ctx, node, host, { start: false, ...(req.size ? { diskSize: req.size } : {}) });
        const disks = r.created.map((d) => d.path).filter(Boolean);
        call.write(ok(node, `defined on ${host}${disks.length ? `; disks created: ${disks.join(', ')}` : ''}`, { host }));
      } catch (e) {
        call.write(failed(node, e));
      }
    });
  };

  const RmVm = async (call: Stream<RmVmRequest__Output>): Promise<void> => {
    const req = call.request;
    const nodes = await ctx.expand(req.noderange, { requireKnown: true });
    await boundedAll(nodes, DEFAULT_FANOUT, async (node) => {
      try {
        const host = await hostOf(node);
        const r = await ctx.agents.call(
          host,
          'UndefineGuest',
          { guest: node, force: req.force, deleteDisks: req.purge },
          { deadlineMs: 120_000 },
        );
        await ctx.tables.clearDefined(node);
        const deleted = r.deleted.map((d) => d.path).filter(Boolean);
        call.write(ok(node, `removed from ${host}${deleted.length ? `; disks deleted: ${deleted.join(', ')}` : ''}`, { host }));
      } catch (e) {
        call.write(failed(node, e));
      }
    });
  };

  const LsVm = async (call: grpc.ServerUnaryCall<LsVmRequest__Output, LsVmResponse>): Promise<LsVmResponse> => {
    const { host, live } = call.request;
    const view = ctx.hosts.get(host);
    if (!view)
      throw new DroverError('HOST_UNKNOWN', `host '${host}' is not enrolled (see lshosts)`, { status: grpc.status.NOT_FOUND, host });
    const hostState = view.state === 'up' ? 'HOST_STATE_UP' : view.state === 'stale' ? 'HOST_STATE_STALE' : 'HOST_STATE_DOWN';
    if (live) {
      const r = await ctx.agents.call(host, 'ListGuests', {});
      return { host, hostState, ageMs: 0, guests: r.guests };
    }
    const inv = ctx.inventory.host(host);
    return {
      host,
      hostState,
      ageMs: inv ? Date.now() - inv.updatedMs : 0,
      guests: inv ? [...inv.guests.values()].sort((a, b) => a.name.localeCompare(b.name, 'en', { numeric: true })) : [],
    };
  };

  const Wvid = async (call: Stream<WvidRequest__Output>): Promise<void> => {
    const nodes = await ctx.expand(call.request.noderange, { requireKnown: true });
    const ttl = call.request.passwordTtlS || WVID_TTL_S;
    if (ttl > WVID_MAX_TTL_S)
      throw new DroverError('INVALID_ARGUMENT', `wvid: password validity ${ttl}s is longer than the ${WVID_MAX_TTL_S}s allowed`, {
        status: grpc.status.INVALID_ARGUMENT,
      });
    await boundedAll(nodes, 16, async (node) => {
      try {
        const host = await hostOf(node);
        const v = await ctx.agents.call(host, 'GetVnc', { guest: node, passwordTtlS: ttl });
        call.write(
          ok(node, `vnc://${v.address}:${v.port} password ${v.password} (valid until ${new Date(v.expiresMs).toISOString()})`, {
            host,
            address: v.address,
            port: String(v.port),
            password: v.password,
            expires: String(v.expiresMs),
          }),
        );
      } catch (e) {
        call.write(failed(node, e));
      }
    });
  };

  /** rcons: relays one admin's console session to the agent of the host where the guest runs. */
  const Console = (call: grpc.ServerDuplexStream<ConsoleInput__Output, ConsoleOutput__Output>): void => {
    let upstream: grpc.ClientDuplexStream<object, unknown> | undefined;
    let closed = false;
    const end = (err?: unknown): void => {
      if (closed) return;
      closed = true;
      upstream?.end();
      if (err) call.emit('error', toServiceError(err));
      else call.end();
    };
    // The first message names the guest; what arrives while its host is looked up waits.
    let attaching = false;
    const waiting: ConsoleInput__Output['data'][] = [];
    const attach = async (m: ConsoleInput__Output): Promise<void> => {
      const node = m.guest;
      if (!(await ctx.tables.exists(node)))
        throw new DroverError('NOT_FOUND', `${node}: no such node`, { status: grpc.status.NOT_FOUND, node });
      const running = ctx.inventory.whereIs(node).find((s) => isActive(s.guest.state));
      const host = running?.host ?? (await hostOf(node));
      if (closed) return;
      upstream = ctx.agents.duplex(host, 'Console');
      upstream.on('data', (o: ConsoleOutput__Output) => call.write(o));
      upstream.on('error', (e: grpc.ServiceError) => end(e.code === grpc.status.CANCELLED ? undefined : e));
      upstream.on('end', () => end());
      upstream.write({ host, guest: node, write: m.write, force: m.force, data: m.data, who: callerOf(call)?.name ?? '' });
      for (const data of waiting.splice(0)) upstream.write({ data });
      log.info({ node, host, who: callerOf(call)?.name, write: m.write }, 'console attached');
    };
    call.on('data', (m: ConsoleInput__Output) => {
      if (upstream) {
        upstream.write({ data: m.data });
        return;
      }
      if (attaching) {
        waiting.push(m.data);
        return;
      }
      attaching = true;
      background('console attach', attach(m).catch(end), log);
    });
    call.on('end', () => end());
    call.on('error', () => end());
    call.on('cancelled', () => end());
  };

  return { Power, PowerStat, MkVm, RmVm, LsVm, Wvid, Console };
}
