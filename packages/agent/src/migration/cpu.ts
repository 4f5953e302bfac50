/**
 * The CPU pre-check of a migration, in two halves. The source says which CPU the guest runs with
 * (its live definition: libvirt shows there the model and features QEMU was started with). The
 * destination asks its libvirt whether its hypervisor can give a guest of that domain type that CPU
 * (virConnectCompareHypervisorCPU: for KVM the host CPU as KVM exposes it, for TCG what QEMU
 * emulates), and libvirt names the features it lacks.
 */
import { ConnectCompareCPUFlags, CPUCompareResult, ErrorNumber, LibvirtError, type Connection } from '@drover/libvirt';
import type { CompareCpuRequest__Output, CompareCpuResponse__Output, GuestCpuResponse__Output, HostFacts } from '@drover/contract';
import { ATTR, buildXml } from '../domain/xml.js';
import { parseDomainXml } from '../domain/parse.js';

/**
 * The CPU in a domain's XML. A host-model CPU that libvirt has not expanded (a definition, not a
 * running guest) stands for this host's CPU, given as `hostCpu`.
 */
export function describeGuestCpu(
  domainXml: string,
  hostCpu: Pick<HostFacts, 'cpuModel' | 'cpuFeatures'> | undefined,
): GuestCpuResponse__Output {
  const info = parseDomainXml(domainXml);
  const hvType = info.type ?? '';
  switch (info.cpu?.mode) {
    case undefined:
      return { hvType, mode: '', model: '', features: [] };
    case 'host-passthrough':
      return { hvType, mode: 'host-passthrough', model: '', features: [] };
    case 'host-model':
      return { hvType, mode: 'custom', model: hostCpu?.cpuModel ?? '', features: [...(hostCpu?.cpuFeatures ?? [])] };
    case 'custom':
      return { hvType, mode: 'custom', model: info.cpu.model, features: [...(info.cpuFeatures ?? [])] };
  }
}

/** A guest CPU description: the model must be there with every listed feature. */
export function guestCpuXml(model: string, features: readonly string[]): string {
  return buildXml({
    cpu: {
      [`${ATTR}mode`]: 'custom',
      [`${ATTR}match`]: 'minimum',
      model: { [`${ATTR}fallback`]: 'forbid', '#text': model },
      ...(features.length
        ? { feature: [...features].sort().map((name) => ({ [`${ATTR}policy`]: 'require', [`${ATTR}name`]: name })) }
        : {}),
    },
  });
}

/** Asks `conn` whether its hypervisor can run the described CPU; libvirt names what is missing when it cannot. */
export async function compareGuestCpu(
  conn: Connection,
  req: Pick<CompareCpuRequest__Output, 'hvType' | 'model' | 'features'>,
): Promise<CompareCpuResponse__Output> {
  if (!req.model) return { verdict: 'compatible', detail: 'no CPU model required' };
  const xml = guestCpuXml(req.model, req.features);
  try {
    const r = await conn.compareHypervisorCPU(xml, req.hvType ? { virttype: req.hvType } : {}, ConnectCompareCPUFlags.FAIL_INCOMPATIBLE);
    return r === CPUCompareResult.INCOMPATIBLE
      ? { verdict: 'incompatible', detail: 'libvirt found the CPU incompatible' }
      : { verdict: 'compatible', detail: r === CPUCompareResult.IDENTICAL ? 'identical' : 'the host provides more' };
  } catch (e) {
    if (e instanceof LibvirtError && e.code === ErrorNumber.CPU_INCOMPATIBLE) return { verdict: 'incompatible', detail: e.message };
    if (e instanceof LibvirtError && e.code === ErrorNumber.NO_SUPPORT)
      return { verdict: 'unchecked', detail: `this host's libvirt driver cannot compare CPUs (${e.message})` };
    throw e;
  }
}
