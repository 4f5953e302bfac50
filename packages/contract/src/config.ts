/**
 * One config file per program (YAML), validated with a zod schema; environment variables
 * override single fields (`<PREFIX>_<PATH_IN_UPPER_SNAKE>`, e.g. DROVER_SERVER_GRPC_LISTEN for
 * `grpc.listen`). Errors name the file, the field and the accepted form; programs exit with 2.
 */
import { readFileSync, existsSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { UserFacingError } from './errors.js';

export { z };

export class ConfigError extends UserFacingError {
  constructor(message: string) {
    super(message, 2);
    this.name = 'ConfigError';
  }
}

function unwrap(s: z.ZodType): z.ZodType {
  let cur = s as z.ZodType & { def?: { innerType?: z.ZodType; type?: string } };
  for (let i = 0; i < 10; i++) {
    const inner = (cur as { def?: { innerType?: z.ZodType } }).def?.innerType;
    if (!inner) break;
    cur = inner as typeof cur;
  }
  return cur;
}

function leafPaths(schema: z.ZodType, prefix: string[] = []): { path: string[]; schema: z.ZodType }[] {
  const s = unwrap(schema);
  if (s instanceof z.ZodObject) {
    return Object.entries(s.shape as Record<string, z.ZodType>).flatMap(([k, v]) => leafPaths(v, [...prefix, k]));
  }
  return [{ path: prefix, schema: s }];
}

function snake(key: string): string {
  return key.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toUpperCase();
}

function setPath(obj: Record<string, unknown>, path: string[], value: unknown): void {
  let cur = obj;
  for (const k of path.slice(0, -1)) {
    if (typeof cur[k] !== 'object' || cur[k] === null) cur[k] = {};
    cur = cur[k] as Record<string, unknown>;
  }
  cur[path[path.length - 1]!] = value;
}

function envValue(raw: string, s: z.ZodType): unknown {
  if (s instanceof z.ZodNumber) return raw.trim() === '' ? raw : Number(raw);
  if (s instanceof z.ZodBoolean) return raw === 'true' || raw === '1' ? true : raw === 'false' || raw === '0' ? false : raw;
  if (s instanceof z.ZodArray)
    return raw
      .split(',')
      .map((x) => x.trim())
      .filter(Boolean);
  return raw;
}

function describe(issue: z.core.$ZodIssue): string {
  const field = issue.path.length ? issue.path.join('.') : '(top level)';
  return `field '${field}': ${issue.message}`;
}

/**
 * Reads and validates a config file. `file` may be missing when `required` is false (defaults
 * and environment then apply). Overrides from the command line win over the environment, which
 * wins over the file.
 */
export function loadConfig<S extends z.ZodType>(
  schema: S,
  opts: { file?: string; required?: boolean; envPrefix: string; env?: NodeJS.ProcessEnv; overrides?: Record<string, unknown> },
): z.output<S> {
  let data: Record<string, unknown> = {};
  const where = opts.file ? `config ${opts.file}` : 'config';
  if (opts.file && existsSync(opts.file)) {
    let text: string;
    try {
      text = readFileSync(opts.file, 'utf8');
    } catch (e) {
      throw new ConfigError(`${where}: cannot read (${(e as Error).message}); check the path and its permissions`);
    }
    try {
      data = (parseYaml(text) as Record<string, unknown> | null) ?? {};
    } catch (e) {
      throw new ConfigError(`${where}: not valid YAML (${(e as Error).message.split('\n')[0]}); fix the syntax`);
    }
    if (typeof data !== 'object' || Array.isArray(data)) throw new ConfigError(`${where}: expected a mapping of fields at the top level`);
  } else if (opts.file && opts.required) {
    throw new ConfigError(`${where}: file not found; create it or pass --config <file>`);
  }
  const env = opts.env ?? process.env;
  for (const { path, schema: leaf } of leafPaths(schema)) {
    const name = `${opts.envPrefix}_${path.map(snake).join('_')}`;
    const v = env[name];
    if (v !== undefined) setPath(data, path, envValue(v, leaf));
  }
  for (const [k, v] of Object.entries(opts.overrides ?? {})) if (v !== undefined) setPath(data, k.split('.'), v);
  const r = schema.safeParse(data);
  if (!r.success) {
    const first = r.error.issues[0]!;
    const more = r.error.issues.length > 1 ? ` (and ${r.error.issues.length - 1} more)` : '';
    throw new ConfigError(`${where}: ${describe(first)}${more}`);
  }
  return r.data;
}

/** `host:port` with a numeric port, e.g. `0.0.0.0:7443` or `[::1]:7443`. */
export const hostPort = z
  .string()
  .regex(/^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+):\d{1,5}$/, { message: "expected host:port, e.g. '0.0.0.0:7443'" });
/** A DNS label, used for host and node names everywhere (certificates, NATS subjects, vm.host). */
export const dnsLabel = z.string().regex(/^[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/, {
  message: "expected a DNS label: letters, digits and '-', at most 63, no dots",
});
