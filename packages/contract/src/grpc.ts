/**
 * gRPC plumbing shared by server, agent and CLI: mutual-TLS credentials, the one place where
 * callers are authorised (kind of certificate, role, revocation), health checking, reflection,
 * and typed clients.
 */
import * as grpc from '@grpc/grpc-js';
import type { HealthImplementation } from 'grpc-health-check';
import type { ReflectionService } from '@grpc/reflection';
import { X509Certificate } from 'node:crypto';
import { packageDefinition, protoRoot, serviceDefinition, type ServiceName } from './proto.js';
import type { Implementation } from './rpc.js';
import { identityOf, normalSerial, type CertIdentity } from './pki/identity.js';
import type { CertKind } from './pki/index.js';
import { toServiceError } from './errors.js';
import { background } from './background.js';
import type { Logger } from './log.js';

export const ROLE_RANK: Record<string, number> = { ROLE_UNSPECIFIED: 0, ROLE_VIEWER: 1, ROLE_OPERATOR: 2, ROLE_ADMIN: 3 };
const KIND_RANK: Record<CertKind, number> = { viewer: 1, operator: 2, admin: 3, server: 3, agent: 0 };

/** TLS material of one program, as PEM text. */
export interface TlsFiles {
  caPem: string;
  certPem: string;
  keyPem: string;
}

/** Server credentials: only certificates from the cluster CA are accepted. */
export function serverCredentials(tls: TlsFiles, requireClientCert = true): grpc.ServerCredentials {
  return grpc.ServerCredentials.createSsl(
    Buffer.from(tls.caPem),
    [{ private_key: Buffer.from(tls.keyPem), cert_chain: Buffer.from(tls.certPem + tls.caPem) }],
    requireClientCert,
  );
}

/**
 * Channel options for a client: the peer's certificate must carry `expectName` (the server's
 * fixed name `drover-server`, or an agent's host name), whatever address it is reached at.
 */
export function clientOptions(expectName: string, extra: grpc.ChannelOptions = {}): grpc.ChannelOptions {
  return {
    'grpc.ssl_target_name_override': expectName,
    'grpc.default_authority': expectName,
    'grpc.keepalive_time_ms': 20_000,
    'grpc.keepalive_timeout_ms': 10_000,
    ...extra,
  };
}
export function clientCredentials(tls: TlsFiles): grpc.ChannelCredentials {
  return grpc.credentials.createSsl(Buffer.from(tls.caPem), Buffer.from(tls.keyPem), Buffer.from(tls.certPem));
}

/** The rules of one service as written in proto/: who may call it at all, and each method's role. */
export interface ServiceRules {
  callers: string;
  methods: Map<string, { minRole: number; unauthenticated: boolean }>;
}
export function serviceRules(serviceName: string): ServiceRules {
  const svc = protoRoot().lookupService(`drover.v1.${serviceName}`);
  const callers = String(svc.options?.['(callers)'] ?? svc.options?.['(drover.v1.callers)'] ?? '');
  const methods = new Map<string, { minRole: number; unauthenticated: boolean }>();
  for (const [name, m] of Object.entries(svc.methods)) {
    const o = m.options ?? {};
    const role = String(o['(min_role)'] ?? o['(drover.v1.min_role)'] ?? 'ROLE_UNSPECIFIED');
    const unauth = Boolean(o['(unauthenticated)'] ?? o['(drover.v1.unauthenticated)'] ?? false);
    if (!unauth && !ROLE_RANK[role]) throw new Error(`proto: ${serviceName}.${name} has no min_role option`);
    methods.set(name, { minRole: ROLE_RANK[role] ?? 0, unauthenticated: unauth });
  }
  return { callers, methods };
}

/** Identity of the caller of one RPC, attached by {@link secureService}. */
export type Caller = CertIdentity;
const callers = new WeakMap<object, Caller>();
export function callerOf(call: object): Caller | undefined {
  return callers.get(call);
}

export interface AuthPolicy {
  /** Serials revoked by the cluster (checked on every call, so a revocation bites at once). */
  isRevoked?(serial: string): boolean | Promise<boolean>;
  /** Agent side: only this certificate fingerprint (the server's) may call. */
  allowFingerprints?(): readonly string[] | undefined;
  log?: Logger;
  /**
   * Called once per finished call of a method whose min_role is operator or above (the audit
   * log); the caller gets its answer once the entry is recorded.
   */
  audit?(entry: AuditEntry): void | Promise<void>;
}

