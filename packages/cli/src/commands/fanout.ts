/**
 * Streams per-node results of a fan-out RPC: `node: result` lines as they arrive (sorted at the
 * end when not on a TTY, so scripts see a stable order), or JSON; a progress bar on stderr when
 * many nodes are involved and stderr is a terminal. Returns 1 when any node failed.
 */
import { SingleBar, Presets } from 'cli-progress';
import type { NodeResult__Output, RequestOf, ServerStreamMethod } from '@drover/contract';
import type { Api } from '../client.js';
import { printJson } from '../output.js';
import { compareNames } from '../sort.js';

/** The fan-out RPCs: every server-streaming admin method but WatchOperation streams NodeResults. */
export type FanOutMethod = Exclude<ServerStreamMethod<'AdminService'>, 'WatchOperation'>;

export async function streamResults<M extends FanOutMethod>(
  api: Api,
  method: M,
  req: RequestOf<'AdminService', M>,
  output: string,
  opts: { expect?: number } = {},
): Promise<number> {
  const results: NodeResult__Output[] = [];
  const tty = process.stdout.isTTY && output === 'text';
  const bar =
    process.stderr.isTTY && (opts.expect ?? 0) >= 20
      ? new SingleBar({ format: `${method} {bar} {value}/{total} nodes`, hideCursor: true, clearOnComplete: true }, Presets.shades_classic)
      : undefined;
  bar?.start(opts.expect ?? 0, 0);
  for await (const r of api.stream(method, req)) {
    results.push(r);
    bar?.increment();
    if (tty && !bar) (r.ok ? process.stdout : process.stderr).write(`${r.node}: ${r.message}\n`);
  }
  bar?.stop();
  results.sort((a, b) => compareNames(a.node, b.node));
  if (output === 'json') {
    printJson(
      results.map((r) => ({
        node: r.node,
        ok: r.ok,
        message: r.message,
        ...(r.code ? { code: r.code } : {}),
        ...(Object.keys(r.data).length ? { data: r.data } : {}),
      })),
    );
  } else if (!tty || bar) {
    for (const r of results) (r.ok ? process.stdout : process.stderr).write(`${r.node}: ${r.message}\n`);
  }
  return results.every((r) => r.ok) ? 0 : 1;
}
