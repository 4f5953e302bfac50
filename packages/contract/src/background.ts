/**
 * Work started and not awaited (a pump, a reconnect, a follow-up publish) goes through
 * {@link background}: its failure is logged with what it was, never left as an unhandled rejection
 * that would end the process. Lint (`no-floating-promises` with `ignoreVoid: false`) refuses any
 * other way of dropping a promise.
 */
export interface BackgroundLog {
  error(obj: object, msg: string): void;
}

export function background(what: string, task: Promise<unknown>, log?: BackgroundLog): void {
  task.catch((e: unknown) => {
    const err = e instanceof Error ? e.message : String(e);
    if (log) log.error({ err, task: what }, `${what} failed`);
    else process.emitWarning(`${what} failed: ${err}`);
  });
}
