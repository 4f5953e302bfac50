/**
 * The typed RPC surface of drover's gRPC services, on the interfaces `npm run gen` writes from
 * proto/: a method is named by a string literal the compiler checks against the service, its
 * request and reply have the generated message types, and a service's handler map must hold
 * every method. A renamed or mistyped RPC, a wrong request field or a missing handler fails
 * `tsc -b`, not a test at run time.
 *
 * Clients call through grpc-js's generic `makeUnaryRequest` / `makeServerStreamRequest` /
 * `makeBidiStreamRequest` with each method's path and serializers from {@link serviceDefinition};
 * no client constructor is generated at run time.
 */
import * as grpc from '@grpc/grpc-js';
import type { MethodDefinition } from '@grpc/proto-loader';
import type { AdminServiceHandlers } from './generated/drover/v1/AdminService.js';
import type { AgentServiceHandlers } from './generated/drover/v1/AgentService.js';
import type { EnrollServiceHandlers } from './generated/drover/v1/EnrollService.js';
import { serviceDefinition, type ServiceDefinitions, type ServiceName } from './proto.js';

export type { ServiceName } from './proto.js';

/** The generated handler interfaces: they say which methods stream (the definitions do not, as types). */
interface ServiceHandlers {
  AdminService: AdminServiceHandlers;
  AgentService: AgentServiceHandlers;
  EnrollService: EnrollServiceHandlers;
}

/** The names of T's own members, without the index signature the generated interfaces inherit from grpc-js. */
type KnownKeys<T> = keyof { [K in keyof T as string extends K ? never : number extends K ? never : K]: T[K] };

/** Every method of service S, e.g. `MethodName<'AgentService'>` = 'GetGuest' | 'Power' | ... */
export type MethodName<S extends ServiceName> = KnownKeys<ServiceDefinitions[S]> & KnownKeys<ServiceHandlers[S]> & string;

/** The four message types of one method's definition. */
type Parts<D> =
  D extends MethodDefinition<infer Req, infer Res, infer ReqOut, infer ResOut>
    ? { req: Req; res: Res; reqOut: ReqOut; resOut: ResOut }
    : never;
type PartsOf<S extends ServiceName, M extends MethodName<S>> = Parts<ServiceDefinitions[S][M]>;
/** What a caller sends (every field optional). */
export type RequestOf<S extends ServiceName, M extends MethodName<S>> = PartsOf<S, M>['req'];
/** What a caller receives (defaults filled in). */
export type ReplyOf<S extends ServiceName, M extends MethodName<S>> = PartsOf<S, M>['resOut'];
/** What a handler receives (defaults filled in). */
export type ServedRequestOf<S extends ServiceName, M extends MethodName<S>> = PartsOf<S, M>['reqOut'];
/** What a handler answers (every field optional). */
export type ServedReplyOf<S extends ServiceName, M extends MethodName<S>> = PartsOf<S, M>['res'];

/** How a method streams, read from the call object its generated handler receives. */
type CallKind<H> = H extends (call: infer C, ...rest: never[]) => void
  ? C extends { read: unknown }
    ? C extends { write: unknown }
      ? 'bidi'
      : 'clientStream'
    : C extends { write: unknown }
      ? 'serverStream'
      : 'unary'
  : never;
type KindOf<S extends ServiceName, M extends MethodName<S>> = CallKind<ServiceHandlers[S][M]>;
type MethodsOfKind<S extends ServiceName, K extends string> = { [M in MethodName<S>]: KindOf<S, M> extends K ? M : never }[MethodName<S>];
export type UnaryMethod<S extends ServiceName> = MethodsOfKind<S, 'unary'>;
export type ServerStreamMethod<S extends ServiceName> = MethodsOfKind<S, 'serverStream'>;
export type BidiMethod<S extends ServiceName> = MethodsOfKind<S, 'bidi'>;

/**
 * drover's handler of one method: a unary handler resolves with its reply (or rejects; errors go
 * through toServiceError); a streaming handler writes to the call and may return a promise, after
 * which the stream is ended. Client-streaming methods have no handler form: none exists in proto/.
 */