export interface AuditEntry {
  caller: Caller | undefined;
  service: string;
  method: string;
  request: unknown;
  ok: boolean;
  error?: string;
  peer: string;
}

type AnyCall =
  | grpc.ServerUnaryCall<unknown, unknown>
  | grpc.ServerWritableStream<unknown, unknown>
  | grpc.ServerReadableStream<unknown, unknown>
  | grpc.ServerDuplexStream<unknown, unknown>;

function deny(code: grpc.status, details: string): grpc.ServiceError {
  const md = new grpc.Metadata();
  md.set('drover-code', code === grpc.status.UNAUTHENTICATED ? 'UNAUTHENTICATED' : 'PERMISSION_DENIED');
  return Object.assign(new Error(details), { code, details, metadata: md });
}

/** Decides whether `call` may run `method`; returns the caller or throws a ServiceError. */
async function authorise(
  rules: ServiceRules,
  service: string,
  method: string,
  call: AnyCall,
  policy: AuthPolicy,
): Promise<Caller | undefined> {
  const rule = rules.methods.get(method);
  if (!rule) throw deny(grpc.status.PERMISSION_DENIED, `${service}.${method} has no access rule`);
  if (rule.unauthenticated) return undefined;
  const ctx = call.getAuthContext();
  const raw = ctx?.sslPeerCertificate?.raw;
  if (!raw) throw deny(grpc.status.UNAUTHENTICATED, `${service}.${method}: a client certificate from the cluster CA is required`);
  let id: Caller;
  try {
    id = identityOf(raw);
  } catch (e) {
    throw deny(grpc.status.UNAUTHENTICATED, `${service}.${method}: ${(e as Error).message}`);
  }
  // Known from here on, so a refusal below is audited under the caller's name.
  callers.set(call, id);
  if (await policy.isRevoked?.(normalSerial(id.serial))) {
    throw deny(grpc.status.UNAUTHENTICATED, `certificate of ${id.kind} '${id.name}' (serial ${id.serial}) is revoked`);
  }
  const kindOk =
    rules.callers === 'any' ||
    (rules.callers === 'admin' && (id.kind === 'admin' || id.kind === 'operator' || id.kind === 'viewer')) ||
    (rules.callers === 'server' && id.kind === 'server');
  if (!kindOk) {
    throw deny(
      grpc.status.PERMISSION_DENIED,
      `${service} does not accept ${id.kind} certificates ('${id.name}'); it serves ${rules.callers === 'admin' ? 'admin bundles' : `the ${rules.callers}`} only`,
    );
  }
  const fps = policy.allowFingerprints?.();
  if (fps && fps.length && !fps.includes(id.fingerprint)) {
    throw deny(grpc.status.PERMISSION_DENIED, `${service}: certificate '${id.name}' is not this host's server`);
  }
  if (KIND_RANK[id.kind] < rule.minRole) {
    const need = Object.entries(ROLE_RANK)
      .find(([, v]) => v === rule.minRole)?.[0]
      ?.replace('ROLE_', '')
      .toLowerCase();
    throw deny(grpc.status.PERMISSION_DENIED, `${service}.${method} needs role ${need}; '${id.name}' is ${id.kind}`);
  }
  return id;
}

/**
 * Wraps every handler of `impl` with the access rules of `serviceName` from proto/. This is the
 * only place where callers are checked. Handlers may throw/reject: errors go through
 * {@link toServiceError}.
 */
