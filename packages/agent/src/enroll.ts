/**
 * `drover-agent enroll`: exchanges a one-time token for a certificate. The agent creates its
 * private key and NATS key locally (they never leave the host), checks that the server's CA
 * matches the fingerprint carried in the token, and writes agent.yaml beside the new files.
 */
import * as grpc from '@grpc/grpc-js';
import * as tls from 'node:tls';
import { createHash, X509Certificate } from 'node:crypto';
import { join, resolve } from 'node:path';
import { stringify } from 'yaml';
import {
  clientOptions,
  newNkey,
  pki,
  RpcClient,
  writeFileAtomic,
  UserFacingError,
  fromServiceError,
  type EnrollResponse__Output,
} from '@drover/contract';

function splitAddr(addr: string): { host: string; port: number } {
  const m = /^(.*):(\d+)$/.exec(addr);
  if (!m) throw new UserFacingError(`--server '${addr}': expected host:port`, 2);
  return { host: m[1]!.replace(/^\[|\]$/g, ''), port: Number(m[2]) };
}

/** Fetches the CA certificate the server presents and checks it against the token's fingerprint. */
async function fetchCa(addr: string, wantFp: string): Promise<string> {
  const { host, port } = splitAddr(addr);
  const chain = await new Promise<tls.DetailedPeerCertificate>((res, rej) => {
    const s = tls.connect({ host, port, rejectUnauthorized: false, ALPNProtocols: ['h2'], servername: 'drover-server' }, () => {
      const c = s.getPeerCertificate(true);
      s.destroy();
      res(c);
    });
    s.setTimeout(5000, () => {
      s.destroy();
      rej(new Error('timed out'));
    });
    s.on('error', rej);
  }).catch((e: Error) => {
    throw new UserFacingError(
      `cannot reach the enrolment service at ${addr} (${e.message}); check --server (the server's grpc.enrollListen)`,
    );
  });
  const seen = new Set<string>();
  for (let c: tls.DetailedPeerCertificate | undefined = chain; c && c.raw && !seen.has(c.fingerprint256); c = c.issuerCertificate) {
    seen.add(c.fingerprint256);
    const fp = createHash('sha256').update(c.raw).digest('hex');
    if (fp === wantFp) return new X509Certificate(c.raw).toString();
  }
  throw new UserFacingError(
    `the server at ${addr} does not present the CA named in the token (fingerprint ${wantFp.slice(0, 16)}...); check --server`,
  );
}

export async function enrollWithToken(o: {
  server: string;
  token: string;
  host: string;
  out: string;
  grpcListen?: string;
  libvirtUri?: string;
}): Promise<string> {
  if (!pki.NAME_RE.test(o.host))
    throw new UserFacingError(`--host '${o.host}': a host name is a DNS label (letters, digits and '-', at most 63, no dots)`, 2);
  const parts = o.token.split('.');
  if (parts.length !== 4 || parts[0] !== 'drv1' || !/^[0-9a-f]{64}$/.test(parts[3]!)) {
    throw new UserFacingError('--token: malformed; expected the token printed by `drover-server enroll <host> --token`', 2);
  }
  const caPem = await fetchCa(o.server, parts[3]!);
  const { csrPem, keyPem } = await pki.createCsr(o.host);
  const nk = newNkey();
  // The enrolment port does not ask for a client certificate; present none.
  const creds = grpc.credentials.createSsl(Buffer.from(caPem));
  const client = new RpcClient('EnrollService', o.server, creds, clientOptions('drover-server'));
  let res: EnrollResponse__Output;
  try {
    res = await client.unary('Enroll', { token: o.token, host: o.host, csrPem, natsNkey: nk.publicKey }, { deadlineMs: 10_000 });
  } catch (e) {
    throw new UserFacingError(`enrolment refused: ${fromServiceError(e).message}`);
  } finally {
    client.close();
  }
  const dir = resolve(o.out);
  writeFileAtomic(join(dir, 'ca.pem'), res.caPem);
  writeFileAtomic(join(dir, 'agent.pem'), res.certPem);
  writeFileAtomic(join(dir, 'agent-key.pem'), keyPem, { mode: 0o600 });
  writeFileAtomic(join(dir, 'nats.seed'), nk.seed + '\n', { mode: 0o600 });
  const config = join(dir, 'agent.yaml');
  writeFileAtomic(
    config,
    stringify({
      host: o.host,
      tls: { ca: 'ca.pem', cert: 'agent.pem', key: 'agent-key.pem' },
      nats: { url: res.natsUrl, seedFile: 'nats.seed' },
      grpc: { listen: o.grpcListen ?? '0.0.0.0:7444', advertise: '' },
      server: { address: res.serverAddress },
      ...(o.libvirtUri ? { libvirt: { uri: o.libvirtUri } } : {}),
    }),
    { mode: 0o600 },
  );
  return config;
}
