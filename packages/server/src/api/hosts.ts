/** AdminService handlers for hosts: lshosts and whoami. */
import * as grpc from '@grpc/grpc-js';
import { callerOf, type Handlers, type HostInfo, type ListHostsRequest__Output, type WhoAmIResponse } from '@drover/contract';
import type { ServerContext } from '../context.js';

type Unary<Req, Res> = (call: grpc.ServerUnaryCall<Req, Res>) => Promise<Res>;

export function hostHandlers(ctx: ServerContext): Handlers<'AdminService', 'ListHosts' | 'WhoAmI'> {
  const listHosts: Unary<ListHostsRequest__Output, { hosts: HostInfo[] }> = async (call) => {
    const now = Date.now();
    const filter = call.request.noderange
      ? new Set(
          call.request.noderange
            .split(',')
            .map((s) => s.trim())
            .filter(Boolean),
        )
      : undefined;
    const hosts = ctx.hosts
      .all()
      .filter((h) => !filter || filter.has(h.host))
      .map((h): HostInfo => ({
        name: h.host,
        state: h.state === 'up' ? 'HOST_STATE_UP' : h.state === 'stale' ? 'HOST_STATE_STALE' : 'HOST_STATE_DOWN',
        address: h.address,
        lastSeenMs: h.lastSeenMs,
        ageMs: h.lastSeenMs ? now - h.lastSeenMs : 0,
        libvirtReachable: h.libvirtReachable,
        libvirtError: h.libvirtError,
        ...(h.facts ? { facts: h.facts } : {}),
        maintenance: h.maintenance,
        simulated: h.simulated,
      }));
    return { hosts };
  };
  const whoAmI: Unary<unknown, WhoAmIResponse> = async (call) => {
    const c = callerOf(call);
    return {
      name: c?.name ?? '',
      kind: c?.kind ?? '',
      role: c ? (`ROLE_${c.kind.toUpperCase()}` as WhoAmIResponse['role']) : 'ROLE_UNSPECIFIED',
    };
  };
  return { ListHosts: listHosts, WhoAmI: whoAmI };
}
