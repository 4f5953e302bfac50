/**
 * Per-node network-boot files for `rinstall` / `nodeset`: an iPXE script fetched over HTTP and a
 * pxelinux.cfg file for nodes that boot lpxelinux.0. Both point at the installer on the headnode:
 *
 *     http://<site.master>:<site.httpport><site.installdir>/<os>/<arch>/...      install media (copycds)
 *     http://<site.master>:<site.httpport><site.installdir>/autoinst/<node>.ks?token=<token>   (rhel family)
 *     http://<site.master>:<site.httpport><site.installdir>/autoinst/<node>.preseed?token=<token> (debian family)
 *     <site.tftpdir>/ipxe/<node>.ipxe        served over HTTP at http://<master>:<port><tftpdir>/ipxe/<node>.ipxe
 *     <site.tftpdir>/pxelinux.cfg/01-<mac>   read by lpxelinux.0 over TFTP
 *
 * Media layout under `<installdir>/<os>/<arch>/`: rhel family as on the DVD
 * (`images/pxeboot/vmlinuz`, `images/pxeboot/initrd.img`); debian family as the distribution's
 * netboot tarball unpacked there (`<debian|ubuntu>-installer/<debarch>/linux`, `initrd.gz`).
 * The token lets the installer's callback prove it is the install drover started.
 */
import { NetbootInputError } from './errors.js';
import type { FileOut, SiteInput } from './types.js';
import { NETBOOT_METHODS } from './types.js';
import { checkHostname, checkLabel, checkSite, normalizeMac, type Site } from './validate.js';

export type OsFamily = 'rhel' | 'debian';

const OS_FAMILIES: ReadonlyArray<{ prefix: string; family: OsFamily }> = [
  { prefix: 'rhels', family: 'rhel' },
  { prefix: 'rhel', family: 'rhel' },
  { prefix: 'centos', family: 'rhel' },
  { prefix: 'rocky', family: 'rhel' },
  { prefix: 'alma', family: 'rhel' },
  { prefix: 'debian', family: 'debian' },
  { prefix: 'ubuntu', family: 'debian' },
];
const OS_FORM =
  'one of rhels, rhel, centos, rocky, alma (kickstart) or debian, ubuntu (preseed), optionally followed by a version, e.g. rhels9.4, centos7, debian12, ubuntu22.04';

const ARCHES: Readonly<Record<string, string>> = { x86_64: 'amd64', aarch64: 'arm64', ppc64le: 'ppc64el' };

/** The installer family of a nodetype.os value; throws naming nodetype.os and the accepted values. */
export function osFamily(os: unknown, node?: string): OsFamily {
  const s = typeof os === 'string' ? os : '';
  const m = /^([a-z]+)(\d[0-9.]*)?$/.exec(s);
  const hit = m ? OS_FAMILIES.find((f) => f.prefix === m[1]) : undefined;
  if (!hit) throw new NetbootInputError({ subject: node, field: 'nodetype.os', value: os, accepted: OS_FORM });
  return hit.family;
}

/** What `rinstall` needs to know about one node (nodelist, mac, nodetype, nodehm). */
export interface InstallInput {
  node: string;
  /** Needed for the pxelinux file; without it only the iPXE script is generated. */
  mac?: string;
  /** noderes.netboot; `pxe` requires a MAC. */
  netboot?: string;
  /** nodetype.os, e.g. rhels9.4, ubuntu22.04. */
  os: string;
  /** nodetype.arch: x86_64, aarch64 or ppc64le. */
  arch: string;
  /** nodetype.profile, e.g. compute. */
  profile: string;
  /** One-time token the installer sends back on its callback. */
  token: string;
  /** Serial console for the installer, e.g. `ttyS0,115200` (nodehm.serialport/serialspeed). */
  console?: string;
  /** Extra kernel arguments (bootparams.addkcmdline), as a list or a space-separated string. */
  kernelArgs?: string | readonly string[];
  /** Domain handed to the debian installer; defaults to site.domain. */
  domain?: string;
}

/** A node name, to use as a path component. */
function nodeName(node: unknown): string {
  return checkLabel(node, typeof node === 'string' ? node : undefined, 'nodelist.node');
}

function httpBase(site: Site): string {
  return `http://${site.master}${site.httpPort === 80 ? '' : `:${site.httpPort}`}`;
}

/** Where a node's iPXE script is written (system path, before any root). */
export function ipxeScriptPath(site: SiteInput, node: string): string {
  return `${checkSite(site).tftpDir}/ipxe/${nodeName(node)}.ipxe`;
}

/** The URL iPXE fetches the node's script from; DHCP hands it out as the filename. */
export function ipxeScriptUrl(site: SiteInput, node: string): string {
  const s = checkSite(site);
  return `${httpBase(s)}${s.tftpDir}/ipxe/${nodeName(node)}.ipxe`;
}

