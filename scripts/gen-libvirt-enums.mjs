// The libvirt enums of @drover/libvirt, generated from libvirt's own API description
// (libvirt-api.xml, which Debian's libvirt-dev installs) by scripts/gen.mjs. One TypeScript file per
// libvirt header the binding wraps, each holding every enum libvirt declares there.
//
// Naming, so a reader can go from a TypeScript name to libvirt's documentation and back:
// - an enum is libvirt's type name without 'vir' (virDomainMigrateFlags -> DomainMigrateFlags);
// - a member is libvirt's constant without the prefix all the type's constants share
//   (VIR_MIGRATE_LIVE -> DomainMigrateFlags.LIVE), and its doc comment names the constant; a type's
//   only constant loses the words that spell the type's name (virStreamRecvFlagsValues:
//   VIR_STREAM_RECV_STOP_AT_HOLE -> STOP_AT_HOLE);
// - the *_LAST sentinels are left out (they grow with every libvirt release);
// - a constant defined as another one (VIR_DOMAIN_DEVICE_MODIFY_LIVE = VIR_DOMAIN_AFFECT_LIVE) gets
//   that constant's number.
// Members are ordered by value, then by name, so the output depends only on the XML.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { XMLParser } from 'fast-xml-parser';

/** The libvirt headers whose enums the binding uses (domain, connect/host, storage, stream, errors). */
export const HEADERS = ['libvirt-common', 'libvirt-host', 'libvirt-domain', 'libvirt-storage', 'libvirt-stream', 'virterror'];

/**
 * The prefix to strip where the constants' common prefix is not it. virErrorNumber holds errors
 * (VIR_ERR_*) and a few warnings (VIR_WAR_*): errors are named without VIR_ERR_ (ErrorNumber.NO_DOMAIN);
 * a constant without the given prefix loses only VIR_ (ErrorNumber.WAR_NO_NETWORK).
 */
const STRIP = { virErrorNumber: 'VIR_ERR_' };

const DEBIAN_PATH = '/usr/share/libvirt/api/libvirt-api.xml';

/** Where libvirt-api.xml is: libvirt.pc's libvirt_api variable when pkg-config has it, else Debian's path. */
export function libvirtApiXmlPath() {
  const r = spawnSync('pkg-config', ['--variable=libvirt_api', 'libvirt'], { encoding: 'utf8' });
  const fromPc = r.status === 0 ? r.stdout.trim() : '';
  const path = fromPc || DEBIAN_PATH;
  if (!existsSync(path)) {
    throw new Error(`libvirt's API description ${path} is missing: install libvirt-dev (bash scripts/bootstrap.sh does)`);
  }
  return path;
}

function parse(xml) {
  const parser = new XMLParser({
    ignoreAttributes: false,
    attributeNamePrefix: '',
    parseAttributeValue: false,
    isArray: (name, _path, _leaf, isAttribute) => !isAttribute && (name === 'enum' || name === 'typedef'),
  });
  const symbols = parser.parse(xml)?.api?.symbols;
  if (!symbols?.enum?.length) throw new Error('libvirt-api.xml: no <api><symbols><enum> elements');
  return { enums: symbols.enum, typedefs: symbols.typedef ?? [] };
}

/** The longest '_'-bounded prefix all names share, leaving at least one word of each. */
function commonPrefix(names) {
  let words = names[0].split('_');
  for (const n of names) {
    const w = n.split('_');
    let i = 0;
    while (i < words.length && i < w.length - 1 && words[i] === w[i]) i++;
    words = words.slice(0, i);
  }
  return words.length ? words.join('_') + '_' : '';
}

/** The VIR_ and leading words of `constant` that, run together, begin the type's name (at least one word left). */
function typeNamePrefix(type, constant) {
  const spelled = type.slice(3).toLowerCase();
  const words = constant.split('_');
  let i = 1;
  while (
    i < words.length - 1 &&
    spelled.startsWith(
      words
        .slice(1, i + 1)
        .join('')
        .toLowerCase(),
    )
  )
    i++;
  return words.slice(0, i).join('_') + '_';
}

