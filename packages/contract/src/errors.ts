import * as grpc from '@grpc/grpc-js';

/**
 * drover's error: a stable `code`, a message that names what failed (node, host, field) and
 * what to do, and the gRPC status it maps to. One mapper turns it into a gRPC status
 * ({@link toServiceError}) and back ({@link fromServiceError}).
 */
export class DroverError extends Error {
  readonly code: string;
  readonly status: grpc.status;
  readonly node?: string;
  readonly host?: string;
  readonly hint?: string;
  /** libvirt's error code, when the failure came from libvirt. */
  readonly libvirtCode?: number;
  constructor(
    code: string,
    message: string,
    opts: { status?: grpc.status; node?: string; host?: string; hint?: string; libvirtCode?: number; cause?: unknown } = {},
  ) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = 'DroverError';
    this.code = code;
    this.status = opts.status ?? grpc.status.FAILED_PRECONDITION;
    if (opts.node !== undefined) this.node = opts.node;
    if (opts.host !== undefined) this.host = opts.host;
    if (opts.hint !== undefined) this.hint = opts.hint;
    if (opts.libvirtCode !== undefined) this.libvirtCode = opts.libvirtCode;
  }
}

export const invalidArgument = (message: string, opts: { node?: string; host?: string } = {}): DroverError =>
  new DroverError('INVALID_ARGUMENT', message, { ...opts, status: grpc.status.INVALID_ARGUMENT });
export const notFound = (message: string, opts: { node?: string; host?: string } = {}): DroverError =>
  new DroverError('NOT_FOUND', message, { ...opts, status: grpc.status.NOT_FOUND });

/** Turns any error into a gRPC ServiceError with drover's code in the metadata. */
export function toServiceError(err: unknown): grpc.ServiceError {
  const md = new grpc.Metadata();
  if (err instanceof DroverError) {
    md.set('drover-code', err.code);
    if (err.node) md.set('drover-node', err.node);
    if (err.host) md.set('drover-host', err.host);
    if (err.libvirtCode !== undefined) md.set('libvirt-code', String(err.libvirtCode));
    const details = err.hint ? `${err.message}; ${err.hint}` : err.message;
    return Object.assign(new Error(details), { code: err.status, details, metadata: md });
  }
  const e = err as Partial<grpc.ServiceError> | undefined;
  if (e && typeof e.code === 'number' && typeof e.details === 'string') return e as grpc.ServiceError;
  const details = err instanceof Error ? err.message : String(err);
  md.set('drover-code', 'INTERNAL');
  return Object.assign(new Error(details), { code: grpc.status.INTERNAL, details, metadata: md });
}

/** Reads drover's code back from a gRPC error on the client side. */
export function fromServiceError(err: unknown): DroverError {
  const e = err as Partial<grpc.ServiceError>;
  if (typeof e?.code !== 'number') return new DroverError('INTERNAL', err instanceof Error ? err.message : String(err));
  const md = e.metadata;
  const get = (k: string): string | undefined => {
    const v = md?.get(k)[0];
    return v === undefined ? undefined : String(v);
  };
  const lv = get('libvirt-code');
  const node = get('drover-node');
  const host = get('drover-host');
  return new DroverError(get('drover-code') ?? grpc.status[e.code] ?? 'UNKNOWN', e.details ?? e.message ?? 'error', {
    status: e.code,
    ...(node ? { node } : {}),
    ...(host ? { host } : {}),
    ...(lv ? { libvirtCode: Number(lv) } : {}),
  });
}

/** An error the programs expect (bad config, missing file, unreachable peer): printed as one line. */
export class UserFacingError extends Error {
  constructor(
    message: string,
    readonly exitCode = 1,
  ) {
    super(message);
    this.name = 'UserFacingError';
  }
}
