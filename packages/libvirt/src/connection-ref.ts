/**
 * ConnectionRef: what a Domain, StoragePool or StorageVolume keeps of the Connection it came from.
 * Connection implements it; it is declared apart so that domain.ts and storage.ts need not import
 * connection.ts, which imports them to build its lookups' results.
 */
import type { ConnHandle } from './native';
import type { ConsoleStream } from './stream';

export interface ConnectionRef {
  /** @internal */ readonly handle: ConnHandle;
  /** Process-unique id of the connection. */
  readonly id: number;
  /** The URI it was opened with. */
  readonly uri: string;
  /** @internal Closes the console when the connection closes. */
  trackConsole(c: ConsoleStream): void;
}
