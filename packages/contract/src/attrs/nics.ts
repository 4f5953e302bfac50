import { AttrError } from './errors.js';
import { rejectUnknownOptions, splitList } from './list.js';
import { macProblem, parseMac } from './mac.js';

/** NIC models drover offers. */
export const NIC_MODELS = ['virtio', 'e1000', 'rtl8139'] as const;
/** A NIC model. */
export type NicModel = (typeof NIC_MODELS)[number];

interface NicCommon {
  readonly model: NicModel;
  /** Lowercase, `:`-separated; absent means "drover picks one when the guest is made". */
  readonly mac?: string;
}
/** A NIC on a host bridge. */
export interface BridgeNicSpec extends NicCommon {
  readonly bridge: string;
  readonly network?: never;
}
/** A NIC on a libvirt virtual network. */
export interface NetworkNicSpec extends NicCommon {
  readonly network: string;
  readonly bridge?: never;
}
/** One entry of `vm.nics`. */
export type NicSpec = BridgeNicSpec | NetworkNicSpec;

/** Short summary of the `vm.nics` syntax, shown in errors. */
export const NICS_SYNTAX =
  'NICs separated by ",", each BRIDGE (or bridge:BRIDGE) or network:NAME, optionally followed by ' +
  '?model=virtio|e1000|rtl8139&mac=MAC (e.g. br0?mac=02:1a:2b:3c:4d:5e)';

/** Bridge names follow Linux interface names: at most 15 characters, no / : or spaces. */
const BRIDGE_RE = /^[A-Za-z0-9_.-]{1,15}$/;
const NETWORK_RE = /^[A-Za-z0-9_.-]{1,64}$/;

/** True for a host bridge name drover accepts (a Linux interface name: 15 characters at most). */
export function isValidBridgeName(name: string): boolean {
  return BRIDGE_RE.test(name) && name !== '.' && name !== '..';
}

/** True for a libvirt network name drover accepts. */
export function isValidNetworkName(name: string): boolean {
  return NETWORK_RE.test(name) && name !== '.' && name !== '..';
}

/**
 * Parses `vm.nics`. The model defaults to virtio. MACs are stored lowercase; the same MAC twice in
 * one list is refused. A blank value means no NICs.
 */
export function parseNicList(value: string, attribute = 'vm.nics'): NicSpec[] {
  const ctx = { attribute, value, accepted: NICS_SYNTAX };
  const fail = (problem: string, part: string, code: 'ATTR_SYNTAX' | 'ATTR_CONFLICT' = 'ATTR_SYNTAX'): never => {
    throw new AttrError({ code, attribute, value, part, problem, accepted: NICS_SYNTAX });
  };
  const seen = new Set<string>();
  return splitList(ctx).map((item): NicSpec => {
    rejectUnknownOptions(item, ['model', 'mac'], ctx);
    const modelOpt = item.options.get('model') ?? 'virtio';
    const model = NIC_MODELS.find((m) => m === modelOpt) ?? fail('unknown NIC model', `model=${modelOpt}`);
    let mac: string | undefined;
    const macOpt = item.options.get('mac');
    if (macOpt !== undefined) {
      const problem = macProblem(macOpt);
      if (problem !== null) fail(problem, `mac=${macOpt}`);
      mac = parseMac(macOpt, attribute);
      if (seen.has(mac)) fail('MAC used twice', `mac=${macOpt}`, 'ATTR_CONFLICT');
      seen.add(mac);
    }
    const extra = mac !== undefined ? { model, mac } : { model };
    const t = item.target;
    if (t.startsWith('network:')) {
      const network = t.slice('network:'.length);
      if (!isValidNetworkName(network)) fail('not a network name', t);
      return { network, ...extra };
    }
    const bridge = t.startsWith('bridge:') ? t.slice('bridge:'.length) : t;
    if (!isValidBridgeName(bridge)) fail('not a bridge name (15 characters at most: letters, digits, _ . -)', t);
    return { bridge, ...extra };
  });
}

/** Writes a NIC back in the canonical `vm.nics` form. */
export function formatNicSpec(nic: NicSpec): string {
  const target = nic.network !== undefined ? `network:${nic.network}` : nic.bridge;
  const opts: string[] = [];
  if (nic.model !== 'virtio') opts.push(`model=${nic.model}`);
  if (nic.mac !== undefined) opts.push(`mac=${nic.mac}`);
  return opts.length ? `${target}?${opts.join('&')}` : target;
}

/** Writes a whole `vm.nics` value in canonical form. */
export function formatNicList(nics: readonly NicSpec[]): string {
  return nics.map(formatNicSpec).join(',');
}
