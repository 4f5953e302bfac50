/**
 * Loads drover's contract from proto/ at run time: gRPC service definitions (through
 * @grpc/proto-loader) and protobufjs types for the NATS report messages. The generated
 * TypeScript types in ./generated describe the same shapes (camelCase fields, 64-bit integers
 * as numbers, enums as strings, defaults filled in).
 */
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import * as protobuf from 'protobufjs';
import { dirname, join, resolve } from 'node:path';
import { existsSync } from 'node:fs';
import type { ProtoGrpcType as AdminGrpc } from './generated/admin.js';
import type { ProtoGrpcType as AgentGrpc } from './generated/agent.js';

function findProtoDir(): string {
  for (let d = __dirname; d !== dirname(d); d = dirname(d)) {
    const p = join(d, 'proto', 'drover', 'v1', 'common.proto');
    if (existsSync(p)) return join(d, 'proto');
  }
  throw new Error(`drover contract: proto/ not found above ${__dirname}`);
}

export const PROTO_DIR = findProtoDir();
const PROTOBUFJS_DIR = dirname(require.resolve('protobufjs/package.json'));
export const PROTO_FILES = ['drover/v1/common.proto', 'drover/v1/reports.proto', 'drover/v1/agent.proto', 'drover/v1/admin.proto'];

export const LOADER_OPTIONS: protoLoader.Options = {
  keepCase: false,
  longs: Number,
  enums: String,
  defaults: true,
  oneofs: true,
  includeDirs: [PROTO_DIR, PROTOBUFJS_DIR],
};

let pkgDef: protoLoader.PackageDefinition | undefined;
/** The package definition of every drover service (also used for server reflection). */
export function packageDefinition(): protoLoader.PackageDefinition {
  pkgDef ??= protoLoader.loadSync(PROTO_FILES, LOADER_OPTIONS);
  return pkgDef;
}

type Loaded = AdminGrpc & AgentGrpc;
let loaded: Loaded | undefined;
/** The typed gRPC constructors: `grpcTypes().drover.v1.AdminService`, `...AgentService`. */
export function grpcTypes(): Loaded {
  loaded ??= grpc.loadPackageDefinition(packageDefinition()) as unknown as Loaded;
  return loaded;
}

let root: protobuf.Root | undefined;
/** The protobufjs root holding every drover message, with method options (roles). */
export function protoRoot(): protobuf.Root {
  if (!root) {
    const r = new protobuf.Root();
    r.resolvePath = (_origin, target) => {
      for (const dir of [PROTO_DIR, PROTOBUFJS_DIR]) {
        const p = resolve(dir, target);
        if (existsSync(p)) return p;
      }
      return target;
    };
    r.loadSync(PROTO_FILES, { keepCase: false });
    r.resolveAll();
    root = r;
  }
  return root;
}

const CONVERT: protobuf.IConversionOptions = { longs: Number, enums: String, defaults: true, arrays: true, objects: true, oneofs: true };

/** A protobuf codec for one message type, e.g. `codec<Heartbeat__Output>('Heartbeat')`. */
export interface Codec<T> {
  encode(msg: object): Uint8Array;
  decode(data: Uint8Array): T;
}
const codecs = new Map<string, Codec<unknown>>();
export function codec<T>(typeName: string): Codec<T> {
  let c = codecs.get(typeName) as Codec<T> | undefined;
  if (!c) {
    const t = protoRoot().lookupType(`drover.v1.${typeName}`);
    c = {
      encode: (msg) => t.encode(t.fromObject(msg as Record<string, unknown>)).finish(),
      decode: (data) => t.toObject(t.decode(data), CONVERT) as T,
    };
    codecs.set(typeName, c as Codec<unknown>);
  }
  return c;
}
