/** EnrollService: token enrolment, the only call made before a client has a certificate. */
import * as grpc from '@grpc/grpc-js';
import { DroverError, invalidArgument, pki, type EnrollRequest__Output, type EnrollResponse, type Implementation } from '@drover/contract';
import type { ServerContext } from '../context.js';

/** A small fixed-window limiter: at most `max` attempts per `windowMs`, per peer and overall. */
export class RateLimiter {
  private windows = new Map<string, { start: number; count: number }>();
  constructor(
    private readonly max: number,
    private readonly windowMs: number,
    private readonly now: () => number = Date.now,
  ) {}
  allow(key: string): boolean {
    const t = this.now();
    const w = this.windows.get(key);
    if (!w || t - w.start >= this.windowMs) {
      this.windows.set(key, { start: t, count: 1 });
      if (this.windows.size > 10_000) this.windows.clear();
      return true;
    }
    w.count++;
    return w.count <= this.max;
  }
}

export function enrollHandlers(ctx: ServerContext): Implementation<'EnrollService'> {
  const perPeer = new RateLimiter(5, 60_000);
  const overall = new RateLimiter(60, 60_000);
  return {
    Enroll: async (call: grpc.ServerUnaryCall<EnrollRequest__Output, EnrollResponse>): Promise<EnrollResponse> => {
      const peer = call.getPeer().replace(/:\d+$/, '');
      const req = call.request;
      if (!perPeer.allow(peer) || !overall.allow('*')) {
        throw new DroverError('RATE_LIMITED', `too many enrolment attempts from ${peer}; wait a minute and retry`, {
          status: grpc.status.RESOURCE_EXHAUSTED,
        });
      }
      if (!pki.NAME_RE.test(req.host))
        throw invalidArgument(`host '${req.host}': a host name is a DNS label (letters, digits and '-', at most 63, no dots)`);
      if (!/^U[A-Z2-7]{55}$/.test(req.natsNkey))
        throw invalidArgument(`host '${req.host}': nats_nkey must be an NKEY user public key (U followed by 55 base32 characters)`, {
          host: req.host,
        });
      const pub = await pki.readCsr(req.csrPem).catch((e: Error) => {
        throw invalidArgument(`host '${req.host}': ${e.message}`, { host: req.host });
      });
      await ctx.pki.consumeToken(req.token, req.host);
      const cert = await ctx.pki.issue('agent', req.host, { publicKey: pub, dnsNames: [req.host] });
      await ctx.onEnrolled(req.host, req.natsNkey);
      ctx.log.info({ host: req.host, peer, serial: cert.serial }, 'host enrolled with a token');
      return { certPem: cert.certPem, caPem: ctx.pki.caPem, serverAddress: ctx.advertise, natsUrl: ctx.cfg.nats.url };
    },
  };
}