/** Where lpxelinux.0 looks for the node's config: pxelinux.cfg/01-<mac with dashes>. */
export function pxelinuxConfigPath(site: SiteInput, mac: string, node?: string): string {
  return `${checkSite(site).tftpDir}/pxelinux.cfg/01-${normalizeMac(mac, node).replace(/:/g, '-')}`;
}

/** URL of the node's kickstart or preseed file, carrying the one-time token. */
export function autoinstUrl(site: SiteInput, node: string, family: OsFamily, token: string): string {
  const s = checkSite(site);
  checkToken(token, node);
  return `${httpBase(s)}${s.installDir}/autoinst/${nodeName(node)}.${family === 'rhel' ? 'ks' : 'preseed'}?token=${token}`;
}

function checkToken(token: unknown, node: string): void {
  if (typeof token !== 'string' || !/^[A-Za-z0-9_-]{16,256}$/.test(token)) {
    throw new NetbootInputError({
      subject: node,
      field: 'install token',
      value: '<hidden>',
      accepted: '16-256 characters of A-Z, a-z, 0-9, "_" or "-" (URL-safe)',
    });
  }
}

function checkMethod(netboot: string | undefined, node: string): 'ipxe' | 'pxe' {
  const m = netboot ?? 'ipxe';
  if (m !== 'ipxe' && m !== 'pxe') {
    throw new NetbootInputError({
      subject: node,
      field: 'noderes.netboot',
      value: netboot,
      accepted: `one of ${NETBOOT_METHODS.join(', ')}`,
    });
  }
  return m;
}

interface BootSpec {
  kernel: string;
  initrd: string;
  args: string[];
  summary: string;
}

