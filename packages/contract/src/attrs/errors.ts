/** Why an attribute value was refused. */
export type AttrErrorCode =
  /** The value does not follow the attribute's syntax. */
  | 'ATTR_SYNTAX'
  /** The syntax is right but a number is out of its range (zero memory, a huge size...). */
  | 'ATTR_RANGE'
  /** Two parts of the value contradict each other (a duplicate MAC, `format=qcow2` on LVM...). */
  | 'ATTR_CONFLICT';

/**
 * A guest attribute value that drover cannot accept. The message names the attribute, quotes the
 * offending part and ends with a short summary of the accepted forms, so it can be shown to an
 * admin as is (`chdef`, `nodeadd`).
 */
export class AttrError extends Error {
  override readonly name = 'AttrError';
  readonly code: AttrErrorCode;
  /** The attribute, e.g. `vm.storage`. */
  readonly attribute: string;
  /** The whole value as given. */
  readonly value: string;
  /** The part of the value that was refused (equal to `value` when the whole is wrong). */
  readonly part: string;
  /** A short summary of the accepted forms. */
  readonly accepted: string;

  constructor(
    init: { code: AttrErrorCode; attribute: string; value: string; part?: string; problem: string; accepted: string },
    options?: { cause?: unknown },
  ) {
    const part = init.part ?? init.value;
    const where = part === init.value ? `'${init.value}'` : `'${part}' in '${init.value}'`;
    super(`${init.attribute}: ${where}: ${init.problem}; accepted: ${init.accepted}`, options);
    this.code = init.code;
    this.attribute = init.attribute;
    this.value = init.value;
    this.part = part;
    this.accepted = init.accepted;
  }
}
