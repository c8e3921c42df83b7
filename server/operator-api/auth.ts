// Access to the operator API: a Bearer token issued by /token with client_credentials to a system client
// (audience = the operator API), not revoked at /revoke, presented over mTLS with that client's pinned and
// valid certificate. Anything else, DiGA access tokens included (their audience is the FHIR API), is 401
// invalid_token; a valid token without the route's scope is 403 insufficient_scope (RFC 6750 §3.1).
import type { FastifyRequest } from 'fastify';
import { decodeProtectedHeader, jwtVerify } from 'jose';
import { isSystemTokenRevoked } from '../../gateway/store/operator-api.ts';
import type { ServerServices } from '../services.ts';
import { peerCertificate } from '../https.ts';
import { systemCertificateProblem, systemClients } from '../oauth/system-clients.ts';
import { bearerToken } from '../policy/pep.ts';
import { operatorAudience } from './settings.ts';
import type { OperatorScope } from './scopes.ts';

export class OperatorApiError extends Error {
  readonly status: number;
  readonly error: string;
  constructor(status: number, error: string, description: string) {
    super(description);
    this.name = 'OperatorApiError';
    this.status = status;
    this.error = error;
  }
}

export interface SystemAccess {
  clientId: string;
  scopes: string[];
}

const JWT_SHAPE = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;

const invalid = (description: string) => new OperatorApiError(401, 'invalid_token', description);

/** A verified operator API token: ours, for the operator API, issued to a system client. */
export interface SystemToken {
  clientId: string;
  scope: string;
  jti: string;
  /** Token expiry, epoch milliseconds. */
  expiresMs: number;
}

/** Signature (our keys), issuer, operator audience, typ and times at `now`; sub = client_id. No store access. */
export async function verifySystemToken(
  services: ServerServices,
  token: string,
  now: Date,
): Promise<SystemToken> {
  if (!token) throw invalid('No access token was sent');
  if (!JWT_SHAPE.test(token)) throw invalid('Token is not a signed JWT');
  let kid: string | undefined;
  try {
    kid = decodeProtectedHeader(token).kid;
  } catch {
    throw invalid('Token is not a signed JWT');
  }
  const key = kid ? services.keys.publicKey(kid) : undefined;
  if (!key) throw invalid('Token was not signed by a key of this server');
  let payload: Record<string, unknown>;
  try {
    ({ payload } = await jwtVerify(token, key, {
      algorithms: ['ES256'],
      issuer: services.config.server.issuer,
      audience: operatorAudience(services.config),
      typ: 'at+jwt',
      currentDate: now,
      requiredClaims: ['iss', 'aud', 'sub', 'exp', 'iat', 'jti'],
    }));
  } catch {
    throw invalid('The token is invalid, expired or not issued for the operator API');
  }
  const { client_id: clientId, scope, jti, exp } = payload;
  if (typeof clientId !== 'string' || typeof scope !== 'string' || payload.sub !== clientId) {
    throw invalid('The token is not a system client token');
  }
  return { clientId, scope, jti: jti as string, expiresMs: (exp as number) * 1000 };
}

export async function verifySystemAccess(
  services: ServerServices,
  req: FastifyRequest,
): Promise<SystemAccess> {
  const now = services.clock.now();
  const { clientId, scope, jti } = await verifySystemToken(services, bearerToken(req), now);
  // Revoked before it expired (RFC 7009 /revoke): the store says so on every request.
  if (isSystemTokenRevoked(services.store, jti)) throw invalid('The token was revoked');
  // Still configured, and the same certificate as at the token endpoint (pinned per request).
  const client = systemClients(services.config).get(clientId);
  if (!client) throw invalid('The client is no longer registered');
  const problem = systemCertificateProblem(client, peerCertificate(req.raw.socket), now.getTime());
  if (problem) throw invalid(problem);
  // Scopes withdrawn from the configuration since the token was issued no longer count.
  const scopes = scope.split(' ').filter((s) => s.length > 0 && client.scopes.includes(s));
  return { clientId, scopes };
}

export function requireScope(access: SystemAccess, scope: OperatorScope): void {
  if (!access.scopes.includes(scope)) {
    throw new OperatorApiError(403, 'insufficient_scope', `This request needs the scope ${scope}`);
  }
}
