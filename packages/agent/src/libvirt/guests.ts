/** Guest status as drover reports it (GuestStatus), read from libvirt domains. */
import { DomainState, ErrorNumber, LibvirtError, type Connection, type Domain } from '@drover/libvirt';
import type { GuestStatus__Output, PowerState__Output as PowerState } from '@drover/contract';

/** drover's namespace for the metadata element it puts into the domains it defines. */
export const DROVER_XMLNS = 'https://drover.dev/xmlns/guest/1';

const POWER: Record<number, PowerState> = {
  [DomainState.NOSTATE]: 'POWER_STATE_UNKNOWN',
  [DomainState.RUNNING]: 'POWER_STATE_ON',
  [DomainState.BLOCKED]: 'POWER_STATE_BLOCKED',
  [DomainState.PAUSED]: 'POWER_STATE_PAUSED',
  [DomainState.SHUTDOWN]: 'POWER_STATE_SHUTTING_DOWN',
  [DomainState.SHUTOFF]: 'POWER_STATE_OFF',
  [DomainState.CRASHED]: 'POWER_STATE_CRASHED',
  [DomainState.PMSUSPENDED]: 'POWER_STATE_PMSUSPENDED',
};

/** libvirt's domain state as drover's PowerState: paused is not off, crashed is not off. */
export function powerState(state: number): PowerState {
  return POWER[state] ?? 'POWER_STATE_UNKNOWN';
}

/** True when the domain XML carries drover's metadata element. */
export function isManagedXml(xml: string): boolean {
  const m = /<metadata>([\s\S]*?)<\/metadata>/.exec(xml);
  return !!m && m[1]!.includes(DROVER_XMLNS) && /<[A-Za-z0-9_-]+:guest[\s/>]/.test(m[1]!);
}

/** A GuestStatus with every field set (what the NATS inventory and gRPC replies carry). */
export type FullGuestStatus = GuestStatus__Output;

/**
 * Reads one domain's status. `managed` is looked up in (and stored into) `managedCache` by UUID,
 * so the XML is read once per definition, not on every listing.
 */
export async function guestStatus(dom: Domain, managedCache?: Map<string, boolean>): Promise<FullGuestStatus> {
  const [info, st, id, persistent] = await Promise.all([dom.info(), dom.state(), dom.id(), dom.isPersistent()]);
  let managed = managedCache?.get(dom.uuid);
  if (managed === undefined) {
    managed = isManagedXml(await dom.getXMLDesc());
    managedCache?.set(dom.uuid, managed);
  }
  return {
    name: dom.name,
    uuid: dom.uuid,
    id,
    state: powerState(st.state),
    reason: st.reasonName.toLowerCase(),
    memoryMib: Math.round(info.memoryKiB / 1024),
    vcpus: info.vcpus,
    cpuTimeNs: info.cpuTimeNs,
    persistent,
    managed,
    migrating: false,
  };
}

/** Every domain of the connection, sorted by name. A domain that vanishes while listing is skipped. */
export async function listGuests(conn: Connection, managedCache?: Map<string, boolean>): Promise<FullGuestStatus[]> {
  const doms = await conn.listAllDomains();
  const out: FullGuestStatus[] = [];
  for (const d of doms) {
    try {
      out.push(await guestStatus(d, managedCache));
    } catch (e) {
      if (e instanceof LibvirtError && e.code === ErrorNumber.NO_DOMAIN) continue;
      throw e;
    }
  }
  return out.sort((a, b) => a.name.localeCompare(b.name));
}
