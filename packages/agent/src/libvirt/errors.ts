/**
 * libvirt failures as drover errors: one mapper from libvirt's error code to a gRPC status, the
 * code itself kept in `libvirtCode` (sent as `libvirt-code` metadata).
 */
import * as grpc from '@grpc/grpc-js';
import { DroverError } from '@drover/contract';
import { ErrorNumber, LibvirtError } from '@drover/libvirt';

const STATUS: Partial<Record<ErrorNumber, grpc.status>> = {
  [ErrorNumber.NO_DOMAIN]: grpc.status.NOT_FOUND,
  [ErrorNumber.NO_STORAGE_POOL]: grpc.status.NOT_FOUND,
  [ErrorNumber.NO_STORAGE_VOL]: grpc.status.NOT_FOUND,
  [ErrorNumber.NO_NETWORK]: grpc.status.NOT_FOUND,
  [ErrorNumber.DOM_EXIST]: grpc.status.ALREADY_EXISTS,
  [ErrorNumber.STORAGE_VOL_EXIST]: grpc.status.ALREADY_EXISTS,
  [ErrorNumber.XML_ERROR]: grpc.status.INVALID_ARGUMENT,
  [ErrorNumber.XML_DETAIL]: grpc.status.INVALID_ARGUMENT,
  [ErrorNumber.XML_INVALID_SCHEMA]: grpc.status.INVALID_ARGUMENT,
  [ErrorNumber.INVALID_ARG]: grpc.status.INVALID_ARGUMENT,
  [ErrorNumber.INVALID_MAC]: grpc.status.INVALID_ARGUMENT,
  [ErrorNumber.NO_SUPPORT]: grpc.status.UNIMPLEMENTED,
  [ErrorNumber.ARGUMENT_UNSUPPORTED]: grpc.status.UNIMPLEMENTED,
  [ErrorNumber.OPERATION_UNSUPPORTED]: grpc.status.UNIMPLEMENTED,
  [ErrorNumber.CONFIG_UNSUPPORTED]: grpc.status.FAILED_PRECONDITION,
  [ErrorNumber.OPERATION_INVALID]: grpc.status.FAILED_PRECONDITION,
  [ErrorNumber.OPERATION_DENIED]: grpc.status.PERMISSION_DENIED,
  [ErrorNumber.ACCESS_DENIED]: grpc.status.PERMISSION_DENIED,
  [ErrorNumber.OPERATION_TIMEOUT]: grpc.status.DEADLINE_EXCEEDED,
  [ErrorNumber.AGENT_UNRESPONSIVE]: grpc.status.DEADLINE_EXCEEDED,
  [ErrorNumber.OPERATION_ABORTED]: grpc.status.ABORTED,
  [ErrorNumber.RESOURCE_BUSY]: grpc.status.UNAVAILABLE,
  [ErrorNumber.NO_CONNECT]: grpc.status.UNAVAILABLE,
  [ErrorNumber.INVALID_CONN]: grpc.status.UNAVAILABLE,
  [ErrorNumber.RPC]: grpc.status.UNAVAILABLE,
  [ErrorNumber.SYSTEM_ERROR]: grpc.status.INTERNAL,
  [ErrorNumber.INTERNAL_ERROR]: grpc.status.INTERNAL,
  [ErrorNumber.OPERATION_FAILED]: grpc.status.FAILED_PRECONDITION,
};

/** Codes that mean the connection itself is gone (reconnect), not that one call failed. */
const CONNECTION_LOST = new Set<ErrorNumber>([ErrorNumber.NO_CONNECT, ErrorNumber.INVALID_CONN, ErrorNumber.RPC]);

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
