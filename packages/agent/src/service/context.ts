/**
 * What every handler of the agent's command service shares: the host check (each request names
 * its host; one process may later serve many), per-call child loggers with host, node and op,
 * and the one mapping of failures (libvirt, spec, storage) to DroverError and so to gRPC status.
 */
import * as grpc from '@grpc/grpc-js';
import { AttrError, DroverError, invalidArgument, notFound, type Logger } from '@drover/contract';
import { ErrorNumber, LibvirtError, type Connection, type Domain } from '@drover/libvirt';
import type { AgentConfig } from '../config.js';
import type { LibvirtManager } from '../libvirt/manager.js';
import { fromLibvirt, isConnectionLost } from '../libvirt/errors.js';
import { SpecError } from '../domain/index.js';
import { StorageError } from '../disks/errors.js';
import { HostConfigError } from '../hostconfig/index.js';

export interface ServiceDeps {
  cfg: AgentConfig;
  log: Logger;
  lv: LibvirtManager;
  /** Asks the inventory reporter to re-list guests soon (after a change made here). */
  changed?: () => void;
}

/** Guest names drover accepts in requests: no shell, XML or path metacharacters. */
const GUEST_RE = /^[A-Za-z0-9_][A-Za-z0-9_.+:@-]{0,127}$/;

export function checkGuestName(name: unknown, field = 'guest'): string {
  if (typeof name !== 'string' || name === '') throw invalidArgument(`${field}: required`);
  if (!GUEST_RE.test(name))
    throw invalidArgument(`${field}: ${JSON.stringify(name).slice(0, 80)} is not a guest name (letters, digits and _ . + : @ -)`);
  return name;
}

export function checkHost(deps: ServiceDeps, host: unknown): void {
  if (typeof host !== 'string' || host === '')
    throw invalidArgument('host: required (the host this request is for)', { host: deps.cfg.host });
  if (host !== deps.cfg.host) {
    throw invalidArgument(`host: this agent serves '${deps.cfg.host}', not '${host}'`, { host: deps.cfg.host });
  }
}

/** Converts what a handler threw into a DroverError with the right status. */
export function toDroverError(e: unknown, ctx: { host: string; node?: string }): unknown {
  if (e instanceof DroverError) return e;
  const opts = { host: ctx.host, ...(ctx.node ? { node: ctx.node } : {}) };
  if (e instanceof LibvirtError) return fromLibvirt(e, opts);
  if (e instanceof SpecError) {
    const status = e.code === 'SPEC_UNSUPPORTED' ? grpc.status.INVALID_ARGUMENT : grpc.status.INVALID_ARGUMENT;
    return new DroverError(e.code, e.message, { ...opts, status, cause: e });
  }
  if (e instanceof StorageError || e instanceof AttrError) {
    return new DroverError(e.code, e.message, { ...opts, status: grpc.status.INVALID_ARGUMENT, cause: e });
  }
  if (e instanceof HostConfigError) {
    return new DroverError(`HOSTCONFIG_${e.code.toUpperCase().replace(/-/g, '_')}`, e.message, {
      ...opts,
      status: grpc.status.FAILED_PRECONDITION,
      cause: e,
    });
  }
  return e;
}

/**
 * Runs one handler: checks the host (and the guest name when the request has one), gives it a
 * logger, maps its failure. A failure showing that libvirt's connection is gone makes the manager
 * reconnect.
 */
export async function handle<T>(
  deps: ServiceDeps,
  op: string,
  req: { host?: string; guest?: string },
  fn: (log: Logger) => Promise<T>,
  /** The guest this call is about when the request does not name it in `guest` (DefineGuest). */
  nodeName?: string,
): Promise<T> {
  const node = req.guest || nodeName || undefined;
  const log = deps.log.child({ host: deps.cfg.host, ...(node ? { node } : {}), op });
  try {
    checkHost(deps, req.host);
    if (req.guest !== undefined) checkGuestName(req.guest);
    const out = await fn(log);
    log.debug('done');
    return out;
  } catch (e) {
    if (isConnectionLost(e)) deps.lv.lost((e as Error).message);
    const de = toDroverError(e, { host: deps.cfg.host, ...(node ? { node } : {}) });
    const status = de instanceof DroverError ? grpc.status[de.status] : 'INTERNAL';
    log[de instanceof DroverError && de.status !== grpc.status.INTERNAL ? 'info' : 'error'](
      { err: (de as Error).message, status },
      `${op} failed`,
    );
    throw de;
  }
}

/** The domain named `name`, or NOT_FOUND. */
export async function lookupGuest(deps: ServiceDeps, conn: Connection, name: string): Promise<Domain> {
  try {
    return await conn.lookupDomainByName(name);
  } catch (e) {
    if (e instanceof LibvirtError && e.code === ErrorNumber.NO_DOMAIN) {
      throw Object.assign(notFound(`guest '${name}' is not defined on ${deps.cfg.host}`, { host: deps.cfg.host, node: name }), {});
    }
    throw e;
  }
}

export function failedPrecondition(message: string, ctx: { host: string; node?: string }, hint?: string): DroverError {
  return new DroverError('FAILED_PRECONDITION', message, {
    status: grpc.status.FAILED_PRECONDITION,
    host: ctx.host,
    ...(ctx.node ? { node: ctx.node } : {}),
    ...(hint ? { hint } : {}),
  });
}
