/**
 * Fencing and first definition of a guest from the tables, shared by rpower on, mkvm and
 * rinstall: a guest is never defined or started where vm.host points while its UUID is active on
 * another host, nor when it is defined on two hosts.
 */
import { DroverError, type DefineGuestResponse__Output } from '@drover/contract';
import * as grpc from '@grpc/grpc-js';
import type { ServerContext } from '../context.js';
import { buildGuestSpec } from './spec.js';
import { isActive, stateWord } from './state.js';

/** Throws FENCED or DEFINED_TWICE (naming the hosts and the fix) when `node` must not start on `host`. */
export function fenceGuest(ctx: ServerContext, node: string, host: string, uuid: string): void {
  const seen = ctx.inventory.whereIs(node, uuid);
  const elsewhere = seen.filter((s) => s.host !== host);
  const active = elsewhere.find((s) => isActive(s.guest.state));
  if (active) {
    throw new DroverError(
      'FENCED',
      `${node}: is ${stateWord(active.guest.state)} on ${active.host} but vm.host is ${host}; not started (stop it there, or fix vm.host)`,
      { status: grpc.status.FAILED_PRECONDITION, node },
    );
  }
  if (elsewhere.length && seen.some((s) => s.host === host)) {
    throw new DroverError(
      'DEFINED_TWICE',
      `${node}: defined on two hosts (${[host, ...elsewhere.map((s) => s.host)].join(', ')}); not started — remove the stale definition with rmvm on the wrong host`,
      { status: grpc.status.FAILED_PRECONDITION, node },
    );
  }
}

/** Defines `node` on `host` from its table attributes (disks created when absent), fenced first. */
export async function defineFromTables(
  ctx: ServerContext,
  node: string,
  host: string,
  o: { start: boolean; diskSize?: string },
): Promise<DefineGuestResponse__Output> {
  const view = ctx.hosts.get(host);
  const spec = await buildGuestSpec(ctx.tables, node, { ...(view ? { host: view } : {}), ...(o.diskSize ? { diskSize: o.diskSize } : {}) });
  fenceGuest(ctx, node, host, spec.uuid ?? '');
  const r = await ctx.agents.call(host, 'DefineGuest', { spec, start: o.start, createDisks: true }, { deadlineMs: 120_000 });
  await ctx.tables.markDefined(node);
  return r;
}
