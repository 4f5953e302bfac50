/**
 * gRPC clients to the agents, one per host, reached at the address their heartbeats carry and
 * verified by name: the agent's certificate must be for that host. Calls fail with errors that
 * name the host and its state.
 */
import * as grpc from '@grpc/grpc-js';
import {
  clientCredentials,
  clientOptions,
  DroverError,
  fromServiceError,
  RpcClient,
  type BidiMethod,
  type ReplyOf,
  type RequestOf,
  type TlsFiles,
  type UnaryMethod,
} from '@drover/contract';
import type { HostRegistry } from '../hosts/registry.js';

type AgentClient = RpcClient<'AgentService'>;
/** A request as the pool takes it: the `host` field is filled in by the pool. */
export type AgentRequest<M extends UnaryMethod<'AgentService'>> = Omit<RequestOf<'AgentService', M>, 'host'>;

interface Entry {
  address: string;
  client: AgentClient;
}

export class AgentPool {
  private readonly clients = new Map<string, Entry>();
  private readonly creds: grpc.ChannelCredentials;
  constructor(
    tls: TlsFiles,
    private readonly hosts: HostRegistry,
  ) {
    this.creds = clientCredentials(tls);
  }

  private client(host: string, allowStale: boolean): AgentClient {
    const h = this.hosts.get(host);
    if (!h)
      throw new DroverError('HOST_UNKNOWN', `host '${host}' is not enrolled; enrol it with drover-server enroll ${host}`, {
        status: grpc.status.NOT_FOUND,
        host,
      });
    if (!h.address)
      throw new DroverError('HOST_DOWN', `host '${host}' has never sent a heartbeat; start drover-agent on it`, {
        status: grpc.status.UNAVAILABLE,
        host,
      });
    if (h.state === 'down' || (h.state === 'stale' && !allowStale)) {
      const age = Math.round((Date.now() - h.lastSeenMs) / 1000);
      throw new DroverError(
        'HOST_DOWN',
        `host '${host}' is ${h.state} (last heartbeat ${age}s ago); check drover-agent and the network on ${host}`,
        { status: grpc.status.UNAVAILABLE, host },
      );
    }
    const cur = this.clients.get(host);
    if (cur && cur.address === h.address) return cur.client;
    cur?.client.close();
    const client = new RpcClient(
      'AgentService',
      h.address,
      this.creds,
      clientOptions(host, { 'grpc.max_receive_message_length': 64 << 20 }),
    );
    this.clients.set(host, { address: h.address, client });
    return client;
  }

  /** A unary call to `host`'s agent. The request's `host` field is filled in. */
  call<M extends UnaryMethod<'AgentService'>>(
    host: string,
    method: M,
    req: AgentRequest<M>,
    opts: { deadlineMs?: number; allowStale?: boolean } = {},
  ): Promise<ReplyOf<'AgentService', M>> {
    let c: AgentClient;
    try {
      c = this.client(host, opts.allowStale ?? false);
    } catch (e) {
      return Promise.reject(e);
    }
    const full = { ...req, host } as RequestOf<'AgentService', M>;
    return c.unary(method, full, { deadlineMs: opts.deadlineMs ?? 30_000 }).catch((e: grpc.ServiceError) => {
      const d = fromServiceError(e);
      // An agent that answers with its own error (a drover code in the trailers, e.g. libvirt
      // unreachable on that host) did answer: its error is kept, not turned into "no answer".
      const own = e.metadata?.get('drover-code').length > 0;
      if (own && e.code === grpc.status.UNAVAILABLE) {
        throw new DroverError(d.code, `${host}: ${d.message}`, {
          status: d.status,
          host,
          ...(d.node ? { node: d.node } : {}),
          ...(d.libvirtCode !== undefined ? { libvirtCode: d.libvirtCode } : {}),
          cause: e,
        });
      } else if (e.code === grpc.status.UNAVAILABLE || e.code === grpc.status.DEADLINE_EXCEEDED) {
        throw new DroverError(
          'AGENT_UNREACHABLE',
          `agent on '${host}' did not answer ${method} (${e.details}); check drover-agent on ${host}`,
          {
            status: e.code,
            host,
            cause: e,
          },
        );
      } else {
        throw new DroverError(d.code, d.message, {
          status: d.status,
          host,
          ...(d.node ? { node: d.node } : {}),
          ...(d.libvirtCode !== undefined ? { libvirtCode: d.libvirtCode } : {}),
        });
      }
    });
  }

  /** A bidirectional stream to `host`'s agent (the console): the raw grpc-js stream. */
  duplex<M extends BidiMethod<'AgentService'>>(
    host: string,
    method: M,
  ): grpc.ClientDuplexStream<RequestOf<'AgentService', M>, ReplyOf<'AgentService', M>> {
    return this.client(host, false).duplex(method);
  }

  close(): void {
    for (const e of this.clients.values()) e.client.close();
    this.clients.clear();
  }
}
