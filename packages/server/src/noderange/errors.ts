/**
 * The one error class of the noderange module. `code` is stable (the server maps it to a gRPC
 * status, the CLI to a message); the message names the offending text and the accepted form.
 */
export type NoderangeErrorCode =
  /** The expression (or a line of a ^file) is malformed; `position` is set. */
  | 'NODERANGE_SYNTAX'
  /** `requireKnown` was set and some names are neither nodes nor groups; `names` lists them. */
  | 'NODERANGE_UNKNOWN'
  /** A range, a pattern, the whole expansion, the input or the nesting is over a limit (see limits.ts). */
  | 'NODERANGE_TOO_LARGE'
  /** A ^file could not be read (the reader's error is the `cause`). */
  | 'NODERANGE_FILE'
  /** The expression uses a form the caller's context cannot serve (selectors without `attr`, ^file without `readFile`). */
  | 'NODERANGE_UNSUPPORTED';

export class NoderangeError extends Error {
  override readonly name = 'NoderangeError';
  readonly code: NoderangeErrorCode;
  /** 0-based offset into the expression the error refers to (the message counts columns from 1). */
  readonly position?: number;
  /** The names concerned (NODERANGE_UNKNOWN: every unknown name, naturally sorted). */
  readonly names?: readonly string[];

  constructor(code: NoderangeErrorCode, message: string, opts: { position?: number; names?: readonly string[]; cause?: unknown } = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.code = code;
    if (opts.position !== undefined) this.position = opts.position;
    if (opts.names !== undefined) this.names = opts.names;
  }
}
