/**
 * What a drover certificate says about its holder, read with Node's own X509Certificate (no
 * ASN.1 library): loaded by every program on every call, so it stays light.
 */
import { X509Certificate } from 'node:crypto';
import type { CertKind } from './kinds.js';
import { PkiError } from './errors.js';

/** What a certificate says about its holder. */
export interface CertIdentity {
  name: string;
  kind: CertKind;
  serial: string;
  fingerprint: string;
  notAfter: Date;
}

const KINDS: readonly string[] = ['server', 'agent', 'admin', 'operator', 'viewer'];

/** Reads name, kind and serial from a DER or PEM certificate. */
export function identityOf(cert: Buffer | string): CertIdentity {
  const c = new X509Certificate(cert);
  const fields = new Map<string, string>();
  for (const line of c.subject.split('\n')) {
    const i = line.indexOf('=');
    if (i > 0) fields.set(line.slice(0, i), line.slice(i + 1));
  }
  const kind = fields.get('OU') ?? '';
  if (!KINDS.includes(kind)) throw new PkiError('BAD_SUBJECT', `certificate subject has no drover kind (OU=${kind || 'missing'})`);
  return {
    name: fields.get('CN') ?? '',
    kind: kind as CertKind,
    serial: c.serialNumber.toLowerCase().replace(/^0+/, ''),
    fingerprint: c.fingerprint256,
    notAfter: new Date(c.validTo),
  };
}

/** Normalises a serial for comparison (lower-case, no leading zeros). */
export function normalSerial(s: string): string {
  return s
    .toLowerCase()
    .replace(/[^0-9a-f]/g, '')
    .replace(/^0+/, '');
}
