import { XMLBuilder, XMLParser } from 'fast-xml-parser';

/** Attribute keys carry this prefix in the objects handed to fast-xml-parser. */
export const ATTR = '@_';

const builder = new XMLBuilder({
  ignoreAttributes: false,
  attributeNamePrefix: ATTR,
  format: true,
  indentBy: '  ',
  suppressEmptyNode: true,
  suppressBooleanAttributes: false,
});

/** Serialises an element tree (escaping text and attribute values). */
export function buildXml(tree: Record<string, unknown>): string {
  return builder.build(tree) as string;
}

/** Options shared by the readers: keep every value a string, keep attributes. */
const READ_OPTIONS = {
  ignoreAttributes: false,
  attributeNamePrefix: ATTR,
  parseTagValue: false,
  parseAttributeValue: false,
  trimValues: true,
  processEntities: true,
} as const;

/** Elements of domain XML that may repeat; the reader always gives them as arrays. */
const REPEATED = new Set([
  'boot',
  'disk',
  'interface',
  'graphics',
  'serial',
  'console',
  'listen',
  'channel',
  'controller',
  'input',
  'video',
  'hostdev',
  'redirdev',
]);

const objectParser = new XMLParser({
  ...READ_OPTIONS,
  isArray: (name: string) => REPEATED.has(name),
});

/** Parses XML into plain objects (attributes under `@_name`, text under `#text`). */
export function readXml(xml: string): Record<string, unknown> {
  return objectParser.parse(xml, true) as Record<string, unknown>;
}

/** One node of fast-xml-parser's order-preserving form: `{ tag: children[], ':@': attrs }`. */
export type OrderedNode = Record<string, unknown>;

const orderedParser = new XMLParser({ ...READ_OPTIONS, preserveOrder: true, commentPropName: '#comment' });
const orderedBuilder = new XMLBuilder({
  ignoreAttributes: false,
  attributeNamePrefix: ATTR,
  preserveOrder: true,
  commentPropName: '#comment',
  format: true,
  indentBy: '  ',
  suppressEmptyNode: true,
});

/** Parses XML keeping document order and comments, for edits that must leave the rest alone. */
export function readOrdered(xml: string): OrderedNode[] {
  return orderedParser.parse(xml, true) as OrderedNode[];
}

/** Serialises what {@link readOrdered} gave. */
export function buildOrdered(nodes: OrderedNode[]): string {
  return (orderedBuilder.build(nodes) as string).replace(/^\s+/, '');
}

/** The tag of an ordered node (the one key that is not `:@`). */
export function tagOf(node: OrderedNode): string | undefined {
  return Object.keys(node).find((k) => k !== ':@');
}

/** The children of an ordered node. */
export function childrenOf(node: OrderedNode): OrderedNode[] {
  const tag = tagOf(node);
  const kids = tag === undefined ? undefined : node[tag];
  return Array.isArray(kids) ? (kids as OrderedNode[]) : [];
}