function memberNames(type, constants) {
  const strip = STRIP[type];
  let prefix = strip ?? (constants.length > 1 ? commonPrefix(constants) : typeNamePrefix(type, constants[0]));
  const cut = (c) => (c.startsWith(prefix) ? c.slice(prefix.length) : c.replace(/^VIR_/, ''));
  // A member may not start with a digit: keep one more word of the prefix then.
  while (!strip && prefix && constants.some((c) => /^[0-9]/.test(cut(c)))) {
    prefix = prefix.replace(/[^_]*_$/, '');
  }
  return new Map(constants.map((c) => [c, cut(c)]));
}

/** Resolves every constant to its number (some are defined as another constant). */
function resolveValues(enums) {
  const raw = new Map(enums.map((e) => [e.name, e.value]));
  const done = new Map();
  const resolve = (name, seen = new Set()) => {
    if (done.has(name)) return done.get(name);
    if (seen.has(name)) throw new Error(`libvirt-api.xml: ${name} is defined in a loop`);
    seen.add(name);
    const v = raw.get(name);
    let n;
    if (v !== undefined && /^-?[0-9]+$/.test(v)) n = Number(v);
    else if (v !== undefined && raw.has(v)) n = resolve(v, seen);
    else throw new Error(`libvirt-api.xml: cannot read the value of ${name} ('${v}'); accepted: a decimal number or another enum constant`);
    done.set(name, n);
    return n;
  };
  for (const e of enums) resolve(e.name);
  return done;
}

const isSentinel = (name) => name.endsWith('_LAST');
const oneLine = (s) => s.replace(/\s+/g, ' ').replace(/\*\//g, '*\\/').trim();

/**
 * Renders the generated files from the text of libvirt-api.xml: a Map from a path relative to
 * the generated folder to its text (HEADERS' files and index.ts).
 */
export function renderLibvirtEnums(xml, header) {
  const { enums, typedefs } = parse(xml);
  const values = resolveValues(enums);
  const typedefOf = new Map(typedefs.filter((t) => t.type === 'enum').map((t) => [t.name, t]));
  const byType = new Map();
  for (const e of enums) {
    if (isSentinel(e.name)) continue;
    if (!byType.has(e.type)) byType.set(e.type, []);
    byType.get(e.type).push(e);
  }
  const files = new Map();
  for (const file of HEADERS) {
    const types = [...byType.keys()].filter((t) => (typedefOf.get(t)?.file ?? byType.get(t)[0].file) === file).sort();
    if (!types.length) throw new Error(`libvirt-api.xml: no enums in ${file}`);
    const blocks = types.map((type) => {
      if (!type.startsWith('vir')) throw new Error(`libvirt-api.xml: enum type ${type} does not start with 'vir'`);
      const members = byType.get(type);
      const names = memberNames(
        type,
        members.map((m) => m.name),
      );
      const rows = members
        .map((m) => ({
          c: m.name,
          name: names.get(m.name),
          value: values.get(m.name),
          alias: /^-?[0-9]+$/.test(m.value) ? '' : m.value,
          since: m.version,
        }))
        .sort((a, b) => a.value - b.value || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
      const seen = new Set();
      for (const r of rows) {
        if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(r.name) || seen.has(r.name))
          throw new Error(`libvirt-api.xml: ${type}: cannot name ${r.c} '${r.name}'`);
        seen.add(r.name);
      }
      const since = typedefOf.get(type)?.version;
      const lines = [`/** libvirt ${type}${since ? `, since ${since}` : ''}. */`, `export enum ${type.slice(3)} {`];
      for (const r of rows) {
        const notes = [r.alias && `= ${r.alias}`, r.since && `since ${r.since}`].filter(Boolean).join(', ');
        lines.push(`  /** ${oneLine(`${r.c}${notes ? ` (${notes})` : ''}`)} */`, `  ${r.name} = ${r.value},`);
      }
      lines.push('}');
      return lines.join('\n');
    });
    files.set(`${file}.ts`, `${header}\n${blocks.join('\n\n')}\n`);
  }
  files.set('index.ts', `${header}\n${HEADERS.map((f) => `export * from './${f}';`).join('\n')}\n`);
  return files;
}
