/** Why a guest spec (or a domain XML to change) was refused. */
export type SpecErrorCode = 'SPEC_INVALID' | 'SPEC_UNSUPPORTED' | 'DOMAIN_XML_INVALID';

/**
 * A guest spec drover will not turn into domain XML. `field` is the path of the offending field
 * (`name`, `nics[1].mac`, `disks[0].target`), so a caller can point at the attribute behind it.
 */
export class SpecError extends Error {
  override readonly name = 'SpecError';
  readonly code: SpecErrorCode;
  readonly field: string;
  readonly value: unknown;

  constructor(code: SpecErrorCode, field: string, value: unknown, problem: string, options?: { cause?: unknown }) {
    super(`${field}: ${problem}${value === undefined ? '' : ` (got ${show(value)})`}`, options);
    this.code = code;
    this.field = field;
    this.value = value;
  }
}

function show(value: unknown): string {
  try {
    const text = JSON.stringify(value) ?? String(value);
    return text.length > 80 ? `${text.slice(0, 77)}...` : text;
  } catch {
    return String(value);
  }
}
