/**
 * Why a host configuration file could not be planned or edited. Every error names the file it is
 * about (the system path, e.g. `/etc/xen/xend-config.sxp`) and, for syntax problems, the line.
 */
export type HostConfigErrorCode =
  /** The file does not parse (unbalanced parentheses, unterminated string or list...). */
  | 'syntax'
  /** The file parses but lacks something the edit needs (e.g. no Xen boot entry). */
  | 'missing-entry'
  /** The file itself does not exist and the edit does not create it. */
  | 'missing-file'
  /** The caller asked for something that cannot be written safely (bad address, empty allow-list...). */
  | 'invalid-option'
  /** The file uses a construct drover will not edit blindly (e.g. a variable built from itself). */
  | 'unsupported'
  /** The path would land outside the root directory. */
  | 'outside-root';

export class HostConfigError extends Error {
  override readonly name = 'HostConfigError';
  readonly code: HostConfigErrorCode;
  /** System path of the file concerned, when there is one. */
  readonly file: string | undefined;
  /** 1-based line number, for syntax errors and missing entries located in a file. */
  readonly line: number | undefined;

  constructor(code: HostConfigErrorCode, message: string, context: { file?: string; line?: number; cause?: unknown } = {}) {
    const where = context.file ? `${context.file}${context.line ? `:${context.line}` : ''}: ` : '';
    super(`${where}${message}`, context.cause === undefined ? undefined : { cause: context.cause });
    this.code = code;
    this.file = context.file;
    this.line = context.line;
  }
}
