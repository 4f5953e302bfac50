/** Errors of the tables module. Nothing is written when one is thrown. */

export type TablesErrorCode =
  /** A value does not follow its attribute's syntax (the message names the accepted form). */
  | 'ATTR_INVALID'
  /** No such attribute, or one drover writes itself, or -p/-m on a single-valued attribute. */
  | 'ATTR_UNKNOWN'
  /** A value that must be unique (mac.mac, hosts.ip, vm.uuid) is already another node's. */
  | 'ATTR_CONFLICT'
  /** nodeadd of a node that exists (or of a name that is a group). */
  | 'NODE_EXISTS'
  /** A node name that is not a DNS label. */
  | 'NODE_NAME'
  /** No such table, or a table that cannot be written this way. */
  | 'TABLE_UNKNOWN'
  /** chtab's key does not name the table's key column, or its value is malformed. */
  | 'KEY_INVALID'
  /** chtab on a row of a node table whose node does not exist. */
  | 'NOT_FOUND';

/** One refused node (or, for chtab, row) and why: the message names the attribute and the accepted form. */
export interface Failure {
  readonly node: string;
  readonly message: string;
  /** The kind of refusal; ATTR_INVALID when absent. */
  readonly code?: TablesErrorCode;
}

export class TablesError extends Error {
  override readonly name = 'TablesError';
  readonly code: TablesErrorCode;
  /** `code` defaults to the first failure's. */
  constructor(
    code: TablesErrorCode | undefined,
    readonly failures: readonly Failure[],
    summary?: string,
  ) {
    super(summary ?? TablesError.summarise(failures));
    this.code = code ?? failures.find((f) => f.code)?.code ?? 'ATTR_INVALID';
  }

  static summarise(failures: readonly Failure[]): string {
    const nodes = new Set(failures.map((f) => f.node));
    return `${nodes.size === 1 ? `${[...nodes][0]} refused` : `${nodes.size} nodes refused`}; nothing was written`;
  }

  /**
   * `node: message` lines, at most `maxChars` characters in all: when they do not fit, the rest
   * is summarised in a last line (a rejected range of thousands of nodes usually repeats one reason).
   */
  lines(maxChars = 6000): string[] {
    const out: string[] = [];
    let used = 0;
    for (const [i, f] of this.failures.entries()) {
      const line = `${f.node}: ${f.message}`;
      if (used + line.length > maxChars && out.length > 0) {
        const rest = this.failures.slice(i);
        const nodes = new Set(rest.map((r) => r.node)).size;
        out.push(`... and ${rest.length} more error${rest.length === 1 ? '' : 's'} for ${nodes} more node${nodes === 1 ? '' : 's'}`);
        break;
      }
      out.push(line);
      used += line.length + 1;
    }
    return out;
  }
}
