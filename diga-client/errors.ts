// The reference client's failures, with stable codes a caller (CLI, demo, tests) can branch on.
// Messages never carry tokens, codes or passwords.
import { GatewayError, type ErrorCode } from '../lib/errors.ts';
export type DigaClientErrorCode =
  /** No tokens stored: run the pairing first. */
  | 'not_paired'
  /** The grant is gone (revoked by the patient or the gateway, or expired): pair again. */
  | 'grant_revoked'
  /** Login, TOTP or consent on the patient pages did not go through. */
  | 'login_failed'
  /** The authorization server answered the authorization with an error (e.g. consent denied). */
  | 'authorization_failed'
  /** The server broke the protocol or answered unexpectedly. */
  | 'protocol'
  /** Bad settings (files, URLs, options). */
  | 'settings';

/** A failure of the reference client: `reason` says what happened, `code` is its catalogue entry (ERR_DIGA_…). */
export class DigaClientError extends GatewayError {
  readonly reason: DigaClientErrorCode;
  /** The HTTP status of a refused request, when there was one. */
  readonly httpStatus?: number;
  constructor(
    reason: DigaClientErrorCode,
    message: string,
    options?: { cause?: unknown; httpStatus?: number },
  ) {
    super(`ERR_DIGA_${reason.toUpperCase()}` as ErrorCode, message, options);
    this.reason = reason;
    if (options?.httpStatus !== undefined) this.httpStatus = options.httpStatus;
  }
}
