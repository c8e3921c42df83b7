// OAuth error responses (RFC 6749 §5.2): JSON with `error` and `error_description`, never cached.
import { ERROR_CATALOGUE, type ErrorMeaning } from '../../lib/error-catalogue.ts';
import { GatewayError, oauthCode } from '../../lib/errors.ts';
import type { FastifyReply, FastifyRequest, FastifySchemaValidationError } from 'fastify';

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

export function sendOAuthError(reply: FastifyReply, err: OAuthError, retryAfterSeconds = 30): FastifyReply {
  noStore(reply).code(err.status).type('application/json');
  if (err.status === 503) reply.header('retry-after', String(retryAfterSeconds));
  return reply.send({ error: err.error, error_description: err.message });
}

/**
 * The request's parameters (`input`: its form body or query) as single strings, once the route's schema
 * (schemas.ts) checked them; what the schema refused is an invalid request naming the parameter.
 */
export function requestParams(req: FastifyRequest, input: unknown): Record<string, string> {
  const refused = req.validationError?.validation;
  if (refused) throw validationError(refused, input);
  return (input ?? {}) as Record<string, string>;
}

function validationError(refused: FastifySchemaValidationError[], input: unknown): OAuthError {
  const first = refused[0];
  const name = first?.instancePath.replace(/^\//, '') ?? '';
  if (!name) return new OAuthError('invalid_request', 'The request body must be form-encoded');
  const value = (input as Record<string, unknown>)[name];
  if (Array.isArray(value)) return new OAuthError('invalid_request', `Parameter ${name} is repeated`);
  if (first?.keyword === 'maxLength')
    return new OAuthError('invalid_request', `Parameter ${name} is too long`);
  return new OAuthError('invalid_request', `Parameter ${name} is malformed`);
}
