/** @drover/contract: what server, agent and CLI share — the generated contract types, proto
 * loading, mutual TLS and the cluster PKI, config loading, logging, NATS subjects and errors. */
export * from './files.js';
export * from './states.js';
export * from './errors.js';
export * from './log.js';
export * from './background.js';
export * from './config.js';
export * from './proto.js';
export * from './grpc.js';
export * from './rpc.js';
export * from './nats.js';
import type * as PkiModule from './pki/index.js';
let pkiModule: typeof PkiModule | undefined;
export type { Ca, CertKind, IssuedCert, UserRole, CertIdentity } from './pki/index.js';
/** The cluster PKI (@peculiar/x509), loaded on first use: the CLI never needs it. */
export const pki: typeof PkiModule = new Proxy({} as typeof PkiModule, {
  get: (_t, key) => (pkiModule ??= require('./pki/index.js') as typeof PkiModule)[key as keyof typeof PkiModule],
});
export * from './cli-errors.js';
export * from './generated/index.js';
export * from './attrs/index.js';
