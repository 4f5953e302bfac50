/**
 * The boot file server: plain HTTP, because PXE ROMs, iPXE and installers cannot present client
 * certificates. It serves only what `nodeset` generated (see routes.ts) and the token-checked
 * install callback; there is no directory listing and no path is ever built from unchecked input.
 * Files are opened without following symlinks and must be regular files.
 */
import { constants } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { underRoot, type Logger } from '@drover/contract';
import { route, type Layout } from './routes.js';

/** What the server needs from the netboot service. */
export interface BootBackend {
  readonly root: string;
  /** Where generated files live (from the site table); throws when the site is not set up. */
  layout(): Promise<Layout>;
  tokenValid(node: string, token: string): Promise<boolean>;
  installDone(
    node: string,
    token: string,
    peer: string,
  ): Promise<{ accepted: boolean; filesWritten: boolean; outcome?: { ok: boolean; message: string } }>;
}

/** Generated files are small; anything bigger is not ours. */
const MAX_FILE = 1 << 20;

function send(res: ServerResponse, status: number, body: string | Buffer, head: boolean, type = 'text/plain; charset=utf-8'): void {
  const data = typeof body === 'string' ? Buffer.from(body) : body;
  res.writeHead(status, {
    'content-type': type,
    'content-length': data.length,
    'cache-control': 'no-store',
    'x-content-type-options': 'nosniff',
    ...(status === 405 ? { allow: 'GET, HEAD' } : {}),
  });
  res.end(head ? undefined : data);
}

async function readGenerated(file: string): Promise<Buffer | undefined> {
  let fh: FileHandle;
  try {
    fh = await open(file, constants.O_RDONLY | constants.O_NOFOLLOW);
  } catch {
    return undefined;
  }
  try {
    const st = await fh.stat();
    if (!st.isFile() || st.size > MAX_FILE) return undefined;
    return await fh.readFile();
  } finally {
    await fh.close();
  }
}

export class BootHttpServer {
  private constructor(
    private readonly server: Server,
    readonly port: number,
  ) {}

  /** Listens on `listen` (host:port; port 0 picks a free one). */
  static async start(listen: string, backend: BootBackend, log: Logger): Promise<BootHttpServer> {
    const colon = listen.lastIndexOf(':');
    const host = listen.slice(0, colon).replace(/^\[(.*)\]$/, '$1');
    const port = Number(listen.slice(colon + 1));
    const server = createServer((req, res) => {
      handle(req, res, backend, log).catch((e: Error) => {
        log.error({ err: e.message, url: req.url }, 'boot http request failed');
        if (!res.headersSent) send(res, 500, 'internal error\n', req.method === 'HEAD');
        else res.destroy();
      });
    });
    server.headersTimeout = 10_000;
    server.requestTimeout = 30_000;
    server.keepAliveTimeout = 5_000;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen({ host, port }, () => {
        server.off('error', reject);
        resolve();
      });
    });
    const bound = (server.address() as AddressInfo).port;
    log.info({ listen: `${host}:${bound}` }, 'boot file server listening');
    return new BootHttpServer(server, bound);
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }
}

async function handle(req: IncomingMessage, res: ServerResponse, backend: BootBackend, log: Logger): Promise<void> {
  const head = req.method === 'HEAD';
  const peer = `${req.socket.remoteAddress ?? '?'}:${req.socket.remotePort ?? '?'}`;
  let layout: Layout;
  try {
    layout = await backend.layout();
  } catch (e) {
    log.warn({ err: (e as Error).message }, 'boot http: the site table is not set up');
    return send(res, 503, 'drover: network install is not set up (site table)\n', head);
  }
  const r = route(req.method, req.url, layout);
  if (r.kind === 'refuse') {
    log.info({ peer, method: req.method, url: req.url?.slice(0, 200), status: r.status, reason: r.reason }, 'boot http: refused');
    return send(res, r.status, `${r.status === 404 ? 'not found' : r.reason}\n`, head);
  }
  if (r.kind === 'callback') {
    if (head) return send(res, 405, 'the install callback takes GET\n', head);
    const done = await backend.installDone(r.node, r.token, peer);
    if (!done.accepted) return send(res, 403, 'token refused\n', head);
    if (!done.filesWritten) return send(res, 500, `${r.node}: ${done.outcome?.message ?? 'failed'}\n`, head);
    return send(res, 200, `${r.node}: ${done.outcome?.message ?? 'done'}\n`, head);
  }
  if (r.token !== undefined && !(await backend.tokenValid(r.node, r.token))) {
    log.info({ peer, node: r.node, url: r.path }, 'boot http: answer file refused (token)');
    return send(res, 403, 'token refused\n', head);
  }
  const data = await readGenerated(underRoot(backend.root, r.path));
  if (!data) return send(res, 404, 'not found\n', head);
  log.debug({ peer, path: r.path }, 'boot http: served');
  return send(res, 200, data, head, r.contentType);
}
