/**
 * What a hypervisor host's configuration must say so that guests can be migrated to and from its
 * peers, as plans of edits for applyEdits. This is what `drover-agent setup-hypervisor` and the
 * agent call; it replaces the old howto's `sed` lines over xend-config.sxp and grub.
 *
 * Production defaults: libvirtd listens with TLS (client certificates checked against a DN
 * allow-list derived from the peers) and never on plain TCP unless SASL authentication is asked
 * for; xend's relocation server admits only the named peers, never everyone.
 *
 * Note for socket-activated libvirt (systemd, libvirt >= 5.6): listen_tls / listen_tcp /
 * listen_addr in libvirtd.conf are then ignored and the `libvirtd-tls.socket` unit decides; the
 * caller enables that unit. The file settings are still written so both start modes agree.
 */
import { isIP } from 'node:net';
import { HostConfigError } from './errors.js';
import { buildHostsAllow, type RelocationPeer } from './sxp.js';
import type { Edit, GrubDefaultEdit, KeyValueEdit, MenuLstEdit, SxpEdit } from './apply.js';
import type { KvValue } from './keyvalue.js';
import { checkXenSize } from './grub.js';

export type { RelocationPeer } from './sxp.js';

export type HypervisorKind = 'kvm' | 'xen-libxl' | 'xen-xend';

export interface RelocationPaths {
  qemuConf: string;
  libvirtdConf: string;
  /** libvirt's libxl driver settings. */
  libxlConf: string;
  /** Xen's xl toolstack settings. */
  xlConf: string;
  xendConfig: string;
}

export const DEFAULT_RELOCATION_PATHS: Readonly<RelocationPaths> = {
  qemuConf: '/etc/libvirt/qemu.conf',
  libvirtdConf: '/etc/libvirt/libvirtd.conf',
  libxlConf: '/etc/libvirt/libxl.conf',
  xlConf: '/etc/xen/xl.conf',
  xendConfig: '/etc/xen/xend-config.sxp',
};

export interface RelocationOptions {
  hypervisor: HypervisorKind;
  /** This host's address on the migration network: libvirtd listens there, QEMU/xend accept migrations there. */
  ip: string;
  /** Hosts allowed to migrate guests into this one. Must not be empty. */
  peers: readonly RelocationPeer[];
  /**
   * Encrypt the migration data itself: QEMU's native TLS (`migrate_tls_force`) for KVM, xend's SSL
   * relocation server for legacy Xen. libvirtd's own listener uses TLS regardless.
   */
  tls: boolean;
  /** Ports QEMU picks incoming migration ports from (KVM). Default 49152-49215, libvirt's own. */
  portMin?: number;
  portMax?: number;
  /** libvirtd's TLS files; keys left out keep libvirt's defaults under /etc/pki. */
  tlsFiles?: { keyFile?: string; certFile?: string; caFile?: string };
  /**
   * Patterns for `tls_allowed_dn_list`. Default: for each peer, `CN=<name>` and `*,CN=<name>`
   * (its certificate's subject ends with its host name).
   */
  tlsAllowedDn?: readonly string[];
  /** libvirtd's `auth_tls`: 'none' (default: the verified client certificate is the credential) or 'sasl'. */
  tlsAuth?: 'none' | 'sasl';
  /** Also listen on plain TCP; only with SASL authentication. Default: TCP listener off. */
  libvirtdTcp?: { auth: 'sasl' };
  /**
   * Address VNC consoles listen on: xend's `vnc-listen` (default 127.0.0.1, drover reaches consoles
   * through the agent) and, when given, QEMU's `vnc_listen`.
   */
  vncListen?: string;
  /** xend relocation ports. Default 8002 and, with tls, 8003. */
  xendPort?: number;
  xendSslPort?: number;
  /** xend SSL relocation server key and certificate (required for xen-xend with tls). */
  xendSsl?: { keyFile: string; certFile: string };
  /** dom0 ballooning for Xen (xl.conf `autoballoon`, libxl.conf `autoballoon`). Default 'off': dom0's memory is fixed with dom0_mem. */
  autoballoon?: 'off' | 'on' | 'auto';
  paths?: Partial<RelocationPaths>;
}

function invalid(message: string): never {
  throw new HostConfigError('invalid-option', message);
}

function checkPort(name: string, port: number): number {
  if (!Number.isInteger(port) || port < 1 || port > 65535) invalid(`${name} must be a port number (1-65535), got ${port}`);
  return port;
}

function checkPeers(peers: readonly RelocationPeer[]): void {
  if (peers.length === 0) {
    invalid('no relocation peers: drover does not open migration to every host, list the peers');
  }
  for (const p of peers) {
    if (!/^[A-Za-z0-9]([A-Za-z0-9_.-]*[A-Za-z0-9])?\.?$/.test(p.name)) invalid(`peer name ${JSON.stringify(p.name)} is not a host name`);
    for (const a of p.addresses) if (isIP(a) === 0) invalid(`peer ${p.name}: ${JSON.stringify(a)} is not an IP address`);
  }
}

function libvirtdEdit(o: RelocationOptions, path: string): KeyValueEdit {
  const dns = o.tlsAllowedDn ?? o.peers.flatMap((p) => [`CN=${p.name}`, `*,CN=${p.name}`]);
  if (dns.length === 0) invalid('tls_allowed_dn_list would be empty');
  const set: Record<string, KvValue | null> = {
    listen_tls: 1,
    listen_tcp: o.libvirtdTcp ? 1 : 0,
    listen_addr: o.ip,
    auth_tls: o.tlsAuth ?? 'none',
    auth_tcp: 'sasl',
    tls_no_verify_certificate: 0,
    tls_allowed_dn_list: dns,
  };
  if (o.tlsFiles?.keyFile) set.key_file = o.tlsFiles.keyFile;
  if (o.tlsFiles?.certFile) set.cert_file = o.tlsFiles.certFile;
  if (o.tlsFiles?.caFile) set.ca_file = o.tlsFiles.caFile;
  return { kind: 'keyvalue', path, set };
}

