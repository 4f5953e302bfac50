/** Bundles handed to agents and admins: everything one of them needs to reach the cluster. */
import { join } from 'node:path';
import { stringify } from 'yaml';
import { writeFileAtomic, newNkey, type IssuedCert, type UserRole } from '@drover/contract';
import type { ClusterPki } from './pki/store.js';

export interface AgentBundleInput {
  host: string;
  dir: string;
  natsUrl: string;
  serverAddress: string;
  grpcListen?: string;
  grpcAdvertise?: string;
  libvirtUri?: string;
}

/**
 * `drover-server enroll <host> --out <dir>`: issues the agent's certificate and NKEY directly and
 * writes `agent.yaml` with the key material beside it (files 0600).
 */
export async function writeAgentBundle(p: ClusterPki, b: AgentBundleInput): Promise<{ config: string; cert: IssuedCert; nkey: string }> {
  const cert = await p.issue('agent', b.host, { dnsNames: [b.host] });
  const nk = newNkey();
  await p.setAgentNkey(b.host, nk.publicKey);
  writeFileAtomic(join(b.dir, 'ca.pem'), p.caPem);
  writeFileAtomic(join(b.dir, 'agent.pem'), cert.certPem);
  writeFileAtomic(join(b.dir, 'agent-key.pem'), cert.keyPem, { mode: 0o600 });
  writeFileAtomic(join(b.dir, 'nats.seed'), nk.seed + '\n', { mode: 0o600 });
  const config = join(b.dir, 'agent.yaml');
  writeFileAtomic(
    config,
    stringify({
      host: b.host,
      tls: { ca: 'ca.pem', cert: 'agent.pem', key: 'agent-key.pem' },
      nats: { url: b.natsUrl, seedFile: 'nats.seed' },
      grpc: { listen: b.grpcListen ?? '0.0.0.0:7444', advertise: b.grpcAdvertise ?? '' },
      server: { address: b.serverAddress },
      ...(b.libvirtUri ? { libvirt: { uri: b.libvirtUri } } : {}),
    }),
    { mode: 0o600 },
  );
  return { config, cert, nkey: nk.publicKey };
}

/** `drover-server user add`: an admin bundle (one YAML file, 0600) the CLI finds via DROVER_CONFIG. */
export async function writeUserBundle(
  p: ClusterPki,
  u: { name: string; role: UserRole; file: string; serverAddress: string },
): Promise<IssuedCert> {
  const cert = await p.issue(u.role, u.name, { dnsNames: [u.name] });
  writeFileAtomic(
    u.file,
    stringify({ server: u.serverAddress, name: u.name, role: u.role, ca: p.caPem, cert: cert.certPem, key: cert.keyPem }),
    { mode: 0o600 },
  );
  return cert;
}
