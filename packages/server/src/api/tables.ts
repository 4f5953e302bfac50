/**
 * AdminService handlers for the tables: nodeadd, chdef, lsdef, rmdef, nodels, tabdump, chtab.
 *
 * A refused write is a gRPC error (so the audit row says "failed"): its details are
 * `node: reason` lines and its metadata names the first refused node, which tells the CLI to
 * print the lines as they are. Nothing is written when a command is refused.
 */
import * as grpc from '@grpc/grpc-js';
import {
  type Handlers,
  DroverError,
  type ChDefRequest__Output,
  type LsDefRequest__Output,
  type LsDefResponse,
  type NodeAddRequest__Output,
  type NodeDef,
  type NodeLsRequest__Output,
  type NodeResults,
  type NoderangeRequest__Output,
  type TabDumpRequest__Output,
  type TabDumpResponse,
  type TabSetRequest__Output,
} from '@drover/contract';
import type { ServerContext } from '../context.js';
import { NoderangeError } from '../noderange/index.js';
import { resolveNodeAttr, tableNames, TablesError, type NodeAttr, type TableDump } from '../tables/index.js';

type Unary<Req, Res> = (call: grpc.ServerUnaryCall<Req, Res>) => Promise<Res>;

const STATUS: Record<string, grpc.status> = {
  ATTR_INVALID: grpc.status.INVALID_ARGUMENT,
  ATTR_UNKNOWN: grpc.status.INVALID_ARGUMENT,
  NODE_NAME: grpc.status.INVALID_ARGUMENT,
  KEY_INVALID: grpc.status.INVALID_ARGUMENT,
  TABLE_UNKNOWN: grpc.status.INVALID_ARGUMENT,
  ATTR_CONFLICT: grpc.status.ALREADY_EXISTS,
  NODE_EXISTS: grpc.status.ALREADY_EXISTS,
  NOT_FOUND: grpc.status.NOT_FOUND,
  NODERANGE_UNKNOWN: grpc.status.NOT_FOUND,
  NODERANGE_SYNTAX: grpc.status.INVALID_ARGUMENT,
  NODERANGE_TOO_LARGE: grpc.status.INVALID_ARGUMENT,
  NODERANGE_FILE: grpc.status.INVALID_ARGUMENT,
  NODERANGE_UNSUPPORTED: grpc.status.INVALID_ARGUMENT,
};

/** The one mapper from the tables' and noderanges' errors to drover's gRPC errors. */
export function tablesErrorToDrover(e: unknown): unknown {
  if (e instanceof TablesError) {
    const status = STATUS[e.code] ?? grpc.status.INVALID_ARGUMENT;
    if (e.failures.length === 0) return new DroverError(e.code, e.message, { status });
    return new DroverError(e.code, e.lines().join('\n'), { status, node: e.failures[0]!.node });
  }
  if (e instanceof NoderangeError) {
    if (e.code === 'NODERANGE_UNKNOWN' && e.names?.length) {
      const shown = e.names.slice(0, 50).map((n) => `${n}: no such node or group`);
      if (e.names.length > 50) shown.push(`... and ${e.names.length - 50} more unknown names`);
      return new DroverError(e.code, shown.join('\n'), { status: grpc.status.NOT_FOUND, node: e.names[0]! });
    }
    return new DroverError(e.code, e.message, { status: STATUS[e.code] ?? grpc.status.INVALID_ARGUMENT });
  }
  return e;
}

function guard<Req, Res>(fn: (req: Req, call: grpc.ServerUnaryCall<Req, Res>) => Promise<Res>): Unary<Req, Res> {
  return async (call) => {
    try {
      return await fn(call.request, call);
    } catch (e) {
      throw tablesErrorToDrover(e);
    }
  };
}

function resolveAll(names: readonly string[]): NodeAttr[] {
  const out: NodeAttr[] = [];
  const problems: string[] = [];
  for (const n of names
    .flatMap((x) => x.split(','))
    .map((x) => x.trim())
    .filter(Boolean)) {
    const a = resolveNodeAttr(n);
    if (typeof a === 'string') problems.push(a);
    else if (!out.includes(a) && !out.some((o) => o.name === a.name)) out.push(a);
  }
  if (problems.length) throw new TablesError('ATTR_UNKNOWN', [], problems.join('\n'));
  return out;
}

