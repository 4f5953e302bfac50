/**
 * gRPC clients to the agents, one per host, reached at the address their heartbeats carry and
 * verified by name: the agent's certificate must be for that host. Calls fail with errors that
 * name the host and its state.
 */
import * as grpc from '@grpc/grpc-js';
import { clientCredentials, clientOptions, DroverError, fromServiceError, grpcTypes, type TlsFiles } from '@drover/contract';
import type { HostRegistry } from '../hosts/registry.js';

interface Entry {
  address: string;
  client: grpc.Client;
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

  private client(host: string, allowStale: boolean): grpc.Client {
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
    const Ctor = grpcTypes().drover.v1.AgentService as unknown as typeof grpc.Client;
    const client = new Ctor(h.address, this.creds, clientOptions(host, { 'grpc.max_receive_message_length': 64 << 20 }));
    this.clients.set(host, { address: h.address, client });
    return client;
  }

  /** A unary call to `host`'s agent. The request's `host` field is filled in. */
  call<Res>(host: string, method: string, req: object, opts: { deadlineMs?: number; allowStale?: boolean } = {}): Promise<Res> {
    let c: grpc.Client;
    try {
      c = this.client(host, opts.allowStale ?? false);
    } catch (e) {
      return Promise.reject(e);
    }
    const fn = (
      c as unknown as Record<
        string,
        (r: object, md: grpc.Metadata, o: grpc.CallOptions, cb: (e: grpc.ServiceError | null, v: Res) => void) => void
      >
    )[method];
    if (!fn) return Promise.reject(new Error(`AgentService has no method ${method}`));
    return new Promise<Res>((res, rej) => {
      fn.call(c, { ...req, host }, new grpc.Metadata(), { deadline: Date.now() + (opts.deadlineMs ?? 30_000) }, (e, v) => {
        if (!e) return res(v);
        const d = fromServiceError(e);
        // An agent that answers with its own error (a drover code in the trailers, e.g. libvirt
        // unreachable on that host) did answer: its error is kept, not turned into "no answer".
        const own = e.metadata?.get('drover-code').length > 0;
        if (own && e.code === grpc.status.UNAVAILABLE) {
          rej(
            new DroverError(d.code, `${host}: ${d.message}`, {
              status: d.status,
              host,
              ...(d.node ? { node: d.node } : {}),
              ...(d.libvirtCode !== undefined ? { libvirtCode: d.libvirtCode } : {}),
              cause: e,
            }),
          );
        } else if (e.code === grpc.status.UNAVAILABLE || e.code === grpc.status.DEADLINE_EXCEEDED) {
          rej(
            new DroverError(
              'AGENT_UNREACHABLE',
              `agent on '${host}' did not answer ${method} (${e.details}); check drover-agent on ${host}`,
              { status: e.code, host, cause: e },
            ),
          );
        } else {
          rej(
            new DroverError(d.code, d.message, {
              status: d.status,
              host,
              ...(d.node ? { node: d.node } : {}),
              ...(d.libvirtCode !== undefined ? { libvirtCode: d.libvirtCode } : {}),
            }),
          );
        }
      });
    });
  }

  /** A streaming call (console): returns the raw grpc-js stream. */
  duplex(host: string, method: string): grpc.ClientDuplexStream<object, unknown> {
    const c = this.client(host, false);
    const fn = (c as unknown as Record<string, () => grpc.ClientDuplexStream<object, unknown>>)[method]!;
    return fn.call(c);
  }

  close(): void {
    for (const e of this.clients.values()) e.client.close();
    this.clients.clear();
  }
}