/** Builds kernel, initrd and arguments for an install; all inputs checked. */
function installSpec(site: SiteInput, t: InstallInput): BootSpec {
  const s = checkSite(site);
  const node = nodeName(t.node);
  const family = osFamily(t.os, node);
  const debarch = ARCHES[t.arch];
  if (typeof t.arch !== 'string' || debarch === undefined) {
    throw new NetbootInputError({
      subject: node,
      field: 'nodetype.arch',
      value: t.arch,
      accepted: `one of ${Object.keys(ARCHES).join(', ')}`,
    });
  }
  if (typeof t.profile !== 'string' || !/^[A-Za-z0-9_.-]{1,64}$/.test(t.profile)) {
    throw new NetbootInputError({
      subject: node,
      field: 'nodetype.profile',
      value: t.profile,
      accepted: '1-64 letters, digits, "_", "." or "-"',
    });
  }
  const extra = (typeof t.kernelArgs === 'string' ? t.kernelArgs.split(/\s+/) : [...(t.kernelArgs ?? [])]).filter((a) => a !== '');
  for (const a of extra) {
    // no whitespace, quotes or '$': iPXE would expand ${...} and pxelinux splits on spaces
    if (!/^[\x21-\x7e]+$/.test(a) || /["'$\\]/.test(a)) {
      throw new NetbootInputError({
        subject: node,
        field: 'bootparams.addkcmdline',
        value: a,
        accepted: 'kernel arguments of printable ASCII without spaces, quotes, "$" or "\\"',
      });
    }
  }
  const args: string[] = [];
  if (t.console !== undefined) {
    if (!/^tty[A-Za-z0-9]+(,[0-9]+([noe][5-8]?r?)?)?$/.test(t.console)) {
      throw new NetbootInputError({
        subject: node,
        field: 'nodehm.serialport',
        value: t.console,
        accepted: 'a console like ttyS0,115200 or ttyAMA0',
      });
    }
  }
  const media = `${httpBase(s)}${s.installDir}/${t.os}/${t.arch}`;
  const answers = autoinstUrl(site, node, family, t.token);
  let kernel: string;
  let initrd: string;
  if (family === 'rhel') {
    kernel = `${media}/images/pxeboot/vmlinuz`;
    initrd = `${media}/images/pxeboot/initrd.img`;
    args.push(`inst.repo=${media}`, `inst.ks=${answers}`, 'ip=dhcp');
  } else {
    const distro = t.os.startsWith('ubuntu') ? 'ubuntu' : 'debian';
    kernel = `${media}/${distro}-installer/${debarch}/linux`;
    initrd = `${media}/${distro}-installer/${debarch}/initrd.gz`;
    args.push('auto=true', 'priority=critical', `url=${answers}`, `hostname=${node}`, 'interface=auto');
    const domain = t.domain ?? s.domain;
    if (domain) args.push(`domain=${checkHostname(domain, node, t.domain ? 'domain' : 'site.domain')}`);
  }
  if (t.console !== undefined) args.push('console=tty0', `console=${t.console}`);
  args.push(...extra);
  return { kernel, initrd, args, summary: `install ${node} with ${t.os} ${t.arch} profile ${t.profile}` };
}

function ipxeInstallScript(node: string, spec: BootSpec): string {
  const initrdName = spec.initrd.slice(spec.initrd.lastIndexOf('/') + 1);
  // initrd=<name> lets an EFI-stub kernel find the image iPXE loaded; BOOTIF names the boot NIC
  const args = [`initrd=${initrdName}`, ...spec.args, 'BOOTIF=01-${netX/mac:hexhyp}'].join(' ');
  return [
    '#!ipxe',
    `# drover: ${spec.summary} (written by nodeset; replaced on the next nodeset)`,
    `kernel ${spec.kernel} ${args} || goto failed`,
    `initrd ${spec.initrd} || goto failed`,
    'boot || goto failed',
    ':failed',
    `echo drover: network install of ${node} could not start; leaving to the next boot device in 10 seconds`,
    'sleep 10',
    'exit 1',
    '',
  ].join('\n');
}

function pxelinuxInstallConfig(spec: BootSpec): string {
  return [
    `# drover: ${spec.summary} (written by nodeset; replaced on the next nodeset)`,
    'DEFAULT drover-install',
    'PROMPT 0',
    'TIMEOUT 0',
    'LABEL drover-install',
    `  KERNEL ${spec.kernel}`,
    `  APPEND initrd=${spec.initrd} ${spec.args.join(' ')}`,
    // IPAPPEND 2 adds BOOTIF=<mac> so the installer uses the NIC that booted
    '  IPAPPEND 2',
    '',
  ].join('\n');
}

/**
 * Boot files that start a network install (`rinstall` / `nodeset <node> install`): always the iPXE
 * script, plus the pxelinux config when the MAC is known (required for netboot `pxe`).
 */
export function installFiles(site: SiteInput, target: InstallInput): FileOut[] {
  const node = nodeName(target.node);
  const method = checkMethod(target.netboot, node);
  if (method === 'pxe' && target.mac === undefined) {
    throw new NetbootInputError({
      subject: node,
      field: 'mac.mac',
      value: undefined,
      accepted: 'a MAC address, needed for netboot pxe (pxelinux.cfg/01-<mac>)',
    });
  }
  const spec = installSpec(site, target);
  const files: FileOut[] = [{ path: ipxeScriptPath(site, node), content: ipxeInstallScript(node, spec) }];
  if (target.mac !== undefined) files.push({ path: pxelinuxConfigPath(site, target.mac, node), content: pxelinuxInstallConfig(spec) });
  return files;
}

/** Which node `localBootFiles` and `removeBootFiles` act on. */
export interface BootTarget {
  node: string;
  mac?: string;
  netboot?: string;
}

/**
 * Boot files that send the node to its local disk (`nodeset <node> boot`). iPXE: `exit` on UEFI
 * (the firmware moves on to the next boot entry), `sanboot` of the first BIOS disk otherwise;
 * pxelinux: `LOCALBOOT 0`.
 */
export function localBootFiles(site: SiteInput, target: BootTarget): FileOut[] {
  const node = nodeName(target.node);
  const method = checkMethod(target.netboot, node);
  if (method === 'pxe' && target.mac === undefined) {
    throw new NetbootInputError({
      subject: node,
      field: 'mac.mac',
      value: undefined,
      accepted: 'a MAC address, needed for netboot pxe (pxelinux.cfg/01-<mac>)',
    });
  }
  const note = `# drover: ${node} boots from its local disk (written by nodeset; replaced on the next nodeset)`;
  const files: FileOut[] = [
    {
      path: ipxeScriptPath(site, node),
      content: ['#!ipxe', note, 'iseq ${platform} efi && exit 0 ||', 'sanboot --no-describe --drive 0x80 || exit 1', ''].join('\n'),
    },
  ];
  if (target.mac !== undefined) {
    files.push({
      path: pxelinuxConfigPath(site, target.mac, node),
      content: [note, 'DEFAULT drover-local', 'PROMPT 0', 'TIMEOUT 0', 'LABEL drover-local', '  LOCALBOOT 0', ''].join('\n'),
    });
  }
  return files;
}

/** Removal entries (content null) for a node's boot files, e.g. when the node is deleted. */
export function removeBootFiles(site: SiteInput, target: BootTarget): FileOut[] {
  const node = nodeName(target.node);
  const files: FileOut[] = [{ path: ipxeScriptPath(site, node), content: null }];
  if (target.mac !== undefined) files.push({ path: pxelinuxConfigPath(site, target.mac, node), content: null });
  return files;
}
