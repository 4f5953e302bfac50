import { type DiskFormat } from './attrs.js';
import { invalid } from './errors.js';
import { buildXml } from '../domain/xml.js';

/** A volume to create in a pool. */
export interface VolumeRequest {
  /** File or LV name inside the pool (no /). */
  readonly name: string;
  readonly capacityBytes: number;
  readonly format: DiskFormat;
  /**
   * Allocate nothing up front (allocation 0). Default true. Must be false in LVM pools: there
   * libvirt turns allocation below capacity into a thin snapshot LV, not a plain sparse volume.
   */
  readonly sparse?: boolean;
}

const VOL_NAME_RE = /^[A-Za-z0-9_+][A-Za-z0-9._+-]{0,254}$/;

/**
 * Volume XML for `virStorageVolCreateXML`. Raw volumes are sparse files (allocation 0); qcow2
 * volumes grow on demand anyway and are made with compat 1.1 (lazy refcounts possible, as qemu-img
 * does by default).
 */
export function volumeXml(req: VolumeRequest): string {
  if (typeof req.name !== 'string' || !VOL_NAME_RE.test(req.name)) {
    invalid('name', req.name, 'a volume name is 1 to 255 letters, digits and . _ + -, not starting with . or -');
  }
  if (!Number.isSafeInteger(req.capacityBytes) || req.capacityBytes <= 0) {
    invalid('capacityBytes', req.capacityBytes, 'must be a whole number of bytes above zero');
  }
  if (req.format !== 'raw' && req.format !== 'qcow2') invalid('format', req.format, 'must be raw or qcow2');
  const sparse = req.sparse ?? true;
  const target: Record<string, unknown> = { format: { '@_type': req.format } };
  if (req.format === 'qcow2') target.compat = '1.1';
  return buildXml({
    volume: {
      name: req.name,
      capacity: { '@_unit': 'bytes', '#text': String(req.capacityBytes) },
      allocation: { '@_unit': 'bytes', '#text': String(sparse ? 0 : req.capacityBytes) },
      target,
    },
  });
}
