// OAuth error responses (RFC 6749 §5.2): JSON with `error` and `error_description`, never cached.
import { ERROR_CATALOGUE, type ErrorMeaning } from '../../lib/error-catalogue.ts';
import { GatewayError, oauthCode } from '../../lib/errors.ts';
import type { FastifyReply } from 'fastify';

export type OAuthErrorCode =
  | 'invalid_request'
  | 'invalid_client'
  | 'invalid_grant'
  | 'unauthorized_client'
  | 'unsupported_grant_type'
  | 'unsupported_response_type'
  | 'invalid_scope'
  | 'invalid_request_uri'
  | 'request_not_supported'
  | 'access_denied'
  | 'server_error'
  | 'temporarily_unavailable';

/** An OAuth error answer; its code (ERR_OAUTH_…) and default status come from the error catalogue. */
export class OAuthError extends GatewayError {
  readonly error: OAuthErrorCode;
  readonly status: number;
  constructor(error: OAuthErrorCode, description: string, status?: number) {
    const code = oauthCode(error);
    super(code, description);
    this.error = error;
    this.status = status ?? (ERROR_CATALOGUE[code] as ErrorMeaning).http ?? 400;
  }
}

export function noStore(reply: FastifyReply): FastifyReply {
  return reply.header('cache-control', 'no-store').header('pragma', 'no-cache');
}

export function sendOAuthError(reply: FastifyReply, err: OAuthError): FastifyReply {
  noStore(reply).code(err.status).type('application/json');
  if (err.status === 503) reply.header('retry-after', '30');
  return reply.send({ error: err.error, error_description: err.message });
}

/** Form parameters as single strings; a repeated parameter is an invalid request (RFC 6749 §3.1). */
export function singleParams(body: unknown): Record<string, string> {
  if (body === undefined || body === null) return {};
  if (typeof body !== 'object')
    throw new OAuthError('invalid_request', 'The request body must be form-encoded');
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(body as Record<string, unknown>)) {
    if (Array.isArray(v)) throw new OAuthError('invalid_request', `Parameter ${k} is repeated`);
    if (typeof v !== 'string') throw new OAuthError('invalid_request', `Parameter ${k} is malformed`);
    if (v.length > 4096) throw new OAuthError('invalid_request', `Parameter ${k} is too long`);
    out[k] = v;
  }
  return out;
}
