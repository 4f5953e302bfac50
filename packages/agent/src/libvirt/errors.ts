/**
 * libvirt failures as drover errors: one mapper from libvirt's error code to a gRPC status, the
 * code itself kept in `libvirtCode` (sent as `libvirt-code` metadata).
 */
import * as grpc from '@grpc/grpc-js';
import { DroverError } from '@drover/contract';
import { ErrorCode, LibvirtError } from '@drover/libvirt';

const STATUS: Partial<Record<ErrorCode, grpc.status>> = {
  [ErrorCode.NO_DOMAIN]: grpc.status.NOT_FOUND,
  [ErrorCode.NO_STORAGE_POOL]: grpc.status.NOT_FOUND,
  [ErrorCode.NO_STORAGE_VOL]: grpc.status.NOT_FOUND,
  [ErrorCode.NO_NETWORK]: grpc.status.NOT_FOUND,
  [ErrorCode.DOM_EXIST]: grpc.status.ALREADY_EXISTS,
  [ErrorCode.STORAGE_VOL_EXIST]: grpc.status.ALREADY_EXISTS,
  [ErrorCode.XML_ERROR]: grpc.status.INVALID_ARGUMENT,
  [ErrorCode.XML_DETAIL]: grpc.status.INVALID_ARGUMENT,
  [ErrorCode.XML_INVALID_SCHEMA]: grpc.status.INVALID_ARGUMENT,
  [ErrorCode.INVALID_ARG]: grpc.status.INVALID_ARGUMENT,
  [ErrorCode.INVALID_MAC]: grpc.status.INVALID_ARGUMENT,
  [ErrorCode.NO_SUPPORT]: grpc.status.UNIMPLEMENTED,
  [ErrorCode.ARGUMENT_UNSUPPORTED]: grpc.status.UNIMPLEMENTED,
  [ErrorCode.OPERATION_UNSUPPORTED]: grpc.status.UNIMPLEMENTED,
  [ErrorCode.CONFIG_UNSUPPORTED]: grpc.status.FAILED_PRECONDITION,
  [ErrorCode.OPERATION_INVALID]: grpc.status.FAILED_PRECONDITION,
  [ErrorCode.OPERATION_DENIED]: grpc.status.PERMISSION_DENIED,
  [ErrorCode.ACCESS_DENIED]: grpc.status.PERMISSION_DENIED,
  [ErrorCode.OPERATION_TIMEOUT]: grpc.status.DEADLINE_EXCEEDED,
  [ErrorCode.AGENT_UNRESPONSIVE]: grpc.status.DEADLINE_EXCEEDED,
  [ErrorCode.OPERATION_ABORTED]: grpc.status.ABORTED,
  [ErrorCode.RESOURCE_BUSY]: grpc.status.UNAVAILABLE,
  [ErrorCode.NO_CONNECT]: grpc.status.UNAVAILABLE,
  [ErrorCode.INVALID_CONN]: grpc.status.UNAVAILABLE,
  [ErrorCode.RPC]: grpc.status.UNAVAILABLE,
  [ErrorCode.SYSTEM_ERROR]: grpc.status.INTERNAL,
  [ErrorCode.INTERNAL_ERROR]: grpc.status.INTERNAL,
  [ErrorCode.OPERATION_FAILED]: grpc.status.FAILED_PRECONDITION,
};

/** Codes that mean the connection itself is gone (reconnect), not that one call failed. */
const CONNECTION_LOST = new Set<ErrorCode>([ErrorCode.NO_CONNECT, ErrorCode.INVALID_CONN, ErrorCode.RPC]);

export function isConnectionLost(e: unknown): boolean {
  return e instanceof LibvirtError && CONNECTION_LOST.has(e.code);
}

/** A libvirt failure as a DroverError (status by code, libvirt's code kept); other errors pass through. */
export function fromLibvirt(e: unknown, ctx: { host?: string; node?: string; what?: string } = {}): unknown {
  if (!(e instanceof LibvirtError)) return e;
  const status = STATUS[e.code] ?? grpc.status.INTERNAL;
  const what = ctx.what ? `${ctx.what}: ` : '';
  return new DroverError(`LIBVIRT_${e.codeName}`, `${what}${e.message}`, {
    status,
    libvirtCode: e.code,
    ...(ctx.host ? { host: ctx.host } : {}),
    ...(ctx.node ? { node: ctx.node } : {}),
    cause: e,
  });
}
