/**
 * Answer files for unattended installs: a kickstart (rhel family) or a preseed (debian family) per
 * node, written by `nodeset <node> install` under `<installdir>/autoinst/` and served only to a
 * request carrying the node's install token. The built-in files install a minimal system with a
 * locked root account; an admin replaces them per profile with a template (see TEMPLATE_FIELDS).
 * Either way the installer ends by calling back `/install/callback/<node>?token=...`, which sends
 * the node back to its disk.
 */
import { NetbootInputError } from './errors.js';
import type { OsFamily } from './pxe.js';
import type { SiteInput } from './types.js';
import { checkSite } from './validate.js';

/** The URL path of the installer's callback; the node name follows. */
export const CALLBACK_PATH = '/install/callback/';

/** Where an answer file is written (system path, before any root). */
export function answerFilePath(site: SiteInput, node: string, family: OsFamily): string {
  return `${checkSite(site).installDir}/autoinst/${node}.${family === 'rhel' ? 'ks' : 'preseed'}`;
}

/** Where an admin's template for a profile lives (system path): `<installdir>/custom/<rhel|debian>/<profile>.tmpl`. */
export function templatePath(site: SiteInput, family: OsFamily, profile: string): string {
  return `${checkSite(site).installDir}/custom/${family}/${profile}.tmpl`;
}

function httpBase(site: SiteInput): string {
  const s = checkSite(site);
  return `http://${s.master}${s.httpPort === 80 ? '' : `:${s.httpPort}`}`;
}

/** The callback URL the installer fetches when it has finished. */
export function callbackUrl(site: SiteInput, node: string, token: string): string {
  return `${httpBase(site)}${CALLBACK_PATH}${node}?token=${token}`;
}

export interface AnswerInput {
  node: string;
  family: OsFamily;
  os: string;
  arch: string;
  profile: string;
  token: string;
  domain?: string;
}

/** Placeholders a template may use; `#CALLBACK_URL#` is required. */
export const TEMPLATE_FIELDS = ['#NODE#', '#DOMAIN#', '#OS#', '#ARCH#', '#PROFILE#', '#MEDIA_URL#', '#CALLBACK_URL#', '#MASTER#'] as const;

function fields(site: SiteInput, a: AnswerInput): Record<(typeof TEMPLATE_FIELDS)[number], string> {
  const s = checkSite(site);
  return {
    '#NODE#': a.node,
    '#DOMAIN#': a.domain ?? s.domain ?? '',
    '#OS#': a.os,
    '#ARCH#': a.arch,
    '#PROFILE#': a.profile,
    '#MEDIA_URL#': `${httpBase(site)}${s.installDir}/${a.os}/${a.arch}`,
    '#CALLBACK_URL#': callbackUrl(site, a.node, a.token),
    '#MASTER#': s.master,
  };
}

function kickstart(f: Record<string, string>, a: AnswerInput): string {
  return [
    `# drover: kickstart for ${a.node} (${a.os} ${a.arch} profile ${a.profile}); written by nodeset, replaced on the next nodeset`,
    `# replace it for this profile with a template at <installdir>/custom/rhel/${a.profile}.tmpl`,
    'text',
    `url --url=${f['#MEDIA_URL#']}`,
    'lang en_US.UTF-8',
    'keyboard us',
    'timezone UTC --utc',
    `network --bootproto=dhcp --hostname=${a.node}${f['#DOMAIN#'] ? `.${f['#DOMAIN#']}` : ''}`,
    'rootpw --lock',
    'zerombr',
    'clearpart --all --initlabel',
    'autopart',
    'bootloader',
    'reboot',
    '%packages',
    '@core',
    '%end',
    '%post',
    `curl -fsS --retry 5 --max-time 30 -o /dev/null '${f['#CALLBACK_URL#']}' || true`,
    '%end',
    '',
  ].join('\n');
}

function preseed(f: Record<string, string>, a: AnswerInput): string {
  const ubuntu = a.os.startsWith('ubuntu');
  return [
    `# drover: preseed for ${a.node} (${a.os} ${a.arch} profile ${a.profile}); written by nodeset, replaced on the next nodeset`,
    `# replace it for this profile with a template at <installdir>/custom/debian/${a.profile}.tmpl`,
    'd-i debian-installer/locale string en_US.UTF-8',
    'd-i keyboard-configuration/xkb-keymap select us',
    'd-i netcfg/choose_interface select auto',
    `d-i netcfg/get_hostname string ${a.node}`,
    `d-i netcfg/get_domain string ${f['#DOMAIN#']}`,
    'd-i mirror/country string manual',
    `d-i mirror/http/hostname string ${ubuntu ? 'archive.ubuntu.com' : 'deb.debian.org'}`,
    `d-i mirror/http/directory string ${ubuntu ? '/ubuntu' : '/debian'}`,
    'd-i mirror/http/proxy string',
    'd-i passwd/make-user boolean false',
    'd-i passwd/root-password-crypted password !',
    'd-i clock-setup/utc boolean true',
    'd-i time/zone string UTC',
    'd-i partman-auto/method string regular',
    'd-i partman-auto/choose_recipe select atomic',
    'd-i partman-partitioning/confirm_write_new_label boolean true',
    'd-i partman/choose_partition select finish',
    'd-i partman/confirm boolean true',
    'd-i partman/confirm_nooverwrite boolean true',
    'tasksel tasksel/first multiselect standard, ssh-server',
    'd-i grub-installer/only_debian boolean true',
    'd-i grub-installer/bootdev string default',
    'd-i finish-install/reboot_in_progress note',
    `d-i preseed/late_command string wget -q -O /dev/null '${f['#CALLBACK_URL#']}' || true`,
    '',
  ].join('\n');
}

/**
 * The node's answer file: `template` (an admin's file for the profile) with its placeholders
 * filled in, or the built-in kickstart/preseed. `templateFile` names the template in errors.
 */
export function renderAnswerFile(site: SiteInput, a: AnswerInput, template?: { text: string; file: string }): string {
  const f = fields(site, a);
  if (template === undefined) return a.family === 'rhel' ? kickstart(f, a) : preseed(f, a);
  if (!template.text.includes('#CALLBACK_URL#')) {
    throw new NetbootInputError({
      subject: a.node,
      field: 'install template',
      value: template.file,
      accepted:
        'a template that calls back #CALLBACK_URL# when the install has finished (e.g. curl in %post, wget in preseed/late_command)',
    });
  }
  return template.text.replace(/#[A-Z_]+#/g, (m) => (Object.hasOwn(f, m) ? f[m as keyof typeof f] : m));
}
