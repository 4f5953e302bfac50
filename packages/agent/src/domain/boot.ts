import { type BootDevice } from './attrs.js';
import { LIBVIRT_BOOT_DEV } from './build.js';
import { SpecError } from './errors.js';
import { ATTR, buildOrdered, childrenOf, readOrdered, tagOf, type OrderedNode } from './xml.js';

const BOOT_DEVICES: readonly BootDevice[] = ['network', 'disk', 'cdrom'];
/** Devices that may carry a per-device `<boot order>`; libvirt refuses it mixed with `<os><boot>`. */
const DEVICES_WITH_BOOT = new Set(['disk', 'interface', 'hostdev', 'redirdev', 'filesystem']);
/** `<os>` children that come before the boot list in libvirt's own output. */
const BEFORE_BOOT = new Set(['type', 'firmware', 'loader', 'nvram', 'kernel', 'initrd', 'cmdline', 'dtb']);

/**
 * Returns the domain XML with its boot order replaced (rinstall and nodeset switch between
 * network-first and disk-first). Everything else is kept in its order, comments included. Any
 * per-device `<boot order>` is removed, because libvirt refuses it next to `<os><boot>`.
 */
export function setBootOrder(xml: string, order: readonly BootDevice[]): string {
  const seen = new Set<BootDevice>();
  order.forEach((dev, i) => {
    if (!BOOT_DEVICES.includes(dev)) throw new SpecError('SPEC_INVALID', `boot[${i}]`, dev, 'must be network, disk or cdrom');
    if (seen.has(dev)) throw new SpecError('SPEC_INVALID', `boot[${i}]`, dev, 'boot device listed twice');
    seen.add(dev);
  });

  let doc: OrderedNode[];
  try {
    doc = readOrdered(xml);
  } catch (err) {
    throw new SpecError('DOMAIN_XML_INVALID', 'xml', undefined, 'not well-formed XML', { cause: err });
  }
  const domain = doc.find((n) => tagOf(n) === 'domain');
  if (!domain) throw new SpecError('DOMAIN_XML_INVALID', 'xml', undefined, 'no <domain> element');
  const domainKids = childrenOf(domain);
  const os = domainKids.find((n) => tagOf(n) === 'os');
  if (!os) throw new SpecError('DOMAIN_XML_INVALID', 'xml', undefined, 'the domain has no <os> element');

  const osKids = childrenOf(os);
  const firstBoot = osKids.findIndex((n) => tagOf(n) === 'boot');
  let insertAt = firstBoot;
  if (insertAt < 0) {
    insertAt = 0;
    osKids.forEach((n, i) => {
      if (BEFORE_BOOT.has(tagOf(n) ?? '')) insertAt = i + 1;
    });
  }
  // No <boot> precedes insertAt (it is the first boot, or there are none), so the index holds after filtering.
  const kept = osKids.filter((n) => tagOf(n) !== 'boot');
  const boots: OrderedNode[] = order.map((dev) => ({ boot: [], ':@': { [`${ATTR}dev`]: LIBVIRT_BOOT_DEV[dev] } }));
  kept.splice(insertAt, 0, ...boots);
  os.os = kept;

  const devices = domainKids.find((n) => tagOf(n) === 'devices');
  if (devices) {
    for (const dev of childrenOf(devices)) {
      const tag = tagOf(dev);
      if (tag && DEVICES_WITH_BOOT.has(tag)) dev[tag] = childrenOf(dev).filter((n) => tagOf(n) !== 'boot');
    }
  }
  return buildOrdered(doc);
}