function results(nodes: readonly string[], message: string): NodeResults {
  return { results: nodes.map((node) => ({ node, ok: true, message, code: '', data: {} })) };
}

function dumpResponse(d: TableDump): TabDumpResponse {
  return { table: d.table, columns: d.columns, rows: d.rows.map((values) => ({ values })) };
}

export function tableHandlers(
  ctx: ServerContext,
): Handlers<'AdminService', 'NodeAdd' | 'ChDef' | 'RmDef' | 'LsDef' | 'NodeLs' | 'TabDump' | 'TabSet'> {
  const { tables } = ctx;

  const nodeAdd = guard<NodeAddRequest__Output, NodeResults>(async (req) => {
    const nodes = await ctx.expand(req.noderange, { requireKnown: false });
    await tables.addNodes(nodes, req.attrs);
    return results(nodes, 'added');
  });

  const chDef = guard<ChDefRequest__Output, NodeResults>(async (req) => {
    if (req.plus && req.minus) throw new TablesError('ATTR_UNKNOWN', [], 'give -p (add to lists) or -m (remove from lists), not both');
    const nodes = await ctx.expand(req.noderange, { requireKnown: true });
    await tables.changeNodes(nodes, req.attrs, { remove: req.remove, mode: req.plus ? 'plus' : req.minus ? 'minus' : 'set' });
    return results(nodes, 'changed');
  });

  const rmDef = guard<NoderangeRequest__Output, NodeResults>(async (req) => {
    const nodes = await ctx.expand(req.noderange, { requireKnown: true });
    await tables.removeNodes(nodes);
    return results(nodes, 'removed');
  });

  const describe = async (nodes: string[], only: NodeAttr[] | undefined, withPending: boolean): Promise<LsDefResponse> => {
    const attrs = await tables.nodeAttrs(nodes, only);
    const pending = withPending ? await tables.pending(nodes) : new Map<string, string[]>();
    const managed = only ? undefined : attrs;
    return {
      nodes: nodes.map((node): NodeDef => ({
        node,
        attrs: attrs.get(node) ?? {},
        pending: pending.get(node) ?? [],
        unmanaged: managed?.get(node)?.['vm.managed'] === '0',
      })),
    };
  };

  const lsDef = guard<LsDefRequest__Output, LsDefResponse>(async (req) => {
    const only = req.attrs.length ? resolveAll(req.attrs) : undefined;
    const nodes = await ctx.expand(req.noderange, { requireKnown: true, emptyIsAll: true });
    return describe(nodes, only, true);
  });

  // nodels keys each attribute by the name as asked (groups stays groups), as xCAT's nodels prints it.
  const nodeLs = guard<NodeLsRequest__Output, LsDefResponse>(async (req) => {
    const asked = req.columns
      .flatMap((x) => x.split(','))
      .map((x) => x.trim())
      .filter(Boolean);
    const only = resolveAll(asked);
    const nodes = await ctx.expand(req.noderange, { requireKnown: true, emptyIsAll: true });
    if (only.length === 0) return { nodes: nodes.map((node) => ({ node, attrs: {}, pending: [], unmanaged: false })) };
    const attrs = await tables.nodeAttrs(nodes, only);
    const names = asked.map((a) => [a, (resolveNodeAttr(a) as NodeAttr).name] as const);
    return {
      nodes: nodes.map((node): NodeDef => {
        const have = attrs.get(node) ?? {};
        const out: Record<string, string> = {};
        for (const [a, full] of names) if (have[full] !== undefined) out[a] = have[full]!;
        return { node, attrs: out, pending: [], unmanaged: false };
      }),
    };
  });

  const tabDump = guard<TabDumpRequest__Output, TabDumpResponse>(async (req) => {
    if (req.table.trim() === '') return { table: '', columns: ['table'], rows: tableNames().map((t) => ({ values: [t] })) };
    return dumpResponse(await tables.dump(req.table));
  });

  const tabSet = guard<TabSetRequest__Output, TabDumpResponse>(async (req) =>
    dumpResponse(await tables.setRow(req.table, req.key, req.values, req.delete)),
  );

  return {
    NodeAdd: nodeAdd,
    ChDef: chDef,
    RmDef: rmDef,
    LsDef: lsDef,
    NodeLs: nodeLs,
    TabDump: tabDump,
    TabSet: tabSet,
  };
}
