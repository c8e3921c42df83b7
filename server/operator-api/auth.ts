// Access to the operator API, its PEP: a Bearer token issued by /token with client_credentials to a system
// client (audience = the operator API; the server's one token verifier checks it), not revoked at /revoke,
// presented over mTLS with that client's pinned and valid certificate; policy.ts decides. Anything else, DiGA
// access tokens included (their audience is the FHIR API), is 401 invalid_token; a valid token without the
// route's scope is 403 insufficient_scope (RFC 6750 §3.1).
import { GatewayError, type ErrorCode } from '../../lib/errors.ts';
import type { FastifyRequest } from 'fastify';
import { isSystemTokenRevoked } from '../../gateway/store/operator-api.ts';
import type { ServerServices } from '../services.ts';
import { peerCertificate } from '../shared/tls.ts';
import { systemClients } from '../oauth/system-clients.ts';
import { AccessTokenError } from '../oauth/token-verifier.ts';
import { bearerToken } from '../policy/pep.ts';
import { verifySystemToken, type SystemToken } from '../oauth/system-token.ts';
import { decideSystemAccess, type SystemAccess, type SystemAccessFacts } from './policy.ts';
import type { OperatorScope } from '../oauth/operator-scopes.ts';

export type { SystemAccess } from './policy.ts';
export type { SystemToken } from '../oauth/system-token.ts';

/** An operator API error answer: `error` names it (RFC 6750 style), the catalogue gives code and status. */
export class OperatorApiError extends GatewayError {
  readonly status: number;
  readonly error: OperatorApiErrorName;
  constructor(status: number, error: OperatorApiErrorName, description: string) {
    super(`ERR_OPERATOR_${error.toUpperCase()}` as ErrorCode, description);
    this.status = status;
    this.error = error;
  }
}

export type OperatorApiErrorName =
  | 'invalid_token'
  | 'insufficient_scope'
  | 'invalid_request'
  | 'not_found'
  | 'unknown_patient'
  | 'unknown_device'
  | 'server_error';

const invalid = (description: string) => new OperatorApiError(401, 'invalid_token', description);

/** The token checked by the server's one access-token verifier; its refusal is the operator API's 401. */
async function systemToken(services: ServerServices, token: string, now: Date): Promise<SystemToken> {
  try {
    return await verifySystemToken(services, token, now);
  } catch (err) {
    if (err instanceof AccessTokenError) throw invalid(err.description);
    throw err;
  }
}

/** The operator API's PEP: gathers the facts of the request and asks its policy. */
export async function verifySystemAccess(
  services: ServerServices,
  req: FastifyRequest,
): Promise<SystemAccess> {
  const now = services.clock.now();
  let token: SystemAccessFacts['token'];
  try {
    token = { ok: true, ...(await systemToken(services, bearerToken(req), now)) };
  } catch (err) {
    if (!(err instanceof OperatorApiError)) throw err;
    token = { ok: false, description: err.message };
  }
  const client = token.ok ? systemClients(services.config).get(token.clientId) : undefined;
  const cert = peerCertificate(req.raw.socket);
  const decision = decideSystemAccess({
    nowMs: now.getTime(),
    token,
    revoked: token.ok && isSystemTokenRevoked(services.store, token.jti),
    client: client ? { scopes: client.scopes } : null,
    certificate: cert
      ? {
          notBeforeMs: cert.notBeforeMs,
          notAfterMs: cert.notAfterMs,
          matchesPinned: client?.matchesCertificate(cert.der) ?? false,
        }
      : null,
  });
  if (!decision.allow) throw invalid(decision.description);
  return decision.access;
}

export function requireScope(access: SystemAccess, scope: OperatorScope): void {
  if (!access.scopes.includes(scope)) {
    throw new OperatorApiError(403, 'insufficient_scope', `This request needs the scope ${scope}`);
  }
}
