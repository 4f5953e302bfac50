/**
 * drover's cluster PKI: one CA per cluster, ECDSA P-256 keys, certificates whose subject carries
 * the holder's kind and role: `CN=<name>, OU=<kind or role>, O=drover`.
 *   OU=server                      the headnode's drover-server
 *   OU=agent                       a hypervisor host's drover-agent (CN = host name)
 *   OU=admin | operator | viewer   an administrator's bundle (CN = user name)
 * Built on @peculiar/x509 over Node's WebCrypto; no hand-written ASN.1, no openssl.
 */
import 'reflect-metadata';
import * as x509 from '@peculiar/x509';
import { webcrypto, createHash, randomBytes } from 'node:crypto';

type CryptoKey = webcrypto.CryptoKey;
type CryptoKeyPair = webcrypto.CryptoKeyPair;
// eslint-disable-next-line @typescript-eslint/no-explicit-any
x509.cryptoProvider.set(webcrypto as any);

const ALG = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;
const subtle = webcrypto.subtle;

export { USER_ROLES, type CertKind, type UserRole } from './kinds.js';
import type { CertKind } from './kinds.js';

export interface KeyPairPem {
  keyPem: string;
  publicKey: CryptoKey;
  privateKey: CryptoKey;
}
export interface IssuedCert {
  certPem: string;
  keyPem: string;
  serial: string;
  notAfter: Date;
}
export interface Ca {
  certPem: string;
  keyPem: string;
  cert: x509.X509Certificate;
  privateKey: CryptoKey;
}

/** A DNS label: letters, digits and `-`, 1 to 63 characters, no leading or trailing `-`. */
export const NAME_RE = /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/;

export { PkiError } from './errors.js';
import { PkiError } from './errors.js';

function pem(der: ArrayBuffer, label: string): string {
  return x509.PemConverter.encode(der, label) + '\n';
}

async function newKeys(): Promise<CryptoKeyPair> {
  return (await subtle.generateKey(ALG, true, ['sign', 'verify'])) as CryptoKeyPair;
}

/** Parses a PKCS#8 PEM private key (as written by this module). */
export async function importPrivateKey(keyPem: string): Promise<CryptoKey> {
  const der = x509.PemConverter.decode(keyPem)[0];
  if (!der) throw new PkiError('BAD_KEY', 'private key PEM holds no key');
  return subtle.importKey('pkcs8', der, ALG, true, ['sign']);
}

function serial(): string {
  const b = randomBytes(16);
  b[0] = b[0]! & 0x7f; // positive
  return b.toString('hex');
}

function escapeRdn(v: string): string {
  return v.replace(/([,+"\\<>;=#])/g, '\\$1');
}

/** Creates a new cluster CA (10 years). */
export async function createCa(clusterName = 'drover'): Promise<Ca> {
  const keys = await newKeys();
  const now = new Date(Date.now() - 60_000);
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serial(),
    name: `CN=${escapeRdn(clusterName)} cluster CA, O=drover`,
    notBefore: now,
    notAfter: new Date(now.getTime() + 3650 * 86400_000),
    signingAlgorithm: ALG,
    keys,
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  const keyPem = pem(await subtle.exportKey('pkcs8', keys.privateKey), 'PRIVATE KEY');
  return { certPem: cert.toString('pem') + '\n', keyPem, cert, privateKey: keys.privateKey };
}

/** Loads a CA from its PEM files' contents. */
export async function loadCa(certPem: string, keyPem: string): Promise<Ca> {
  return { certPem, keyPem, cert: new x509.X509Certificate(certPem), privateKey: await importPrivateKey(keyPem) };
}

export interface IssueOptions {
  name: string;
  kind: CertKind;
  dnsNames?: string[];
  ips?: string[];
  days?: number;
  /** Sign this public key (from a CSR) instead of generating a key pair. */
  publicKey?: CryptoKey;
}

/** Issues a certificate for a server, agent or user, signed by the CA. */
export async function issueCert(ca: Ca, opts: IssueOptions): Promise<IssuedCert> {
  if (!NAME_RE.test(opts.name) && opts.kind !== 'server') {
    throw new PkiError('BAD_NAME', `name '${opts.name}' is not a DNS label (letters, digits and '-', at most 63)`);
  }
  const keys = opts.publicKey ? undefined : await newKeys();
  const publicKey = opts.publicKey ?? keys!.publicKey;
  const now = new Date(Date.now() - 60_000);
  const notAfter = new Date(now.getTime() + (opts.days ?? 825) * 86400_000);
  const sans: x509.JsonGeneralName[] = [
    ...(opts.dnsNames ?? [opts.name]).map((v) => ({ type: 'dns' as const, value: v })),
    ...(opts.ips ?? []).map((v) => ({ type: 'ip' as const, value: v })),
  ];
  const sn = serial();
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: sn,
    subject: `CN=${escapeRdn(opts.name)}, OU=${opts.kind}, O=drover`,
    issuer: ca.cert.subject,
    notBefore: now,
    notAfter,
    signingAlgorithm: ALG,
    publicKey,
    signingKey: ca.privateKey,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyAgreement, true),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth, x509.ExtendedKeyUsage.clientAuth]),
      new x509.SubjectAlternativeNameExtension(sans),
      await x509.AuthorityKeyIdentifierExtension.create(ca.cert),
      await x509.SubjectKeyIdentifierExtension.create(publicKey),
    ],
  });
  const keyPem = keys ? pem(await subtle.exportKey('pkcs8', keys.privateKey), 'PRIVATE KEY') : '';
  return { certPem: cert.toString('pem') + '\n', keyPem, serial: sn, notAfter };
}

/** Creates a key pair and a CSR for `name` (used by `drover-agent enroll`). */
export async function createCsr(name: string): Promise<{ csrPem: string; keyPem: string }> {
  const keys = await newKeys();
  const csr = await x509.Pkcs10CertificateRequestGenerator.create({ name: `CN=${escapeRdn(name)}`, keys, signingAlgorithm: ALG });
  return { csrPem: csr.toString('pem') + '\n', keyPem: pem(await subtle.exportKey('pkcs8', keys.privateKey), 'PRIVATE KEY') };
}

/** Verifies a CSR's self-signature and returns its public key. */
export async function readCsr(csrPem: string): Promise<CryptoKey> {
  let csr: x509.Pkcs10CertificateRequest;
  try {
    csr = new x509.Pkcs10CertificateRequest(csrPem);
  } catch {
    throw new PkiError('BAD_CSR', 'the certificate request is not a PEM PKCS#10 CSR');
  }
  if (!(await csr.verify())) throw new PkiError('BAD_CSR', 'the certificate request signature does not verify');
  return (await csr.publicKey.export(ALG, ['verify'])) as unknown as CryptoKey;
}

export { identityOf, normalSerial, type CertIdentity } from './identity.js';

/** The SHA-256 fingerprint of a PEM certificate, lower-case hex without separators. */
export function fingerprintOf(certPem: string): string {
  const der = x509.PemConverter.decode(certPem)[0];
  if (!der) throw new PkiError('BAD_CERT', 'PEM holds no certificate');
  return createHash('sha256').update(Buffer.from(der)).digest('hex');
}
