/**
 * Loads drover's contract from proto/ at run time: gRPC service definitions (through
 * @grpc/proto-loader) and protobufjs types for the NATS report messages. The generated
 * TypeScript types in ./generated describe the same shapes (camelCase fields, 64-bit integers
 * as numbers, enums as strings, defaults filled in).
 */
import type * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import * as protobuf from 'protobufjs';
import { dirname, join, resolve } from 'node:path';
import { existsSync } from 'node:fs';
import type { AdminServiceDefinition } from './generated/drover/v1/AdminService.js';
import type { AgentServiceDefinition } from './generated/drover/v1/AgentService.js';
import type { EnrollServiceDefinition } from './generated/drover/v1/EnrollService.js';

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

/** The method definitions of each drover service, as the generated types describe them. */
export interface ServiceDefinitions {
  AdminService: AdminServiceDefinition;
  AgentService: AgentServiceDefinition;
  EnrollService: EnrollServiceDefinition;
}
export type ServiceName = keyof ServiceDefinitions;

/**
 * One service's method definitions (paths, serializers, streaming flags), from the package
 * definition above: the one place clients and servers get them, so a later loader (pre-compiled
 * descriptors) replaces only `packageDefinition()`.
 */
export function serviceDefinition<S extends ServiceName>(name: S): ServiceDefinitions[S] {
  services ??= {
    AdminService: loadService('AdminService') as AdminServiceDefinition,
    AgentService: loadService('AgentService') as AgentServiceDefinition,
    EnrollService: loadService('EnrollService') as EnrollServiceDefinition,
  };
  return services[name];
}
let services: ServiceDefinitions | undefined;
function loadService(name: ServiceName): grpc.ServiceDefinition {
  const def = packageDefinition()[`drover.v1.${name}`];
  if (!def || 'format' in def) throw new Error(`drover contract: no service drover.v1.${name} in proto/`);
  return def;
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
