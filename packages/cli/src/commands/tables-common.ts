/**
 * Shared by the table verbs (nodeadd, chdef, lsdef, rmdef, nodels, tabdump, chtab): attr=value
 * arguments, the call that prints refused nodes as `node: reason` lines, result printing, and
 * the help texts.
 */
import type * as grpc from '@grpc/grpc-js';
import {
  ATTR_SYNTAX_HELP,
  fromServiceError,
  UserFacingError,
  type NodeResults__Output,
  type ReplyOf,
  type RequestOf,
  type UnaryMethod,
} from '@drover/contract';
import type { Api } from '../client.js';
import { printJson } from '../output.js';

/** Parses `attr=value` arguments (a value may contain '='; `attr=` clears). */
export function parseAssignments(args: readonly string[], what = 'attribute'): Record<string, string> {
  const out: Record<string, string> = {};
  for (const a of args) {
    const eq = a.indexOf('=');
    if (eq <= 0) throw new UserFacingError(`'${a}' is not ${what}=value`, 2);
    const k = a.slice(0, eq).trim();
    if (Object.hasOwn(out, k)) throw new UserFacingError(`${what} '${k}' is given twice`, 2);
    out[k] = a.slice(eq + 1);
  }
  return out;
}

/** Failures the server names a node for (refused writes, unknown nodes) come back as `node: reason` lines. */
export class NodeLinesError extends Error {
  constructor(readonly lines: string[]) {
    super(lines.join('\n'));
  }
}

/**
 * A unary call. A refusal that names nodes becomes a NodeLinesError; anything else (unreachable
 * server, refused certificate, a bad noderange) becomes the client's one-line error.
 */
export function callTables<M extends UnaryMethod<'AdminService'>>(
  api: Api,
  method: M,
  req: RequestOf<'AdminService', M>,
  deadlineMs = 300_000,
): Promise<ReplyOf<'AdminService', M>> {
  return api.rpc.unary(method, req, { deadlineMs }).catch((e: grpc.ServiceError) => {
    const d = fromServiceError(e);
    if (d.node && d.code !== 'UNAUTHENTICATED' && d.code !== 'PERMISSION_DENIED') throw new NodeLinesError(d.message.split('\n'));
    throw api.explain(e);
  });
}

/** Runs a table verb: prints `node: reason` lines on stderr for refused nodes and returns the exit code. */
export async function runTableVerb(fn: () => Promise<number | void>): Promise<void> {
  try {
    const code = await fn();
    if (typeof code === 'number' && code !== 0) process.exitCode = code;
  } catch (e) {
    if (!(e instanceof NodeLinesError)) throw e;
    for (const l of e.lines) process.stderr.write(`${l}\n`);
    process.exitCode = 1;
  }
}

/** Prints NodeResults: `node: message` lines, or JSON; returns 1 when any node failed. */
export function printResults(r: NodeResults__Output, output: string): number {
  if (output === 'json') {
    printJson(r.results.map((x) => ({ node: x.node, ok: x.ok, message: x.message, ...(x.code ? { code: x.code } : {}) })));
  } else {
    for (const x of r.results) (x.ok ? process.stdout : process.stderr).write(`${x.node}: ${x.message}\n`);
  }
  return r.results.every((x) => x.ok) ? 0 : 1;
}

export function checkOutput(output: string): void {
  if (output !== 'text' && output !== 'json') throw new UserFacingError(`-o ${output}: expected text or json`, 2);
}

/** The noderange grammar in short (the server's noderange module has the full description). */
export const NODERANGE_HELP = `\
Noderanges

  node01,node02        several nodes (or groups: compute,rack1)
  node01-node10        a range; node[01-10] and node01:node10 are the same;
  node[1,3,5-7]        brackets list numbers; f[1-2]n[1-3] multiplies
  node10+3             node10 to node13
  /regex               defined nodes whose whole name matches (/web[0-9]+)
  ^/path/file          the file's lines, one noderange per line (# comments);
                       read by the CLI on this machine
  table.column==value  nodes whose attribute equals value (!= differs,
                       =~ and !~ match a regular expression): vm.host==hv01
  a@b                  nodes in both a and b
  -a                   leave out a: all,-node05 (exclusions apply to their list)
  ( ... )              grouping

  Names are one DNS label: 1 to 63 letters, digits and -.
`;

/** Attribute names in short, for nodeadd/chdef/lsdef --help. */
export const ATTR_NAMES_HELP = `\
Attributes

  table.column, for the node tables nodelist, vm, nodehm, nodetype, noderes,
  mac and hosts (see 'tabdump <table>' for the columns), or xCAT's short
  names: groups status vmhost migrationdest vmstorage vmmemory vmcpus vmnics
  vmbootorder antiaffinity mgt power cons serialport serialspeed serialflow
  os arch profile provmethod netboot nfsserver primarynic installnic
  xcatmaster tftpserver mac ip hostnames. attr= (empty) clears an attribute.
`;

export const TABLE_VERB_HELP = `\n${ATTR_NAMES_HELP}\n${ATTR_SYNTAX_HELP}\n${NODERANGE_HELP}`;
