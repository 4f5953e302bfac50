import { isIP } from 'node:net';
import { SpecError } from './errors.js';
import { checkVncPassword } from './spec.js';
import { ATTR, buildXml } from './xml.js';

/** What to set on a running domain's VNC display. */
export interface VncPasswordUpdate {
  /** The new password (1 to 8 characters). */
  readonly passwd: string;
  /** When the password stops working; absent means it does not expire. */
  readonly validTo?: Date;
  /** Must equal the live domain's listen address (libvirt refuses to change it here). */
  readonly listen?: string;
  /** The live domain's port when it is fixed; absent for an autoport display. libvirt refuses a port change. */
  readonly port?: number;
  /** What happens to connected viewers: keep them, disconnect them, or fail if any. */
  readonly connected?: 'keep' | 'disconnect' | 'fail';
}

/**
 * The `<graphics type='vnc'>` element to pass to `virDomainUpdateDeviceFlags` to set a one-time
 * VNC password with an expiry (`passwdValidTo`, written in UTC as libvirt expects). Give the live
 * display's listen address and, for a fixed port, its port: libvirt matches the display and
 * refuses to change either through this call.
 */
export function vncGraphicsXml(update: VncPasswordUpdate): string {
  checkVncPassword('passwd', update.passwd);
  if (update.listen !== undefined && isIP(update.listen) === 0) {
    throw new SpecError('SPEC_INVALID', 'listen', update.listen, 'must be an IP address');
  }
  if (update.port !== undefined && (!Number.isSafeInteger(update.port) || update.port < 5900 || update.port > 65535)) {
    throw new SpecError('SPEC_INVALID', 'port', update.port, 'must be a whole number from 5900 to 65535');
  }
  let validTo: string | undefined;
  if (update.validTo !== undefined) {
    if (!(update.validTo instanceof Date) || Number.isNaN(update.validTo.getTime())) {
      throw new SpecError('SPEC_INVALID', 'validTo', String(update.validTo), 'must be a valid date');
    }
    validTo = update.validTo.toISOString().slice(0, 19); // YYYY-MM-DDTHH:MM:SS, UTC
  }
  if (update.connected !== undefined && !['keep', 'disconnect', 'fail'].includes(update.connected)) {
    throw new SpecError('SPEC_INVALID', 'connected', update.connected, 'must be keep, disconnect or fail');
  }
  const a: Record<string, string> = { [`${ATTR}type`]: 'vnc' };
  if (update.port !== undefined) {
    a[`${ATTR}port`] = String(update.port);
    a[`${ATTR}autoport`] = 'no';
  } else {
    a[`${ATTR}autoport`] = 'yes';
  }
  if (update.listen !== undefined) a[`${ATTR}listen`] = update.listen;
  a[`${ATTR}passwd`] = update.passwd;
  if (validTo !== undefined) a[`${ATTR}passwdValidTo`] = validTo;
  if (update.connected !== undefined) a[`${ATTR}connected`] = update.connected;
  const listenEls = update.listen !== undefined ? { listen: [{ [`${ATTR}type`]: 'address', [`${ATTR}address`]: update.listen }] } : {};
  return buildXml({ graphics: { ...a, ...listenEls } });
}
