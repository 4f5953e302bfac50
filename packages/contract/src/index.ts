/** @drover/contract: what server, agent and CLI share — the generated contract types, proto
 * loading, mutual TLS and the cluster PKI, config loading, logging, NATS subjects and errors. */
export * from './files.js';
export * from './errors.js';
export * from './log.js';
export * from './config.js';
export * from './proto.js';
export * from './grpc.js';
export * from './nats.js';
export * as pki from './pki/index.js';
export * from './cli-errors.js';
export * from './generated/index.js';
export * from './attrs/index.js';
