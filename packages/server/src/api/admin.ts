/**
 * AdminService: the handlers of each area live in their own file; this list joins them. Access
 * rules come from proto/ and are enforced by secureService before any handler runs.
 */
import type { ServerContext } from '../context.js';
import { hostHandlers } from './hosts.js';
import { guestHandlers } from './guests.js';
import { operationHandlers } from './operations.js';
import { tableHandlers } from './tables.js';
import { netbootHandlers } from './netboot.js';

type Handlers = Record<string, (...args: never[]) => unknown>;

export function adminHandlers(ctx: ServerContext): Handlers {
  return {
    ...hostHandlers(ctx),
    ...guestHandlers(ctx),
    ...(ctx.operations ? operationHandlers(ctx, ctx.operations) : {}),
    ...tableHandlers(ctx),
    ...netbootHandlers(ctx),
  };
}
