/** A PKI failure: a bad name, key, CSR or certificate subject. */
export class PkiError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'PkiError';
  }
}
