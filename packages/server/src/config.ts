import { z, hostPort, loadConfig } from '@drover/contract';

/** drover-server's config file (YAML). Every field can be overridden with DROVER_SERVER_<FIELD>. */
/** An absolute, normalised system path (placed under netboot.root when written). */
const systemPath = z
  .string()
  .regex(/^\/(?:[A-Za-z0-9._-]+\/)*[A-Za-z0-9._-]+$/, { message: 'expected an absolute path like /etc/hosts' })
  .refine((p) => !p.split('/').some((s) => s === '.' || s === '..'), { message: 'must not contain . or .. components' });
/** A command as an argv array (never a shell string). */
const argv = z.array(z.string().min(1));

export const ServerConfigSchema = z.object({
  /** Where the tables, the CA and NATS files live. */
  stateDir: z.string().min(1).default('/var/lib/drover'),
  grpc: z
    .object({
      /** mutual-TLS admin API (CLI) */
      listen: hostPort.default('0.0.0.0:7443'),
      /** TLS without client certificates, serving only token enrolment and health; empty: off */
      enrollListen: z.union([hostPort, z.literal('')]).default(''),
      /** the address agents and admins use to reach this server (written into bundles) */
      advertise: z.union([hostPort, z.literal('')]).default(''),
    })
    .prefault({}),
  nats: z
    .object({
      url: z.string().min(1).default('nats://127.0.0.1:4222'),
      /** where to write the generated nats-server config; empty: not managed */
      configFile: z.string().default(''),
      /** nats-server's pid file: the server sends it SIGHUP after rewriting the config */
      pidFile: z.string().default(''),
      /** what the generated config listens on */
      listen: hostPort.default('127.0.0.1:4222'),
    })
    .prefault({}),
  hosts: z
    .object({
      /** a host is stale when its last heartbeat is older than this */
      staleAfterMs: z.number().int().positive().default(15_000),
      /** and down when older than this */
      downAfterMs: z.number().int().positive().default(45_000),
      /** how often states are re-evaluated */
      checkEveryMs: z.number().int().positive().default(1_000),
    })
    .prefault({})
    .refine((h) => h.downAfterMs > h.staleAfterMs, { message: 'hosts.downAfterMs must be larger than hosts.staleAfterMs' }),
  /** Network install (makedhcp, makehosts, nodeset, rinstall) and the plain-HTTP boot file server. */
  netboot: z
    .object({
      /** Every file drover writes (DHCP configs, /etc/hosts, boot files) goes under this directory; '/' is the machine itself. */
      root: z.string().regex(/^\//, { message: 'expected an absolute directory, e.g. / or /srv/drover-root' }).default('/'),
      /** Which DHCP server(s) makedhcp writes for. */
      dhcp: z.enum(['isc', 'dnsmasq', 'both']).default('isc'),
      dhcpdConf: systemPath.default('/etc/dhcp/dhcpd.conf'),
      dnsmasqConf: systemPath.default('/etc/dnsmasq.d/drover.conf'),
      hostsFile: systemPath.default('/etc/hosts'),
      /** Config checkers, run on the new file before it replaces the live one when installed; '' skips the check. */
      dhcpdBin: z.string().default('/usr/sbin/dhcpd'),
      dnsmasqBin: z.string().default('/usr/sbin/dnsmasq'),
      /** argv run after a DHCP config changed, e.g. [systemctl, reload, isc-dhcp-server]; empty: none. */
      dhcpReload: argv.default([]),
      /** argv run after the hosts file changed (dnsmasq re-reads it on SIGHUP); empty: none. */
      hostsReload: argv.default([]),
      reloadTimeoutMs: z.number().int().positive().default(30_000),
      /** host:port of the boot file server (iPXE scripts, answer files, install callback); empty: off. */
      httpListen: z.union([hostPort, z.literal('')]).default(''),
      /** How long an install token (nodeset install) stays valid. */
      tokenTtlS: z
        .number()
        .int()
        .positive()
        .default(6 * 3600),
    })
    .prefault({}),
  log: z.object({ level: z.enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent']).default('info') }).prefault({}),
});
export type ServerConfig = z.output<typeof ServerConfigSchema>;

export function loadServerConfig(file: string | undefined, overrides: Record<string, unknown> = {}): ServerConfig {
  return loadConfig(ServerConfigSchema, {
    file,
    required: file !== undefined && file !== '/etc/drover/server.yaml',
    envPrefix: 'DROVER_SERVER',
    overrides,
  });
}
