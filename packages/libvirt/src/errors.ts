/**
 * LibvirtError: every failure of the binding. It carries libvirt's own error fields, read on the
 * thread where the call failed, and the stack of the JavaScript code that made the call.
 */
import { ErrorDomain, ErrorLevel, ErrorNumber } from './generated/virterror';
import type { NativeError } from './native';

export interface LibvirtErrorFields {
  code: ErrorNumber;
  domain: ErrorDomain;
  level: ErrorLevel;
  message: string;
  operation: string;
  str1?: string;
  str2?: string;
  str3?: string;
  int1?: number;
  int2?: number;
}

export class LibvirtError extends Error {
  override readonly name = 'LibvirtError';
  /** libvirt's virErrorNumber, e.g. ErrorNumber.NO_DOMAIN. */
  readonly code: ErrorNumber;
  /** Where in libvirt the error came from (virErrorDomain). */
  readonly domain: ErrorDomain;
  readonly level: ErrorLevel;
  /** The binding call that failed, e.g. 'domain.shutdown'. */
  readonly operation: string;
  readonly str1: string | undefined;
  readonly str2: string | undefined;
  readonly str3: string | undefined;
  readonly int1: number;
  readonly int2: number;

  constructor(fields: LibvirtErrorFields, options?: { cause?: unknown }) {
    super(fields.message, options);
    this.code = fields.code;
    this.domain = fields.domain;
    this.level = fields.level;
    this.operation = fields.operation;
    this.str1 = fields.str1;
    this.str2 = fields.str2;
    this.str3 = fields.str3;
    this.int1 = fields.int1 ?? 0;
    this.int2 = fields.int2 ?? 0;
  }

  /** The symbolic name of the code, e.g. 'NO_DOMAIN'. */
  get codeName(): string {
    return ErrorNumber[this.code] ?? String(this.code);
  }
}

function isNativeError(e: unknown): e is NativeError {
  return typeof e === 'object' && e !== null && (e as { libvirt?: unknown }).libvirt === true;
}

/** Turns whatever the binding threw into a LibvirtError (TypeErrors from bad arguments pass through). */
export function toLibvirtError(e: unknown, operation: string, callerStack?: string): unknown {
  if (e instanceof LibvirtError) return e;
  if (!isNativeError(e)) return e;
  const err = new LibvirtError({
    code: e.code as ErrorNumber,
    domain: e.domain as ErrorDomain,
    level: e.level as ErrorLevel,
    message: e.message,
    operation,
    ...(e.str1 !== undefined ? { str1: e.str1 } : {}),
    ...(e.str2 !== undefined ? { str2: e.str2 } : {}),
    ...(e.str3 !== undefined ? { str3: e.str3 } : {}),
    int1: e.int1,
    int2: e.int2,
  });
  if (callerStack) {
    const frames = callerStack.split('\n').slice(1).join('\n');
    err.stack = `LibvirtError: ${e.message} [${ErrorNumber[e.code] ?? e.code} in ${operation}]\n${frames}`;
  }
  return err;
}

/**
 * Runs one binding call: captures the caller's stack synchronously, turns sync throws and
 * rejections into LibvirtError with that stack.
 */
export function invoke<T>(operation: string, fn: () => Promise<T> | T): Promise<T> {
  const site: { stack?: string } = {};
  Error.captureStackTrace(site, invoke);
  let p: Promise<T>;
  try {
    p = Promise.resolve(fn());
  } catch (e) {
    p = Promise.reject(e);
  }
  return p.catch((e: unknown) => {
    throw toLibvirtError(e, operation, site.stack);
  });
}
