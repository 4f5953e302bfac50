/**
 * SIMULATION ONLY. Live migration between simulated hosts: libvirt's test driver cannot migrate,
 * so the job is emulated. It takes `durationMs`, reports progress (data moved grows linearly over
 * the guest's memory) through the agent's ordinary Migrations code, can be aborted, and at the end
 * defines (and starts) the guest on the destination host's own test-driver connection and destroys
 * and undefines it on the source: both hosts then report the change through their normal
 * lifecycle events and inventories.
 *
 * The destination may live in another simulator process: each process serves its hosts' incoming
 * definitions on a loopback HTTP port, and each simulated host advertises
 * `sim+http://127.0.0.1:<port>/<host>` as its migration URI.
 */
import { createServer, request, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { DomainJobType, DomainMigrateFlags, type Domain, type JobStats } from '@drover/libvirt';
import { background, type Logger } from '@drover/contract';
import type { MigrationRunner } from '../migration/migrations.js';
import type { LibvirtManager } from '../libvirt/manager.js';

export const SIM_URI_RE = /^sim\+http:\/\/([^/]+)\/([A-Za-z0-9-]+)$/;

export interface SimMigrationOptions {
  /** How long an emulated migration takes. */
  durationMs: number;
}

interface Job {
  startMs: number;
  bytes: number;
  abort?: () => void;
}

/** Incoming guests for the hosts of this process. */
export class SimPeerServer {
  private server: Server | undefined;
  port = 0;
  constructor(
    private readonly lvOf: (host: string) => LibvirtManager | undefined,
    private readonly log: Logger,
  ) {}

  async start(ip: string): Promise<void> {
    this.server = createServer((req, res) => background('simulated migration request', this.handle(req, res)));
    await new Promise<void>((res, rej) => {
      this.server!.once('error', rej);
      this.server!.listen(0, ip, () => res());
    });
    this.port = (this.server.address() as { port: number }).port;
  }

  uriOf(ip: string, host: string): string {
    return `sim+http://${ip}:${this.port}/${host}`;
  }

  /** Defines the guest on `host` (and starts it). */
  async receive(host: string, xml: string, start: boolean): Promise<void> {
    const lv = this.lvOf(host);
    if (!lv) throw new Error(`simulated host '${host}' is not served here`);
    const dom = await lv.conn().defineDomain(xml);
    if (start) await dom.create();
    lv.managedCache.delete(dom.uuid);
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    try {
      const host = decodeURIComponent((req.url ?? '').replace(/^\/incoming\//, ''));
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { xml: string; start: boolean };
      await this.receive(host, body.xml, body.start);
      res.writeHead(200).end('{}');
    } catch (e) {
      this.log.warn({ err: (e as Error).message }, 'simulated incoming migration refused');
      res.writeHead(500).end(JSON.stringify({ error: (e as Error).message }));
    }
  }

  stop(): Promise<void> {
    return new Promise((res) => (this.server ? this.server.close(() => res()) : res()));
  }
}

function post(addr: string, host: string, body: object): Promise<void> {
  const [hostname, port] = [addr.replace(/:\d+$/, ''), Number(addr.split(':').pop())];
  const data = JSON.stringify(body);
  return new Promise((res, rej) => {
    const r = request(
      {
        hostname,
        port,
        method: 'POST',
        path: `/incoming/${encodeURIComponent(host)}`,
        headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(data) },
      },
      (resp) => {
        const chunks: Buffer[] = [];
        resp.on('data', (c: Buffer) => chunks.push(c));
        resp.on('end', () => {
          if (resp.statusCode === 200) return res();
          let msg = `HTTP ${resp.statusCode}`;
          try {
            msg = (JSON.parse(Buffer.concat(chunks).toString('utf8')) as { error: string }).error;
          } catch {
            /* keep the status */
          }
          rej(new Error(`simulated migration to ${host} failed: ${msg}`));
        });
      },
    );
    r.on('error', (e) => rej(new Error(`simulated migration to ${host}: destination simulator at ${addr} not reachable (${e.message})`)));
    r.end(data);
  });
}

/** The emulated migration job of one simulated (source) host. */
export class SimMigrationRunner implements MigrationRunner {
  private readonly jobs = new Map<string, Job>();
  constructor(
    private readonly opts: SimMigrationOptions,
    private readonly peers: SimPeerServer,
  ) {}

  async migrate(dom: Domain, destUri: string, _params: unknown, flags: number): Promise<void> {
    const m = SIM_URI_RE.exec(destUri);
    if (!m) throw new Error(`simulated migration: destination URI ${destUri} is not a simulated host (sim+http://addr/host)`);
    const [, addr, dest] = m as unknown as [string, string, string];
    const info = await dom.info();
    const job: Job = { startMs: Date.now(), bytes: info.memoryKiB * 1024 };
    this.jobs.set(dom.uuid, job);
    try {
      await new Promise<void>((res, rej) => {
        const t = setTimeout(res, this.opts.durationMs);
        job.abort = () => {
          clearTimeout(t);
          rej(new Error('operation aborted: migration job: canceled by client (simulated)'));
        };
      });
      job.abort = undefined;
      const xml = await dom.getXMLDesc();
      const start = await dom.isActive();
      if (addr === `127.0.0.1:${this.peers.port}` || addr === `localhost:${this.peers.port}`) await this.peers.receive(dest, xml, start);
      else await post(addr, dest, { xml, start });
      if (start) await dom.destroy();
      if (flags & DomainMigrateFlags.UNDEFINE_SOURCE) await dom.undefine();
    } finally {
      this.jobs.delete(dom.uuid);
    }
  }

  async jobStats(dom: Domain): Promise<JobStats> {
    const j = this.jobs.get(dom.uuid);
    if (!j) return { type: DomainJobType.NONE, raw: {} };
    const elapsed = Date.now() - j.startMs;
    const done = Math.min(1, elapsed / Math.max(1, this.opts.durationMs));
    const processed = Math.round(j.bytes * done);
    return {
      type: DomainJobType.UNBOUNDED,
      timeElapsed: elapsed,
      timeRemaining: Math.max(0, this.opts.durationMs - elapsed),
      dataTotal: j.bytes,
      dataProcessed: processed,
      dataRemaining: j.bytes - processed,
      memoryBps: Math.round(j.bytes / Math.max(0.001, this.opts.durationMs / 1000)),
      memoryIteration: 1,
      downtime: 0,
      raw: {},
    };
  }

  async abort(dom: Domain): Promise<void> {
    const j = this.jobs.get(dom.uuid);
    if (!j?.abort) throw new Error('no migration job to abort (simulated)');
    j.abort();
  }

  async jobActive(dom: Domain): Promise<boolean> {
    return this.jobs.has(dom.uuid);
  }
}