export function secureService<S extends ServiceName>(
  serviceName: S,
  impl: Implementation<S>,
  policy: AuthPolicy = {},
): grpc.UntypedServiceImplementation {
  const rules = serviceRules(serviceName);
  const def: grpc.ServiceDefinition = serviceDefinition(serviceName);
  const handlers: Readonly<Record<string, ((call: never) => unknown) | undefined>> = impl;
  const out: grpc.UntypedServiceImplementation = {};
  for (const [key, m] of Object.entries(def)) {
    const name = m.originalName ?? key;
    const methodName = m.path.split('/').pop() ?? key;
    const fn = handlers[name] ?? handlers[methodName];
    const streaming = m.responseStream || m.requestStream;
    out[name] = ((call: AnyCall, callback?: grpc.sendUnaryData<unknown>) => {
      const rule = rules.methods.get(methodName);
      const audited = !!policy.audit && !!rule && rule.minRole >= ROLE_RANK.ROLE_OPERATOR!;
      let done = false;
      const record = async (ok: boolean, error?: string): Promise<void> => {
        if (!audited || done) return;
        done = true;
        try {
          await policy.audit!({
            caller: callerOf(call),
            service: serviceName,
            method: methodName,
            request: (call as { request?: unknown }).request,
            ok,
            ...(error ? { error } : {}),
            peer: call.getPeer(),
          });
        } catch (e) {
          policy.log?.error({ err: (e as Error).message }, 'audit record failed');
        }
      };
      const fail = async (err: unknown): Promise<void> => {
        const se = toServiceError(err);
        await record(false, se.details);
        if (callback) callback(se);
        else (call as grpc.ServerWritableStream<unknown, unknown>).emit('error', se);
      };
      const serve = async (): Promise<void> => {
        let id: Caller | undefined;
        try {
          id = await authorise(rules, serviceName, methodName, call, policy);
        } catch (e) {
          policy.log?.warn({ method: `${serviceName}.${methodName}`, err: (e as Error).message }, 'call refused');
          return fail(e);
        }
        if (!fn) {
          return fail(
            Object.assign(new Error(`${serviceName}.${methodName} is not implemented`), {
              code: grpc.status.UNIMPLEMENTED,
              details: `${serviceName}.${methodName} is not implemented`,
            }),
          );
        }
        if (id) callers.set(call, id);
        let r: unknown;
        try {
          r = (fn as (c: AnyCall) => unknown)(call);
        } catch (e) {
          return fail(e);
        }
        if (!r || typeof (r as Promise<unknown>).then !== 'function' || (!streaming && !callback)) return;
        let v: unknown;
        try {
          v = await r;
        } catch (e) {
          return fail(e);
        }
        await record(true);
        if (!streaming) callback!(null, v);
        else {
          const w = call as grpc.ServerWritableStream<unknown, unknown>;
          if (!w.writableEnded) w.end();
        }
      };
      background(`${serviceName}.${methodName}`, serve(), policy.log);
    }) as grpc.UntypedHandleCall;
  }
  return out;
}

/** One reflection service per process: building it decodes every file descriptor (~40 ms), and it
 *  holds no per-server state, so a process with many servers (the fleet simulator) shares it. */
let reflection: ReflectionService | undefined;

/** Adds gRPC health checking (grpc.health.v1) and server reflection for drover's services. */
export function addHealthAndReflection(server: grpc.Server, services: string[]): HealthImplementation {
  const statusMap: Record<string, 'SERVING'> = { '': 'SERVING' };
  for (const s of services) statusMap[`drover.v1.${s}`] = 'SERVING';
  // Loaded here, not at import: the CLI never serves and should not pay for these.
  const { HealthImplementation: Health } = require('grpc-health-check') as typeof import('grpc-health-check');
  const health = new Health(statusMap);
  health.addToServer(server);
  reflection ??= new (require('@grpc/reflection') as typeof import('@grpc/reflection')).ReflectionService(packageDefinition());
  reflection.addToServer(server);
  return health;
}

/** Binds a server and resolves with the bound port. */
export function bindServer(server: grpc.Server, address: string, creds: grpc.ServerCredentials): Promise<number> {
  return new Promise((res, rej) => server.bindAsync(address, creds, (err, port) => (err ? rej(err) : res(port))));
}

/** Checks a PEM certificate was issued by the CA (signature) and is within its validity. */
export function verifyIssuedBy(certPem: string, caPem: string): boolean {
  const c = new X509Certificate(certPem);
  const ca = new X509Certificate(caPem);
  const now = Date.now();
  return c.checkIssued(ca) && c.verify(ca.publicKey) && Date.parse(c.validFrom) <= now && now <= Date.parse(c.validTo);
}
