/**
 * The verdict of a move's CPU check from the two agents' answers: the CPU the guest runs with on
 * the source (GuestCpu) and the destination libvirt's comparison (CompareCpu). Pure.
 */
import type { CompareCpuResponse__Output, GuestCpuResponse__Output } from '@drover/contract';

/** `message` is empty for a plain yes; otherwise it says what failed or why nothing was compared. */
export interface CpuVerdict {
  ok: boolean;
  message: string;
}

export function cpuVerdict(
  move: { guest: string; source: string; dest: string },
  cpu: Pick<GuestCpuResponse__Output, 'hvType' | 'mode' | 'model' | 'features'>,
  compared: Pick<CompareCpuResponse__Output, 'verdict' | 'detail'> | undefined,
): CpuVerdict {
  const { guest, source, dest } = move;
  if (!cpu.model || !compared) {
    return {
      ok: true,
      message:
        cpu.mode === 'host-passthrough'
          ? `not compared: ${guest} has a host-passthrough CPU on ${source}; it needs a host with an identical CPU`
          : `not compared: ${guest} has no CPU model on ${source}`,
    };
  }
  if (compared.verdict === 'incompatible') {
    const what = `${cpu.model}${cpu.features.length ? ` with ${cpu.features.length} required feature(s)` : ''}`;
    return {
      ok: false,
      message: `${dest}'s ${cpu.hvType} hypervisor cannot give ${guest} the CPU it runs with on ${source} (${what}): ${compared.detail}; move it to a host with the same or a newer CPU`,
    };
  }
  if (compared.verdict === 'compatible') return { ok: true, message: '' };
  return { ok: true, message: `not compared on ${dest}: ${compared.detail}` };
}
