/** GetFacts, ListGuests, GetGuest, DefineGuest, UndefineGuest, GetDomainXml, SetBootOrder. */
import { mkdirSync } from 'node:fs';
import type * as grpc from '@grpc/grpc-js';
import {
  invalidArgument,
  isValidNodeName,
  type DefineGuestRequest__Output,
  type DefineGuestResponse,
  type DomainXml,
  type GuestList,
  type GuestRequest__Output,
  type GuestStatus,
  type HostFacts,
  type HostRequest__Output,
  type SetBootOrderRequest__Output,
  type UndefineGuestRequest__Output,
  type UndefineGuestResponse,
  type Disk__Output,
} from '@drover/contract';
import { ErrorNumber, LibvirtError, DomainUndefineFlagsValues, DomainXMLFlags, type Domain } from '@drover/libvirt';
import { buildDomainXml, parseDomainXml, setBootOrder, type Hypervisor } from '../domain/index.js';
import { guestStatus, listGuests } from '../libvirt/guests.js';
import { failedPrecondition, handle, lookupGuest, type ServiceDeps } from './context.js';
import { resolveDisks } from '../disks/resolve.js';
import { ensureDiskAccess } from '../disks/access.js';
import { createDisks, deleteDisks, diskOut } from '../disks/service.js';
import { specInvalid, toGuestSpec, withDroverMetadata } from './spec.js';
import { AGENT_VERSION } from '../version.js';
import { oneTimePassword } from './vnc.js';

export async function statusOf(deps: ServiceDeps, dom: Domain): Promise<GuestStatus> {
  return guestStatus(dom, deps.lv.managedCache);
}

function defaultHypervisor(deps: ServiceDeps): Hypervisor {
  const hv = deps.lv.facts()?.hvType;
  return hv === 'kvm' || hv === 'xen' ? hv : 'qemu';
}

async function undefineDomain(dom: Domain): Promise<void> {
  try {
    await dom.undefine(
      DomainUndefineFlagsValues.MANAGED_SAVE | DomainUndefineFlagsValues.SNAPSHOTS_METADATA | DomainUndefineFlagsValues.NVRAM,
    );
  } catch (e) {
    if (e instanceof LibvirtError && [ErrorNumber.NO_SUPPORT, ErrorNumber.INVALID_ARG, ErrorNumber.ARGUMENT_UNSUPPORTED].includes(e.code))
      await dom.undefine(0);
    else throw e;
  }
}

