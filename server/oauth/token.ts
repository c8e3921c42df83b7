// The token endpoint: authorization_code (PKCE S256, exact redirect_uri) and refresh_token (rotation;
// a replayed refresh token revokes the whole grant). Every call re-checks the client in the directory
// and its certificate. The response carries `sub` = Pairing ID and the granted `scope` (HDDT).
import type { FastifyReply, FastifyRequest } from 'fastify';
import {
  activateGrant,
  getGrantStatus,
  getRefreshToken,
  markRefreshTokenRotated,
  type GrantStatusRow,
} from '../../gateway/store/oauth-grants.ts';
import { getCode, markCodeUsed } from '../../gateway/store/oauth-requests.ts';
import type { ServerServices } from '../services.ts';
import { appendPrivacyEvent } from '../audit/privacy-trail.ts';
import { authenticateClient } from './client-auth.ts';
import { systemClientToken } from './client-credentials.ts';
import type { DirectoryEntry } from './directory.ts';
import { noStore, OAuthError, requestParams } from './errors.ts';
import { endIfConsentExpired, unpair } from './pairing.ts';
import { formatScope, parseScope } from './scopes.ts';
import { hashSecret, safeEqual } from './secrets.ts';
import { systemClients } from './system-clients.ts';
import {
  CODE_VERIFIER_PATTERN,
  issueAccessToken,
  newRefreshToken,
  verifyPkceS256,
  type TokenResponse,
} from './tokens.ts';

function grantUsable(g: GrantStatusRow | undefined, nowMs: number): g is GrantStatusRow {
  return (
    g !== undefined &&
    g.revoked_ms === null &&
    g.pairing_revoked_ms === null &&
    g.expires_ms > nowMs &&
    g.consent_expires_ms > nowMs
  );
}

/** The registration may have shrunk since the consent: refuse scopes it no longer covers. */
function checkStillRegistered(entry: DirectoryEntry, scope: string): void {
  for (const s of scope.split(' ')) {
    if (!entry.scopes.includes(s)) {
      throw new OAuthError('invalid_grant', 'The DiGA registration no longer covers the granted scope');
    }
  }
}

function auditFailure(
  services: ServerServices,
  nowMs: number,
  clientId: string,
  reason: string,
  pairingId?: string,
) {
  appendPrivacyEvent(services.store, {
    event: 'unauthorized_access',
    outcome: 'failure',
    atMs: nowMs,
    clientId,
    pairingId: pairingId ?? null,
    reason: `token:${reason}`,
  });
}

async function codeGrant(
  services: ServerServices,
  entry: DirectoryEntry,
  params: Record<string, string>,
  nowMs: number,
): Promise<TokenResponse> {
  const { store } = services;
  const code = params.code;
  if (!code) throw new OAuthError('invalid_request', 'code is required');
  if (params.redirect_uri === undefined) throw new OAuthError('invalid_request', 'redirect_uri is required');
  if (params.code_verifier === undefined)
    throw new OAuthError('invalid_request', 'code_verifier is required');
  const hash = hashSecret(code);
  const row = getCode(store, hash);
  if (!row || !safeEqual(row.client_id, entry.clientId)) {
    auditFailure(services, nowMs, entry.clientId, 'code_unknown');
    throw new OAuthError(
      'invalid_grant',
      'The authorization code is invalid or was issued to another client',
    );
  }
  // Single use: whatever happens next, this code is spent. A second use revokes what it produced.
  if (!markCodeUsed(store, hash, nowMs)) {
    const g = getGrantStatus(store, row.grant_id);
    if (g) unpair(services, g.pairing_id, 'code_reuse');
    auditFailure(services, nowMs, entry.clientId, 'code_reuse', g?.pairing_id);
    throw new OAuthError('invalid_grant', 'The authorization code was already used');
  }
  if (row.expires_ms <= nowMs) throw new OAuthError('invalid_grant', 'The authorization code expired');
  if (params.redirect_uri !== row.redirect_uri) {
    throw new OAuthError('invalid_grant', 'redirect_uri differs from the authorization request');
  }
  if (
    !CODE_VERIFIER_PATTERN.test(params.code_verifier) ||
    !verifyPkceS256(params.code_verifier, row.code_challenge)
  ) {
    throw new OAuthError('invalid_grant', 'PKCE verification failed');
  }
  const grant = getGrantStatus(store, row.grant_id);
  if (grant) endIfConsentExpired(services, grant, nowMs);
  if (!grantUsable(grant, nowMs) || grant.activated_ms !== null) {
    throw new OAuthError('invalid_grant', 'The authorization is no longer valid');
  }
  checkStillRegistered(entry, grant.scope);
  const access = await issueAccessToken(services, grant, grant.scope, nowMs);
  const refresh = store.transaction(() => {
    activateGrant(store, grant.id, grant.pairing_id, nowMs);
    return newRefreshToken(services, grant, nowMs);
  });
  return {
    access_token: access.token,
    token_type: 'Bearer',
    expires_in: access.expiresIn,
    refresh_token: refresh,
    scope: grant.scope,
    sub: grant.pairing_id,
  };
}

