/**
 * AdminService: the handlers of each area live in their own file; this list joins them. Access
 * rules come from proto/ and are enforced by secureService before any handler runs.
 */
import type { Implementation } from '@drover/contract';
import type { ServerContext } from '../context.js';
import type { OperationEngine } from '../operations/engine.js';
import { hostHandlers } from './hosts.js';
import { guestHandlers } from './guests.js';
import { operationHandlers } from './operations.js';
import { tableHandlers } from './tables.js';
import { netbootHandlers } from './netboot.js';

export function adminHandlers(ctx: ServerContext, operations: OperationEngine): Implementation<'AdminService'> {
  return {
    ...hostHandlers(ctx),
    ...guestHandlers(ctx),
    ...operationHandlers(ctx, operations),
    ...tableHandlers(ctx),
    ...netbootHandlers(ctx),
  };
}
