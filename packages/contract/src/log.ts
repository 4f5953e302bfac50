import type pinoType from 'pino';

export type Logger = pinoType.Logger;

/**
 * One logger per component, pino JSON lines to stderr (stdout belongs to command output).
 * Child loggers carry `op` (operation id), `node` and `host` on every line of an operation.
 */
export function createLogger(component: string, opts: { level?: string; destination?: number | string } = {}): Logger {
  const level = opts.level ?? process.env.DROVER_LOG_LEVEL ?? 'info';
  const pino = require('pino') as typeof pinoType;
  const dest = pino.destination({ dest: opts.destination ?? 2, sync: true });
  return pino({ level, base: { component, pid: process.pid }, timestamp: pino.stdTimeFunctions.isoTime }, dest);
}