async function refreshGrant(
  services: ServerServices,
  entry: DirectoryEntry,
  params: Record<string, string>,
  nowMs: number,
): Promise<TokenResponse> {
  const { store } = services;
  const token = params.refresh_token;
  if (!token) throw new OAuthError('invalid_request', 'refresh_token is required');
  const hash = hashSecret(token);
  const row = getRefreshToken(store, hash);
  if (!row || !safeEqual(row.client_id, entry.clientId)) {
    auditFailure(services, nowMs, entry.clientId, 'refresh_token_unknown');
    throw new OAuthError('invalid_grant', 'The refresh token is invalid or was issued to another client');
  }
  const grant = getGrantStatus(store, row.grant_id);
  if (row.rotated_ms !== null) {
    // RFC 9700 §4.14.2: a rotated refresh token seen again means one of two parties is an attacker.
    if (grant) unpair(services, grant.pairing_id, 'refresh_token_reuse');
    auditFailure(services, nowMs, entry.clientId, 'refresh_token_reuse', grant?.pairing_id);
    throw new OAuthError('invalid_grant', 'The refresh token was already used; the authorization is revoked');
  }
  // An expired consent ends the pairing here if the sweep has not yet (refresh tokens end with it).
  if (grant && endIfConsentExpired(services, grant, nowMs)) {
    throw new OAuthError('invalid_grant', 'The consent for this pairing has expired');
  }
  // Before the expiry check: revoking a chain also expires its refresh tokens, and it was revoked, not expired.
  if (grant && (grant.revoked_ms !== null || grant.pairing_revoked_ms !== null)) {
    throw new OAuthError('invalid_grant', 'The authorization was revoked');
  }
  if (row.expires_ms <= nowMs) throw new OAuthError('invalid_grant', 'The refresh token expired');
  if (!grantUsable(grant, nowMs) || grant.activated_ms === null) {
    throw new OAuthError('invalid_grant', 'The authorization was revoked or has ended');
  }
  checkStillRegistered(entry, grant.scope);
  let scope = grant.scope;
  if (params.scope !== undefined) {
    const requested = parseScope(params.scope);
    const granted = grant.scope.split(' ');
    if (!requested || requested.some((s) => !granted.includes(s))) {
      throw new OAuthError('invalid_scope', 'The requested scope exceeds the granted scope');
    }
    scope = formatScope(requested);
  }
  const refresh = store.transaction(() => {
    if (!markRefreshTokenRotated(store, hash, nowMs)) return undefined;
    return newRefreshToken(services, grant, nowMs);
  });
  if (refresh === undefined) {
    unpair(services, grant.pairing_id, 'refresh_token_reuse');
    throw new OAuthError('invalid_grant', 'The refresh token was already used; the authorization is revoked');
  }
  const access = await issueAccessToken(services, grant, scope, nowMs);
  return {
    access_token: access.token,
    token_type: 'Bearer',
    expires_in: access.expiresIn,
    refresh_token: refresh,
    scope,
    sub: grant.pairing_id,
  };
}

export async function tokenHandler(services: ServerServices, req: FastifyRequest, reply: FastifyReply) {
  const params = requestParams(req, req.body);
  // System clients (configuration, not the DiGA directory) get client_credentials and nothing else.
  const system = systemClients(services.config).get(params.client_id);
  if (system)
    return noStore(reply)
      .code(200)
      .send(await systemClientToken(services, req, params, system));
  const entry = await authenticateClient(services, req, params, 'token');
  const nowMs = services.clock.now().getTime();
  const grantType = params.grant_type;
  let body: TokenResponse;
  if (!grantType) throw new OAuthError('invalid_request', 'grant_type is required');
  if (grantType === 'authorization_code') {
    body = await codeGrant(services, entry, params, nowMs);
  } else if (grantType === 'refresh_token') {
    body = await refreshGrant(services, entry, params, nowMs);
  } else if (grantType === 'client_credentials') {
    // HDDT: only the authorization code flow (and its refresh) may be used by a DiGA.
    throw new OAuthError('unauthorized_client', `grant_type ${grantType} is not allowed for this client`);
  } else {
    // RFC 6749 §5.2: a grant type this server does not implement at all (password, implicit, device code...)
    throw new OAuthError('unsupported_grant_type', `grant_type ${grantType.slice(0, 64)} is not supported`);
  }
  return noStore(reply).code(200).send(body);
}
