import { AttrError } from './errors.js';

/** A device a guest can boot from, in drover's words. */
export type BootDevice = 'network' | 'disk' | 'cdrom';

/** Accepted forms of `vm.bootorder`. */
export const BOOT_ORDER_SYNTAX =
  'devices separated by , from network (net, pxe), disk (hd) and cdrom (cd), each at most once, e.g. network,disk';

const ALIASES: Record<string, BootDevice> = {
  network: 'network',
  net: 'network',
  pxe: 'network',
  disk: 'disk',
  hd: 'disk',
  cdrom: 'cdrom',
  cd: 'cdrom',
};

/** Parses `vm.bootorder` (`network,disk`, `hd`, `net,hd`) into drover's device names. */
export function parseBootOrder(value: string, attribute = 'vm.bootorder'): BootDevice[] {
  const out: BootDevice[] = [];
  const parts = value.split(',').map((p) => p.trim());
  for (const part of parts) {
    const key = part.toLowerCase();
    const dev = Object.hasOwn(ALIASES, key) ? ALIASES[key] : undefined;
    if (!dev) {
      throw new AttrError({ code: 'ATTR_SYNTAX', attribute, value, part, problem: 'not a boot device', accepted: BOOT_ORDER_SYNTAX });
    }
    if (out.includes(dev)) {
      throw new AttrError({
        code: 'ATTR_CONFLICT',
        attribute,
        value,
        part,
        problem: 'boot device listed twice',
        accepted: BOOT_ORDER_SYNTAX,
      });
    }
    out.push(dev);
  }
  return out;
}
