// Token revocation (RFC 7009) as HDDT asks: revoking a refresh (or access) token ends the grant, every
// token of it and the stored consent of the Pairing ID. System clients revoke their own operator API tokens
// (system-revoke.ts). Unknown, invalid or foreign tokens get the same
// empty 200 (RFC 7009 §2.2), so the endpoint reveals nothing about other clients' tokens.
import type { FastifyReply, FastifyRequest } from 'fastify';
import { getGrantStatus, getRefreshToken } from '../../gateway/store/oauth-grants.ts';
import type { ServerServices } from '../services.ts';
import { AccessTokenError, verifyFhirToken } from './access.ts';
import { authenticateClient } from './client-auth.ts';
import { noStore, OAuthError, requestParams } from './errors.ts';
import { unpair } from './pairing.ts';
import { revocationCheckTime } from './token-verifier.ts';
import { hashSecret, safeEqual } from './secrets.ts';
import { systemClients } from './system-clients.ts';
import { revokeSystemClientToken } from './system-revoke.ts';

/** The Pairing ID of an access token of ours issued to `clientId` (its `sub`); undefined otherwise. */
async function pairingOfAccessToken(services: ServerServices, token: string, clientId: string) {
  const at = revocationCheckTime(token, services.clock.now());
  if (!at) return undefined;
  try {
    const claims = await verifyFhirToken(services, token, at);
    return safeEqual(claims.clientId, clientId) ? claims.pairingId : undefined;
  } catch (err) {
    if (err instanceof AccessTokenError) return undefined;
    throw err;
  }
}

export async function revokeHandler(services: ServerServices, req: FastifyRequest, reply: FastifyReply) {
  const params = requestParams(req, req.body);
  // System clients (configuration, not the DiGA directory) revoke their operator API tokens.
  const system = systemClients(services.config).get(params.client_id);
  if (system) {
    await revokeSystemClientToken(services, req, params, system);
    return noStore(reply).code(200).send();
  }
  const entry = await authenticateClient(services, req, params, 'revoke');
  const token = params.token;
  if (!token) throw new OAuthError('invalid_request', 'token is required');
  // token_type_hint only speeds up the lookup (§2.1); both kinds are searched whatever it says.
  let pairingId: string | undefined;
  const row = getRefreshToken(services.store, hashSecret(token));
  if (row && safeEqual(row.client_id, entry.clientId)) {
    pairingId = getGrantStatus(services.store, row.grant_id)?.pairing_id;
  } else if (!row && token.includes('.')) {
    pairingId = await pairingOfAccessToken(services, token, entry.clientId);
  }
  if (pairingId) unpair(services, pairingId, 'client_revoked');
  return noStore(reply).code(200).send();
}
