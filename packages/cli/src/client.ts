/** The CLI's connection to drover-server: the admin bundle, mutual TLS, typed calls, clear errors. */
import * as grpc from '@grpc/grpc-js';
import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import {
  clientCredentials,
  clientOptions,
  fromServiceError,
  RpcClient,
  UserFacingError,
  z,
  type BidiMethod,
  type ReplyOf,
  type RequestOf,
  type ServerStreamMethod,
  type UnaryMethod,
} from '@drover/contract';

const BundleSchema = z.object({
  server: z.string().regex(/^.+:\d+$/, { message: 'expected host:port' }),
  name: z.string().default(''),
  role: z.string().default(''),
  ca: z.string().includes('BEGIN CERTIFICATE', { message: 'expected a PEM certificate' }),
  cert: z.string().includes('BEGIN CERTIFICATE', { message: 'expected a PEM certificate' }),
  key: z.string().includes('PRIVATE KEY', { message: 'expected a PEM private key' }),
});
export type Bundle = z.output<typeof BundleSchema> & { file: string };

export function bundlePath(): string {
  return process.env.DROVER_CONFIG || join(homedir(), '.config', 'drover', 'config.yaml');
}

export function loadBundle(): Bundle {
  const file = bundlePath();
  if (!existsSync(file)) {
    throw new UserFacingError(
      `no admin bundle at ${file}; set DROVER_CONFIG to your bundle, or create one on the headnode: drover-server user add <name> --role admin --out ${file}`,
      2,
    );
  }
  let raw: unknown;
  try {
    raw = parseYaml(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new UserFacingError(`admin bundle ${file}: not valid YAML (${(e as Error).message.split('\n')[0]})`, 2);
  }
  const r = BundleSchema.safeParse(raw);
  if (!r.success) {
    const i = r.error.issues[0]!;
    throw new UserFacingError(
      `admin bundle ${file}: field '${i.path.join('.') || '(top level)'}': ${i.message}; write a new one with drover-server user add`,
      2,
    );
  }
  return { ...r.data, file };
}

type Admin = 'AdminService';

export class Api {
  readonly rpc: RpcClient<Admin>;
  constructor(readonly bundle: Bundle) {
    this.rpc = new RpcClient(
      'AdminService',
      bundle.server,
      clientCredentials({ caPem: bundle.ca, certPem: bundle.cert, keyPem: bundle.key }),
      clientOptions('drover-server'),
    );
  }

  /** A unary call with a deadline; failures become one-line errors naming the server and the fix. */
  call<M extends UnaryMethod<Admin>>(method: M, req: RequestOf<Admin, M>, deadlineMs = 30_000): Promise<ReplyOf<Admin, M>> {
    return this.rpc.unary(method, req, { deadlineMs }).catch((e: grpc.ServiceError) => {
      throw this.explain(e);
    });
  }

  /** A server-streaming call as an async iterable. */
  stream<M extends ServerStreamMethod<Admin>>(
    method: M,
    req: RequestOf<Admin, M>,
  ): AsyncIterable<ReplyOf<Admin, M>> & grpc.ClientReadableStream<ReplyOf<Admin, M>> {
    const s = this.rpc.serverStream(method, req);
    const explain = (e: grpc.ServiceError): Error => this.explain(e);
    // The stream's own iterator, taken before it is replaced below by one that explains errors.
    const own = { [Symbol.asyncIterator]: s[Symbol.asyncIterator].bind(s) };
    const it = (async function* (): AsyncGenerator<ReplyOf<Admin, M>> {
      try {
        for await (const m of own) yield m as ReplyOf<Admin, M>;
      } catch (e) {
        throw explain(e as grpc.ServiceError);
      }
    })();
    return Object.assign(s, { [Symbol.asyncIterator]: () => it });
  }

  /** A bidirectional stream (the console). */
  duplex<M extends BidiMethod<Admin>>(method: M): grpc.ClientDuplexStream<RequestOf<Admin, M>, ReplyOf<Admin, M>> {
    return this.rpc.duplex(method);
  }

  explain(e: grpc.ServiceError): Error {
    const d = fromServiceError(e);
    if (e.code === grpc.status.UNAVAILABLE || e.code === grpc.status.DEADLINE_EXCEEDED) {
      return new UserFacingError(
        `cannot reach drover-server at ${this.bundle.server} (${e.details || grpc.status[e.code]}); check that it runs and the 'server' address in ${this.bundle.file}`,
      );
    }
    if (e.code === grpc.status.UNAUTHENTICATED || e.code === grpc.status.PERMISSION_DENIED) {
      return new UserFacingError(`refused by drover-server: ${d.message}`);
    }
    return new UserFacingError(d.message);
  }

  close(): void {
    this.rpc.close();
  }
}
