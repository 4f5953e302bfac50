/**
 * An AgentService client for tests, speaking as the headnode: it presents the server certificate
 * of a TestCluster (state/pki/server.pem) and expects the agent's host name on the other side.
 */
import * as grpc from '@grpc/grpc-js';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  clientCredentials,
  clientOptions,
  fromServiceError,
  RpcClient,
  type ConsoleInput,
  type DroverError,
  type RequestOf,
  type ReplyOf,
  type UnaryMethod,
} from '@drover/contract';

type Agent = 'AgentService';

export function serverPki(clusterDir: string): { ca: string; cert: string; key: string; natsSeed: string } {
  const d = join(clusterDir, 'state', 'pki');
  return { ca: join(d, 'ca.pem'), cert: join(d, 'server.pem'), key: join(d, 'server-key.pem'), natsSeed: join(d, 'server-nats.seed') };
}

export class AgentClient {
  readonly rpc: RpcClient<Agent>;

  constructor(
    clusterDir: string,
    readonly host: string,
    address: string,
  ) {
    const p = serverPki(clusterDir);
    const creds = clientCredentials({
      caPem: readFileSync(p.ca, 'utf8'),
      certPem: readFileSync(p.cert, 'utf8'),
      keyPem: readFileSync(p.key, 'utf8'),
    });
    this.rpc = new RpcClient('AgentService', address, creds, clientOptions(host));
  }

  /** A unary call; `host` is filled in unless the request names one. */
  call<M extends UnaryMethod<Agent>>(method: M, req: RequestOf<Agent, M> = {}, deadlineMs = 20_000): Promise<ReplyOf<Agent, M>> {
    return this.rpc.unary(method, { host: this.host, ...req }, { deadlineMs });
  }

  /** A call expected to fail: resolves with the error, its gRPC status and its metadata. */
  async fail<M extends UnaryMethod<Agent>>(
    method: M,
    req: RequestOf<Agent, M> = {},
  ): Promise<{ code: grpc.status; details: string; metadata: grpc.Metadata; error: DroverError }> {
    try {
      await this.call(method, req);
    } catch (e) {
      const se = e as grpc.ServiceError;
      return { code: se.code, details: se.details, metadata: se.metadata, error: fromServiceError(e) };
    }
    throw new Error(`${method} succeeded but was expected to fail`);
  }

  /** Opens a Console stream; the first message is sent at once. */
  console(first: ConsoleInput): {
    stream: grpc.ClientDuplexStream<ConsoleInput, ReplyOf<Agent, 'Console'>>;
    received: ReplyOf<Agent, 'Console'>[];
    done: Promise<grpc.StatusObject | Error>;
  } {
    const stream = this.rpc.duplex('Console');
    const received: ReplyOf<Agent, 'Console'>[] = [];
    stream.on('data', (m: ReplyOf<Agent, 'Console'>) => received.push(m));
    const done = new Promise<grpc.StatusObject | Error>((res) => {
      stream.on('status', (s: grpc.StatusObject) => res(s));
      stream.on('error', (e: Error) => res(e));
    });
    stream.write({ host: this.host, ...first });
    return { stream, received, done };
  }

  close(): void {
    this.rpc.close();
  }
}
