import { parseBootOrder, BOOT_ORDER_SYNTAX } from './boot.js';
import { parseNicList, NICS_SYNTAX } from './nics.js';
import { parseCpus, parseMemoryMiB, CPUS_SYNTAX, MEMORY_SYNTAX } from './size.js';
import { parseStorageList, STORAGE_SYNTAX } from './storage.js';

/** The syntax of one guest attribute drover checks on write. */
export interface AttrSyntax {
  /** One-line summary of the accepted forms. */
  readonly summary: string;
  /** Throws an AttrError when the value is not acceptable. */
  readonly check: (value: string) => void;
}

/** Guest attributes with a syntax of their own, by table.column name. */
export const ATTR_SYNTAXES: Readonly<Record<string, AttrSyntax>> = Object.freeze({
  'vm.storage': { summary: STORAGE_SYNTAX, check: (v: string) => void parseStorageList(v, 'vm.storage') },
  'vm.nics': { summary: NICS_SYNTAX, check: (v: string) => void parseNicList(v, 'vm.nics') },
  'vm.memory': { summary: MEMORY_SYNTAX, check: (v: string) => void parseMemoryMiB(v, 'vm.memory') },
  'vm.cpus': { summary: CPUS_SYNTAX, check: (v: string) => void parseCpus(v, 'vm.cpus') },
  'vm.bootorder': { summary: BOOT_ORDER_SYNTAX, check: (v: string) => void parseBootOrder(v, 'vm.bootorder') },
});

/**
 * Checks a value written to a guest attribute. Returns false for attributes without a syntax of
 * their own (nothing to check), true when checked; throws an AttrError when refused.
 */
export function checkAttribute(attribute: string, value: string): boolean {
  const syntax = Object.hasOwn(ATTR_SYNTAXES, attribute) ? ATTR_SYNTAXES[attribute] : undefined;
  if (!syntax) return false;
  syntax.check(value);
  return true;
}

/** Help text for `lsdef --help` (and `chdef`): the syntax of drover's guest attributes. */
export const ATTR_SYNTAX_HELP = `\
Guest attribute syntax

  vm.storage   Disks, separated by ",". Each disk is a location, optionally
               followed by ?option=value&option=value.
                 dir:///DIR           file in a local directory pool, named for the node
                 nfs://SERVER/EXPORT  file on an NFS export (a subdirectory of an export
                                      may be given: nfs://filer/export/vms)
                 iscsi://PORTAL/IQN/LUN  one LUN of an iSCSI target, used as is (raw);
                                      /dev/disk/by-path/ip-ADDR:PORT-iscsi-IQN-lun-N
                                      is read as the same LUN
                 lvm://VG             logical volume in volume group VG, named for the node
                 phy:/dev/DEVICE      block device used as is (a local disk)
                 /DIR                 same as dir:///DIR
                 /PATH/FILE.qcow2     exactly that image file (also .img and .raw)
               Options: size=SIZE (for disks drover creates), format=raw|qcow2.
               Default format: qcow2 for files, raw for lvm, phy, iscsi and .img/.raw files.
               Files are named <node>.qcow2 (raw: <node>.img), further disks <node>_1.qcow2,
               <node>_2.qcow2 by list position; logical volumes <node>, <node>_1...
               Path characters: letters, digits and . _ + @ ~ : -
               e.g. vm.storage='dir:///vms?size=20G,lvm://vg0?size=100G'

  vm.nics      NICs, separated by ",". Each NIC is a bridge name (br0, or bridge:br0)
               or network:NAME (a libvirt network), optionally followed by
               ?model=virtio|e1000|rtl8139&mac=MAC. Default model virtio.
               MAC: 02:1a:2b:3c:4d:5e (stored lowercase); without one, drover
               assigns a locally administered address 02:xx:xx:xx:xx:xx.
               e.g. vm.nics='br0?mac=02:1a:2b:3c:4d:5e,network:default?model=e1000'

  vm.memory    MiB: 512, or with a unit: 512M, 2G.
  vm.cpus      Number of virtual CPUs, 1 to 4096.
  vm.bootorder Boot devices in order, separated by ",": network (net, pxe),
               disk (hd), cdrom (cd). e.g. network,disk

  Sizes        A whole number of bytes, or with K, M, G or T (KiB, KB... the same):
               every unit is a power of 1024. e.g. 20G, 512M.
  Node names   1 to 63 letters, digits and -, not starting or ending with -.

  Quote values holding ? or & for the shell.
`;
