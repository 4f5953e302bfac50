/** Why a storage request was refused. */
export type StorageErrorCode = 'STORAGE_INVALID' | 'PATH_NOT_ALLOWED';

/** A storage input drover refuses; `field` names the offending input (`iqn`, `portal`, `capacityBytes`, `path`). */
export class StorageError extends Error {
  override readonly name = 'StorageError';
  readonly code: StorageErrorCode;
  readonly field: string;
  readonly value: unknown;

  constructor(code: StorageErrorCode, field: string, value: unknown, problem: string, options?: { cause?: unknown }) {
    super(`${field}: ${problem} (got ${show(value)})`, options);
    this.code = code;
    this.field = field;
    this.value = value;
  }
}

export function invalid(field: string, value: unknown, problem: string): never {
  throw new StorageError('STORAGE_INVALID', field, value, problem);
}

function show(value: unknown): string {
  try {
    const text = JSON.stringify(value) ?? String(value);
    return text.length > 80 ? `${text.slice(0, 77)}...` : text;
  } catch {
    return String(value);
  }
}
