/**
 * The lab's certificate authority and per-host certificates, made with @peculiar/x509 on Node's
 * WebCrypto (no openssl). One key pair per host serves as libvirtd's server and client identity and
 * as QEMU's migration TLS identity (extended key usage serverAuth + clientAuth).
 */
import 'reflect-metadata';
import { webcrypto } from 'node:crypto';
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as x509 from '@peculiar/x509';

type CryptoKeyPair = webcrypto.CryptoKeyPair;
const subtle = webcrypto.subtle;
x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);

const ALG = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;

export interface Pem {
  cert: string;
  key: string;
}

export interface LabCa {
  cert: x509.X509Certificate;
  keys: CryptoKeyPair;
  pem: string;
}

function pemKey(der: ArrayBuffer): string {
  const b64 = Buffer.from(der)
    .toString('base64')
    .replace(/(.{64})/g, '$1\n')
    .replace(/\n$/, '');
  return `-----BEGIN PRIVATE KEY-----\n${b64}\n-----END PRIVATE KEY-----\n`;
}

function genKeys(): Promise<CryptoKeyPair> {
  return subtle.generateKey(ALG, true, ['sign', 'verify']);
}

const notBefore = (): Date => new Date(Date.now() - 3600_000);
const notAfter = (): Date => new Date(Date.now() + 30 * 24 * 3600_000);

export async function createCa(labId: string): Promise<LabCa> {
  const keys = await genKeys();
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: '01',
    name: `CN=drover lab ${labId} CA, O=drover`,
    notBefore: notBefore(),
    notAfter: notAfter(),
    signingAlgorithm: ALG,
    keys,
    extensions: [
      new x509.BasicConstraintsExtension(true, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  return { cert, keys, pem: cert.toString('pem') + '\n' };
}

let serial = 1;

/** Issues a certificate for `name`, valid for the given IP addresses and DNS names. */
export async function issue(ca: LabCa, name: string, ips: string[], dns: string[]): Promise<Pem> {
  const keys = await genKeys();
  serial += 1;
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: `${Date.now().toString(16)}${serial.toString(16).padStart(4, '0')}`,
    subject: `CN=${name}, O=drover`,
    issuer: ca.cert.subject,
    notBefore: notBefore(),
    notAfter: notAfter(),
    signingAlgorithm: ALG,
    publicKey: keys.publicKey,
    signingKey: ca.keys.privateKey,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment, true),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth, x509.ExtendedKeyUsage.clientAuth], false),
      new x509.SubjectAlternativeNameExtension([
        ...ips.map((value) => ({ type: 'ip' as const, value })),
        ...dns.map((value) => ({ type: 'dns' as const, value })),
      ]),
      await x509.AuthorityKeyIdentifierExtension.create(ca.keys.publicKey),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  const der = (await subtle.exportKey('pkcs8', keys.privateKey)) as ArrayBuffer;
  return { cert: cert.toString('pem') + '\n', key: pemKey(der) };
}

function writeKey(path: string, pem: string): void {
  writeFileSync(path, pem, { mode: 0o600 });
  chmodSync(path, 0o600);
}

/**
 * Writes a host's /etc/pki tree in libvirt's and QEMU's default layout:
 * CA/cacert.pem, libvirt/{servercert,clientcert}.pem, libvirt/private/{serverkey,clientkey}.pem,
 * qemu/{ca-cert,server-cert,server-key,client-cert,client-key}.pem.
 */
export function writeHostPki(pkiDir: string, ca: LabCa, id: Pem): void {
  for (const d of ['CA', 'libvirt/private', 'qemu']) mkdirSync(join(pkiDir, d), { recursive: true });
  writeFileSync(join(pkiDir, 'CA/cacert.pem'), ca.pem);
  writeFileSync(join(pkiDir, 'libvirt/servercert.pem'), id.cert);
  writeFileSync(join(pkiDir, 'libvirt/clientcert.pem'), id.cert);
  writeKey(join(pkiDir, 'libvirt/private/serverkey.pem'), id.key);
  writeKey(join(pkiDir, 'libvirt/private/clientkey.pem'), id.key);
  writeFileSync(join(pkiDir, 'qemu/ca-cert.pem'), ca.pem);
  writeFileSync(join(pkiDir, 'qemu/server-cert.pem'), id.cert);
  writeFileSync(join(pkiDir, 'qemu/client-cert.pem'), id.cert);
  writeKey(join(pkiDir, 'qemu/server-key.pem'), id.key);
  writeKey(join(pkiDir, 'qemu/client-key.pem'), id.key);
}

/** Writes a client directory usable as a libvirt URI's `pkipath` (cacert, clientcert, clientkey). */
export function writeClientPki(dir: string, ca: LabCa, id: Pem): void {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'cacert.pem'), ca.pem);
  writeFileSync(join(dir, 'clientcert.pem'), id.cert);
  writeKey(join(dir, 'clientkey.pem'), id.key);
}