export type Handler<S extends ServiceName, M extends MethodName<S>> =
  KindOf<S, M> extends 'unary'
    ? (call: grpc.ServerUnaryCall<ServedRequestOf<S, M>, ServedReplyOf<S, M>>) => Promise<ServedReplyOf<S, M>>
    : KindOf<S, M> extends 'serverStream'
      ? (call: grpc.ServerWritableStream<ServedRequestOf<S, M>, ServedReplyOf<S, M>>) => Promise<void> | void
      : KindOf<S, M> extends 'bidi'
        ? (call: grpc.ServerDuplexStream<ServedRequestOf<S, M>, ServedReplyOf<S, M>>) => Promise<void> | void
        : never;

/** A complete handler map of service S: every method, each with its own types. */
export type Implementation<S extends ServiceName> = { [M in MethodName<S>]: Handler<S, M> };
/** The handlers of some of S's methods (one file's share of a service). */
export type Handlers<S extends ServiceName, M extends MethodName<S>> = Pick<Implementation<S>, M>;

export interface CallOpts {
  /** Milliseconds from now; none: no deadline. */
  deadlineMs?: number;
  metadata?: grpc.Metadata;
}

function callOptions(o: CallOpts): grpc.CallOptions {
  return o.deadlineMs ? { deadline: Date.now() + o.deadlineMs } : {};
}

/** A client of one drover service over one channel. Errors are grpc-js ServiceErrors, unchanged. */
export class RpcClient<S extends ServiceName> {
  /** The grpc-js channel (close it with {@link close}). */
  readonly channel: grpc.Client;
  private readonly methods: grpc.ServiceDefinition;

  constructor(
    readonly service: S,
    address: string,
    credentials: grpc.ChannelCredentials,
    options: grpc.ChannelOptions = {},
  ) {
    this.methods = serviceDefinition(service);
    this.channel = new grpc.Client(address, credentials, options);
  }

  private method(name: string): grpc.MethodDefinition<unknown, unknown> {
    const m = this.methods[name];
    if (!m) throw new Error(`${this.service} has no method ${name}`);
    return m;
  }

  /** A unary call; resolves with the reply or rejects with the grpc-js ServiceError. */
  unary<M extends UnaryMethod<S>>(method: M, req: RequestOf<S, M>, opts: CallOpts = {}): Promise<ReplyOf<S, M>> {
    const m = this.method(method);
    return new Promise((res, rej) =>
      this.channel.makeUnaryRequest(
        m.path,
        m.requestSerialize,
        m.responseDeserialize,
        req,
        opts.metadata ?? new grpc.Metadata(),
        callOptions(opts),
        (e, v) => (e ? rej(e) : res(v as ReplyOf<S, M>)),
      ),
    );
  }

  /** A server-streaming call: the grpc-js readable stream of replies (also an async iterable). */
  serverStream<M extends ServerStreamMethod<S>>(
    method: M,
    req: RequestOf<S, M>,
    opts: CallOpts = {},
  ): grpc.ClientReadableStream<ReplyOf<S, M>> {
    const m = this.method(method);
    return this.channel.makeServerStreamRequest(
      m.path,
      m.requestSerialize,
      (b: Buffer) => m.responseDeserialize(b) as ReplyOf<S, M>,
      req as object,
      opts.metadata ?? new grpc.Metadata(),
      callOptions(opts),
    );
  }

  /** A bidirectional stream (the console). */
  duplex<M extends BidiMethod<S>>(method: M, opts: CallOpts = {}): grpc.ClientDuplexStream<RequestOf<S, M>, ReplyOf<S, M>> {
    const m = this.method(method);
    return this.channel.makeBidiStreamRequest(
      m.path,
      (v: RequestOf<S, M>) => m.requestSerialize(v),
      (b: Buffer) => m.responseDeserialize(b) as ReplyOf<S, M>,
      opts.metadata ?? new grpc.Metadata(),
      callOptions(opts),
    );
  }

  close(): void {
    this.channel.close();
  }
}

/**
 * The handler of a method proto/ declares but this program does not serve (yet): it answers
 * UNIMPLEMENTED, as secureService does for a method with no handler, but the map says so in
 * writing instead of leaving a gap the compiler would refuse.
 */
export function notImplemented(service: ServiceName, method: string): () => Promise<never> {
  const details = `${service}.${method} is not implemented`;
  return () => Promise.reject(Object.assign(new Error(details), { code: grpc.status.UNIMPLEMENTED, details }));
}
