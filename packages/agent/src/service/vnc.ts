/** GetVnc: where a guest's VNC display listens, with a fresh one-time password that expires. */
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import type * as grpc from '@grpc/grpc-js';
import type { VncInfo, VncRequest__Output } from '@drover/contract';
import { DomainDeviceModifyFlags } from '@drover/libvirt';
import { parseDomainXml, vncGraphicsXml } from '../domain/index.js';
import { failedPrecondition, handle, lookupGuest, type ServiceDeps } from './context.js';

const ALPHABET = 'ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789';
const DEFAULT_TTL_S = 60;

export function oneTimePassword(): string {
  return [...randomBytes(8)].map((b) => ALPHABET[b % ALPHABET.length]).join('');
}

/** The address a viewer should use: the display's listen address, or this host when it listens everywhere. */
export function vncAddress(listen: string | undefined, advertise: string): string {
  if (listen && listen !== '0.0.0.0' && listen !== '::') return listen;
  const adv = /^\[?([^\]]+?)\]?:\d+$/.exec(advertise)?.[1];
  return adv && adv !== '0.0.0.0' ? adv : hostname();
}

export function vncHandlers(deps: ServiceDeps, advertise: () => string) {
  const host = deps.cfg.host;
  return {
    GetVnc: (call: grpc.ServerUnaryCall<VncRequest__Output, VncInfo>) =>
      handle(deps, 'GetVnc', call.request, async (log) => {
        const r = call.request;
        const dom = await lookupGuest(deps, deps.lv.conn(), r.guest);
        if (!(await dom.isActive()))
          throw failedPrecondition(`guest '${r.guest}' is off; its display exists only while it runs`, { host, node: r.guest });
        const info = parseDomainXml(await dom.getXMLDesc());
        if (!info.vnc)
          throw failedPrecondition(`guest '${r.guest}' has no VNC display`, { host, node: r.guest }, 'define it with vnc enabled');
        const ttl = r.passwordTtlS || DEFAULT_TTL_S;
        const expires = new Date(Date.now() + ttl * 1000);
        const password = oneTimePassword();
        try {
          await dom.updateDevice(
            vncGraphicsXml({
              passwd: password,
              validTo: expires,
              ...(info.vnc.listen ? { listen: info.vnc.listen } : {}),
              ...(!info.vnc.autoport && info.vnc.port ? { port: info.vnc.port } : {}),
              connected: 'keep',
            }),
            DomainDeviceModifyFlags.LIVE,
          );
        } catch (e) {
          // QEMU: "Could not set password" when the display was started without password authentication.
          if (/could not set password/i.test((e as Error).message)) {
            throw failedPrecondition(
              `guest '${r.guest}': its VNC display was started without password authentication, so no one-time password can be set`,
              { host, node: r.guest },
              'define the guest again with a VNC password (drover-agent gives every display one): power it off, rmvm, then rpower on',
            );
          }
          throw e;
        }
        log.info({ ttlS: ttl }, 'one-time VNC password set');
        return { address: vncAddress(info.vnc.listen, advertise()), port: info.vnc.port ?? -1, password, expiresMs: expires.getTime() };
      }),
  };
}
