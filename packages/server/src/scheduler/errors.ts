/** Errors the scheduler throws for input it cannot plan on (bad snapshot or policy). */

export type SchedulerErrorCode = 'DUPLICATE_HOST' | 'DUPLICATE_GUEST' | 'DUPLICATE_IN_FLIGHT' | 'UNKNOWN_HOST' | 'BAD_POLICY';

export class SchedulerError extends Error {
  override readonly name = 'SchedulerError';
  constructor(
    readonly code: SchedulerErrorCode,
    message: string,
    /** The host, guest or policy field the error is about. */
    readonly subject: string,
  ) {
    super(message);
  }
}