export function guestHandlers(deps: ServiceDeps) {
  const host = deps.cfg.host;
  return {
    GetFacts: (call: grpc.ServerUnaryCall<HostRequest__Output, HostFacts>) =>
      handle(deps, 'GetFacts', call.request, async () => {
        deps.lv.conn();
        await deps.lv.refreshFacts();
        const f = deps.lv.facts();
        if (!f) deps.lv.conn(); // throws UNAVAILABLE with the reason
        return f!;
      }),

    ListGuests: (call: grpc.ServerUnaryCall<HostRequest__Output, GuestList>) =>
      handle(deps, 'ListGuests', call.request, async () => ({
        host,
        guests: await listGuests(deps.lv.conn(), deps.lv.managedCache),
      })),

    GetGuest: (call: grpc.ServerUnaryCall<GuestRequest__Output, GuestStatus>) =>
      handle(deps, 'GetGuest', call.request, async () => statusOf(deps, await lookupGuest(deps, deps.lv.conn(), call.request.guest))),

    GetDomainXml: (call: grpc.ServerUnaryCall<GuestRequest__Output, DomainXml>) =>
      handle(deps, 'GetDomainXml', call.request, async () => {
        const dom = await lookupGuest(deps, deps.lv.conn(), call.request.guest);
        return { xml: await dom.getXMLDesc() };
      }),

    DefineGuest: (call: grpc.ServerUnaryCall<DefineGuestRequest__Output, DefineGuestResponse>) =>
      handle(
        deps,
        'DefineGuest',
        { host: call.request.host },
        async (log) => {
          const r = call.request;
          if (!r.spec) throw invalidArgument('spec: required');
          const name = r.spec.name;
          if (!isValidNodeName(name))
            throw invalidArgument(
              `spec.name: ${JSON.stringify(name).slice(0, 80)} is not a guest name (1 to 63 letters, digits and -, a DNS label)`,
            );
          // Everything is checked before anything on the host changes.
          const disks = resolveDisks(deps.cfg, name, r.spec.disks, 'spec.disks');
          let spec = toGuestSpec(r.spec, disks, defaultHypervisor(deps), deps.cfg.console.logDir);
          // A VNC display without a password would be open to anyone who reaches the host, and QEMU
          // refuses to set a password later (wvid's one-time passwords) on a display started without
          // password authentication. So a display always gets one: a random one nobody knows, until
          // wvid sets a one-time password.
          if (spec.vnc && !spec.vnc.passwd) spec = { ...spec, vnc: { ...spec.vnc, passwd: oneTimePassword() } };
          let xml: string;
          try {
            xml = withDroverMetadata(buildDomainXml(spec), { name: spec.name, agent: AGENT_VERSION });
          } catch (e) {
            specInvalid(e);
          }
          const conn = deps.lv.conn();
          if (deps.cfg.console.logDir) mkdirSync(deps.cfg.console.logDir, { recursive: true });
          let created: Disk__Output[] = [];
          if (r.createDisks) created = await createDisks(deps, disks, false, 'spec.disks', { missingOnly: true });
          else {
            for (const [i, d] of disks.entries()) {
              if (d.sizeBytes > 0 && d.path !== undefined) log.debug({ disk: i }, 'disk not created (create_disks not set)');
            }
          }
          // Shared storage reached in user space or by login: the iSCSI target's pool, the kernel session.
          const logins = disks.filter((d) => d.volume !== undefined || (d.storage?.startsWith('iscsi://') && d.device !== undefined));
          if (logins.length)
            await ensureDiskAccess({ host, conn: () => deps.lv.conn(), qemuImg: deps.cfg.storage.qemuImg }, name, logins, { live: false });
          const dom = await conn.defineDomain(xml);
          deps.lv.managedCache.set(dom.uuid, true);
          log.info({ uuid: dom.uuid, disks: created.length }, 'guest defined');
          if (r.start) {
            await dom.start();
            log.info('guest started');
          }
          deps.changed?.();
          return { status: await statusOf(deps, dom), xml: await dom.getXMLDesc(), created };
        },
        call.request.spec?.name,
      ),

    UndefineGuest: (call: grpc.ServerUnaryCall<UndefineGuestRequest__Output, UndefineGuestResponse>) =>
      handle(deps, 'UndefineGuest', call.request, async (log) => {
        const r = call.request;
        const dom = await lookupGuest(deps, deps.lv.conn(), r.guest);
        const disks = r.deleteDisks
          ? parseDomainXml(await dom.getXMLDesc(DomainXMLFlags.INACTIVE))
              .disks.filter((d) => d.kind === 'disk' && d.path)
              .map((d): Disk__Output => ({
                url: '',
                path: d.path!,
                format: d.format ?? '',
                sizeBytes: 0,
                target: d.target ?? '',
                bus: d.bus ?? '',
                shared: false,
              }))
          : [];
        if (await dom.isActive()) {
          if (!r.force)
            throw failedPrecondition(`guest '${r.guest}' is running on ${host}; stop it first or pass force`, { host, node: r.guest });
          await dom.destroy();
          log.info('guest destroyed before undefine (force)');
        }
        await undefineDomain(dom);
        deps.lv.managedCache.delete(dom.uuid);
        log.info('guest undefined');
        const deleted = disks.length ? (await deleteDisks(deps, disks, 'disks')).filter((d) => d.exists).map((d) => d.disk!) : [];
        deps.changed?.();
        return { deleted };
      }),

    SetBootOrder: (call: grpc.ServerUnaryCall<SetBootOrderRequest__Output, GuestStatus>) =>
      handle(deps, 'SetBootOrder', call.request, async (log) => {
        const r = call.request;
        const conn = deps.lv.conn();
        const dom = await lookupGuest(deps, conn, r.guest);
        if (!(await dom.isPersistent()))
          throw failedPrecondition(`guest '${r.guest}' is transient; drover changes the boot order of defined guests only`, {
            host,
            node: r.guest,
          });
        let xml: string;
        try {
          xml = setBootOrder(
            await dom.getXMLDesc(DomainXMLFlags.INACTIVE | DomainXMLFlags.SECURE),
            r.bootOrder as Parameters<typeof setBootOrder>[1],
          );
        } catch (e) {
          specInvalid(e, '');
        }
        const redefined = await conn.defineDomain(xml);
        log.info({ boot: r.bootOrder }, 'boot order set');
        // A reset keeps the old order: the new one needs the guest stopped and started.
        if (r.restart && (await redefined.isActive())) {
          await redefined.destroy();
          await redefined.start();
          log.info('guest restarted for the new boot order');
        }
        return statusOf(deps, redefined);
      }),
  };
}

export { diskOut };
