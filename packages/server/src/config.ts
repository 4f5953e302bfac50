import { z, hostPort, loadConfig } from '@drover/contract';

/** drover-server's config file (YAML). Every field can be overridden with DROVER_SERVER_<FIELD>. */
export const ServerConfigSchema = z.object({
  /** Where the tables, the CA and NATS files live. */
  stateDir: z.string().min(1).default('/var/lib/drover'),
  grpc: z.object({
    /** mutual-TLS admin API (CLI) */
    listen: hostPort.default('0.0.0.0:7443'),
    /** TLS without client certificates, serving only token enrolment and health; empty: off */
    enrollListen: z.union([hostPort, z.literal('')]).default(''),
    /** the address agents and admins use to reach this server (written into bundles) */
    advertise: z.union([hostPort, z.literal('')]).default(''),
  }).prefault({}),
  nats: z.object({
    url: z.string().min(1).default('nats://127.0.0.1:4222'),
    /** where to write the generated nats-server config; empty: not managed */
    configFile: z.string().default(''),
    /** nats-server's pid file: the server sends it SIGHUP after rewriting the config */
    pidFile: z.string().default(''),
    /** what the generated config listens on */
    listen: hostPort.default('127.0.0.1:4222'),
  }).prefault({}),
  hosts: z.object({
    /** a host is stale when its last heartbeat is older than this */
    staleAfterMs: z.number().int().positive().default(15_000),
    /** and down when older than this */
    downAfterMs: z.number().int().positive().default(45_000),
    /** how often states are re-evaluated */
    checkEveryMs: z.number().int().positive().default(1_000),
  }).prefault({}).refine((h) => h.downAfterMs > h.staleAfterMs, { message: 'hosts.downAfterMs must be larger than hosts.staleAfterMs' }),
  log: z.object({ level: z.enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent']).default('info') }).prefault({}),
});
export type ServerConfig = z.output<typeof ServerConfigSchema>;

export function loadServerConfig(file: string | undefined, overrides: Record<string, unknown> = {}): ServerConfig {
  return loadConfig(ServerConfigSchema, { file, required: file !== undefined && file !== '/etc/drover/server.yaml', envPrefix: 'DROVER_SERVER', overrides });
}
