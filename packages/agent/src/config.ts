import { dirname, isAbsolute, resolve } from 'node:path';
import { z, hostPort, dnsLabel, loadConfig } from '@drover/contract';

/** drover-agent's config file (YAML), as written by `drover-server enroll --out` or `drover-agent enroll`.
 * Relative file paths are relative to the config file. Overrides: DROVER_AGENT_<FIELD>. */
export const AgentConfigSchema = z.object({
  host: dnsLabel,
  tls: z.object({ ca: z.string().min(1), cert: z.string().min(1), key: z.string().min(1) }),
  nats: z.object({ url: z.string().min(1), seedFile: z.string().min(1) }),
  grpc: z.object({
    listen: hostPort.default('0.0.0.0:7444'),
    /** where the server reaches this agent (published in heartbeats); default: the listen address */
    advertise: z.union([hostPort, z.literal('')]).default(''),
  }).prefault({}),
  server: z.object({ address: z.string().default('') }).prefault({}),
  libvirt: z.object({ uri: z.string().default('') }).prefault({}),
  heartbeatMs: z.number().int().min(100).default(5000),
  log: z.object({ level: z.enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent']).default('info') }).prefault({}),
});
export type AgentConfig = z.output<typeof AgentConfigSchema>;

export function loadAgentConfig(file: string, overrides: Record<string, unknown> = {}): AgentConfig {
  const cfg = loadConfig(AgentConfigSchema, { file, required: true, envPrefix: 'DROVER_AGENT', overrides });
  const base = dirname(resolve(file));
  const abs = (p: string): string => (isAbsolute(p) ? p : resolve(base, p));
  cfg.tls = { ca: abs(cfg.tls.ca), cert: abs(cfg.tls.cert), key: abs(cfg.tls.key) };
  cfg.nats.seedFile = abs(cfg.nats.seedFile);
  return cfg;
}
