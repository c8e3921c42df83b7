// The one error base class: an error raised on purpose carries a stable code from the catalogue
// (lib/error-catalogue.ts), which says what it means to the command line, the OAuth endpoints and the FHIR
// API. Subclasses (CodecError, MeterError, OAuthError, ...) name the layer and add what it needs.
import { ERROR_CATALOGUE, type ErrorCode, type ErrorMeaning } from './error-catalogue.ts';

export type { ErrorCode, ErrorMeaning } from './error-catalogue.ts';

export class GatewayError extends Error {
  readonly code: ErrorCode;

  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
  }

  get meaning(): ErrorMeaning {
    return ERROR_CATALOGUE[this.code];
  }
}

/** The exit code a command ends with after `err`: the catalogue's for a GatewayError, else 1 (a fault). */
export function exitCodeOf(err: unknown): 1 | 2 | 3 {
  return err instanceof GatewayError ? err.meaning.exit : 1;
}

/** The catalogue code a FHIR response status stands for (the FHIR API's errors are named by their status). */
export function fhirCodeOfStatus(status: number): ErrorCode {
  for (const [code, meaning] of Object.entries(ERROR_CATALOGUE) as Array<[ErrorCode, ErrorMeaning]>) {
    if (code.startsWith('ERR_FHIR_') && meaning.http === status) return code;
  }
  return status >= 500 ? 'ERR_FHIR_SERVER_ERROR' : 'ERR_FHIR_BAD_REQUEST';
}

/** The catalogue code of an OAuth error name (`invalid_grant` → ERR_OAUTH_INVALID_GRANT). */
export function oauthCode(error: string): ErrorCode {
  const code = `ERR_OAUTH_${error.toUpperCase()}`;
  if (!(code in ERROR_CATALOGUE)) throw new Error(`no catalogue entry for the OAuth error ${error}`);
  return code as ErrorCode;
}
