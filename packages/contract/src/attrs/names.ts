import { AttrError } from './errors.js';

/** Accepted forms of a node or host name. */
export const NODE_NAME_SYNTAX = '1 to 63 letters, digits and -, not starting or ending with - (a DNS label, no dots)';

const LABEL_RE = /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/;

/**
 * True for a name drover accepts for a node or a hypervisor host: one DNS label. Such a name is
 * also safe as a NATS subject token, a libvirt domain name, a file name, and inside XML or argv.
 */
export function isValidNodeName(name: string): boolean {
  return LABEL_RE.test(name);
}

/** Returns the name, or throws an AttrError naming the attribute. */
export function parseNodeName(value: string, attribute = 'node'): string {
  if (!isValidNodeName(value)) {
    throw new AttrError({ code: 'ATTR_SYNTAX', attribute, value, problem: 'not a valid name', accepted: NODE_NAME_SYNTAX });
  }
  return value;
}
