/** Everything named after a lab id: namespaces, links, subnet. Pure functions. */
import { createHash, randomBytes } from 'node:crypto';

export const ID_PATTERN = /^[a-z0-9]{1,8}$/;

export function newLabId(): string {
  return `l${randomBytes(4).toString('hex').slice(0, 5)}`;
}

export function checkId(id: string): string {
  if (!ID_PATTERN.test(id)) throw new Error(`lab: id '${id}' must be 1-8 characters of a-z and 0-9`);
  return id;
}

/** Preferred third octet of the lab's 10.77.X.0/24, from the id; callers probe upward on collision. */
export function preferredOctet(id: string): number {
  const h = createHash('sha256').update(id).digest();
  return (h.readUInt16BE(0) % 250) + 1;
}

export const SUBNET_PREFIX = '10.77';

export interface HostNames {
  name: string;
  netns: string;
  vethRoot: string;
  vethHost: string;
  ip: string;
}

export function bridgeName(id: string): string {
  return `drlab-${id}`; // at most 14 characters
}

export function hostNames(id: string, octet: number, index: number): HostNames {
  if (index < 1 || index > 99) throw new Error('lab: host index must be 1..99');
  return {
    name: `node${String(index).padStart(2, '0')}`,
    netns: `drover-lab-${id}-h${index}`,
    vethRoot: `drl${id}h${index}`, // at most 3+8+1+2 = 14 characters
    vethHost: 'eth0',
    ip: `${SUBNET_PREFIX}.${octet}.${index}`,
  };
}

/** Name of the guest bridge inside every host namespace (the same on all hosts so guests can migrate). */
export const GUEST_BRIDGE = 'labbr0';
