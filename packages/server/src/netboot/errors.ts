/**
 * Error classes of the netboot generators. Each has a stable `name` and `code` and carries the
 * context an admin needs to fix the input (node, field, file, line) as readonly fields.
 */

/** A node, network or site value that cannot be turned into a DHCP, hosts or boot entry. */
export class NetbootInputError extends Error {
  override readonly name = 'NetbootInputError';
  readonly code = 'NETBOOT_INVALID_INPUT';
  /** The node (or network, prefixed `network `) the value belongs to, when there is one. */
  readonly subject: string | undefined;
  /** The table-style field name, e.g. `mac.mac`, `hosts.ip`, `nodetype.os`. */
  readonly field: string;
  readonly value: unknown;
  /** Human-readable description of what is accepted. */
  readonly accepted: string;

  constructor(opts: { subject?: string; field: string; value: unknown; accepted: string; detail?: string; cause?: unknown }) {
    const who = opts.subject ? `${opts.subject}: ` : '';
    const shown = typeof opts.value === 'string' ? `'${opts.value}'` : JSON.stringify(opts.value);
    const detail = opts.detail ? ` (${opts.detail})` : '';
    super(`${who}${opts.field} ${shown} is not valid${detail}; expected ${opts.accepted}`, { cause: opts.cause });
    this.subject = opts.subject;
    this.field = opts.field;
    this.value = opts.value;
    this.accepted = opts.accepted;
  }
}

/** Two nodes claim the same MAC, IP or name. */
export class NetbootConflictError extends Error {
  override readonly name = 'NetbootConflictError';
  readonly code = 'NETBOOT_CONFLICT';
  constructor(
    readonly field: string,
    readonly value: string,
    readonly nodes: readonly [string, string],
    readonly file?: string,
  ) {
    super(`${field} ${value} is claimed by both ${nodes[0]} and ${nodes[1]}${file ? ` in ${file}` : ''}`);
  }
}

/** The drover markers in a configuration file are missing a partner, duplicated or interleaved. */
export class ManagedBlockError extends Error {
  override readonly name = 'ManagedBlockError';
  readonly code = 'NETBOOT_MANAGED_BLOCK';
  constructor(
    readonly file: string,
    readonly line: number,
    readonly problem: string,
  ) {
    super(`${file}:${line}: ${problem}`);
  }
}

/** A reload (or syntax-check) command failed, timed out or could not be started. */
export class ReloadError extends Error {
  override readonly name = 'ReloadError';
  readonly code = 'NETBOOT_RELOAD_FAILED';
  constructor(
    readonly argv: readonly string[],
    readonly exitCode: number | null,
    readonly signal: string | null,
    readonly stderr: string,
    message: string,
    cause?: unknown,
  ) {
    super(message, { cause });
  }
}