/**
 * The edits that configure migration on this host:
 * - kvm: qemu.conf (migration address, host and port range, migration TLS) and libvirtd.conf;
 * - xen-libxl: xl.conf and libxl.conf (dom0 autoballoon) and libvirtd.conf;
 * - xen-xend: xend-config.sxp (relocation server, port, address, hosts-allow, vnc-listen).
 * Throws HostConfigError('invalid-option') for an address, port or peer list it cannot write safely.
 */
export function planRelocationConfig(opts: RelocationOptions): Edit[] {
  const paths: RelocationPaths = { ...DEFAULT_RELOCATION_PATHS, ...opts.paths };
  if (isIP(opts.ip) === 0) invalid(`ip ${JSON.stringify(opts.ip)} is not an IP address`);
  if (opts.vncListen !== undefined && isIP(opts.vncListen) === 0)
    invalid(`vncListen ${JSON.stringify(opts.vncListen)} is not an IP address`);
  checkPeers(opts.peers);

  switch (opts.hypervisor) {
    case 'kvm': {
      const portMin = checkPort('portMin', opts.portMin ?? 49152);
      const portMax = checkPort('portMax', opts.portMax ?? 49215);
      if (portMin > portMax) invalid(`portMin ${portMin} is above portMax ${portMax}`);
      const qemu: Record<string, KvValue | null> = {
        migration_address: opts.ip,
        migration_host: opts.ip,
        migration_port_min: portMin,
        migration_port_max: portMax,
        migrate_tls_force: opts.tls,
      };
      if (opts.vncListen !== undefined) qemu.vnc_listen = opts.vncListen;
      return [{ kind: 'keyvalue', path: paths.qemuConf, set: qemu }, libvirtdEdit(opts, paths.libvirtdConf)];
    }
    case 'xen-libxl': {
      const balloon = opts.autoballoon ?? 'off';
      return [
        { kind: 'keyvalue', path: paths.xlConf, set: { autoballoon: balloon } },
        // libvirt's libxl driver only knows on/off; 'auto' leaves its own default (off when dom0_mem is set).
        {
          kind: 'keyvalue',
          path: paths.libxlConf,
          createIfMissing: true,
          set: { autoballoon: balloon === 'auto' ? null : balloon === 'on' },
        },
        libvirtdEdit(opts, paths.libvirtdConf),
      ];
    }
    case 'xen-xend': {
      const set: Record<string, string | number | boolean | null> = {
        'xend-relocation-server': !opts.tls,
        'xend-relocation-port': checkPort('xendPort', opts.xendPort ?? 8002),
        'xend-relocation-address': opts.ip,
        'xend-relocation-hosts-allow': buildHostsAllow(opts.peers),
        'vnc-listen': opts.vncListen ?? '127.0.0.1',
      };
      if (opts.tls) {
        if (!opts.xendSsl) invalid('xen-xend with tls needs xendSsl.keyFile and xendSsl.certFile');
        set['xend-relocation-ssl-server'] = true;
        set['xend-relocation-ssl-port'] = checkPort('xendSslPort', opts.xendSslPort ?? 8003);
        set['xend-relocation-server-ssl-key-file'] = opts.xendSsl.keyFile;
        set['xend-relocation-server-ssl-cert-file'] = opts.xendSsl.certFile;
        set['xend-relocation-ssl'] = true;
      } else {
        set['xend-relocation-ssl-server'] = false;
      }
      const edit: SxpEdit = { kind: 'sxp', path: paths.xendConfig, set };
      return [edit];
    }
  }
}

export interface BootloaderOptions {
  style: 'grub2' | 'legacy';
  /** dom0 memory, e.g. '4G': written as dom0_mem=4G,max:4G. */
  dom0Mem: string;
  /** grub2: explicit GRUB_DEFAULT; otherwise taken from the first Xen entry of `grubCfg`. */
  grubDefault?: string;
  /** grub2: the generated menu to find the Xen entry in. Default /boot/grub/grub.cfg. */
  grubCfg?: string;
  /** Point the boot default at the Xen entry (default true). */
  setDefault?: boolean;
  /** File to edit. Default /etc/default/grub (grub2) or /boot/grub/menu.lst (legacy). */
  path?: string;
}

/**
 * The boot-loader edits for a Xen dom0: fixed dom0 memory and Xen as the default entry. For grub2
 * the caller runs update-grub afterwards.
 */
export function bootloaderEdits(opts: BootloaderOptions): Edit[] {
  checkXenSize(opts.dom0Mem);
  const setDefault = opts.setDefault ?? true;
  if (opts.style === 'grub2') {
    const edit: GrubDefaultEdit = { kind: 'grub-default', path: opts.path ?? '/etc/default/grub', dom0Mem: opts.dom0Mem };
    if (setDefault) {
      if (opts.grubDefault !== undefined) edit.grubDefault = opts.grubDefault;
      else edit.xenEntryFrom = opts.grubCfg ?? '/boot/grub/grub.cfg';
    }
    return [edit];
  }
  const edit: MenuLstEdit = { kind: 'menu-lst', path: opts.path ?? '/boot/grub/menu.lst', dom0Mem: opts.dom0Mem, setDefault };
  return [edit];
}
