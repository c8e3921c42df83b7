// Token revocation (RFC 7009) for system clients: a system client authenticated with tls_client_auth (its
// pinned, valid certificate) revokes one of its own operator API access tokens before it expires. The
// revocation is stored by the token's jti until the token's exp, and the operator API refuses the token from
// then on. Unknown, invalid, expired or another client's tokens get the same empty 200 (RFC 7009 §2.2).
import type { FastifyRequest } from 'fastify';
import { revokeSystemToken } from '../../gateway/store/operator-api.ts';
import type { ServerServices } from '../services.ts';
import { authenticateSystemClient } from './client-credentials.ts';
import { OAuthError } from './errors.ts';
import { safeEqual } from './secrets.ts';
import { verifySystemToken, type SystemToken } from './system-token.ts';
import type { SystemClient } from './system-clients.ts';
import { AccessTokenError, revocationCheckTime } from './token-verifier.ts';

/** The token as ours for the operator API, checked at a time it was still valid; undefined otherwise. */
async function systemTokenOf(services: ServerServices, token: string): Promise<SystemToken | undefined> {
  const at = revocationCheckTime(token, services.clock.now());
  if (!at) return undefined;
  try {
    return await verifySystemToken(services, token, at);
  } catch (err) {
    if (err instanceof AccessTokenError) return undefined;
    throw err;
  }
}

export async function revokeSystemClientToken(
  services: ServerServices,
  req: FastifyRequest,
  params: Record<string, string>,
  client: SystemClient,
): Promise<void> {
  authenticateSystemClient(services, req, params, client);
  const token = params.token;
  if (!token) throw new OAuthError('invalid_request', 'token is required');
  const found = await systemTokenOf(services, token);
  const nowMs = services.clock.now().getTime();
  if (!found || !safeEqual(found.clientId, client.clientId) || found.expiresMs <= nowMs) return;
  revokeSystemToken(services.store, {
    jti: found.jti,
    client_id: client.clientId,
    revoked_ms: nowMs,
    expires_ms: found.expiresMs,
  });
  services.logger.info(
    { event: 'system_token_revoked', client_id: client.clientId },
    'system client token revoked',
  );
}
