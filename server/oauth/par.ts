// Pushed authorization requests (RFC 9126) as HDDT profiles them: mTLS client authentication with the
// directory's certificate, exact redirect_uri, scopes within the registration and the offered MIVs,
// PKCE S256 only, no `request` (JAR) parameter. The request_uri is single-use and lives 90 s.
import type { FastifyReply, FastifyRequest } from 'fastify';
import { insertPar } from '../../gateway/store/oauth-requests.ts';
import type { ServerServices } from '../services.ts';
import { appendPrivacyEvent } from '../audit/privacy-trail.ts';
import { authenticateClient } from './client-auth.ts';
import { noStore, OAuthError, requestParams } from './errors.ts';
import { formatScope, mivOfScope, parseScope, supportedScopes } from './scopes.ts';
import { randomSecret } from './secrets.ts';
import { CODE_CHALLENGE_PATTERN } from './tokens.ts';
import type { DirectoryEntry } from './directory.ts';

export const REQUEST_URI_PREFIX = 'urn:ietf:params:oauth:request_uri:';

/** Checks a requested scope against the registration and the offered MIVs; returns it in canonical form. */
export function checkScope(
  services: ServerServices,
  entry: DirectoryEntry,
  value: string | undefined,
): string {
  if (value === undefined || value === '') throw new OAuthError('invalid_scope', 'scope is required');
  const scopes = parseScope(value);
  if (!scopes) throw new OAuthError('invalid_scope', 'scope is malformed');
  const offered = supportedScopes(services.config.server.mivs);
  for (const s of scopes) {
    if (!offered.includes(s))
      throw new OAuthError('invalid_scope', `Scope ${s} is not offered by this server`);
    if (!entry.scopes.includes(s))
      throw new OAuthError('invalid_scope', `Scope ${s} exceeds the DiGA registration`);
  }
  if (!scopes.some((s) => mivOfScope(s) !== undefined)) {
    throw new OAuthError('invalid_scope', 'scope must name at least one MIV (Observation scope)');
  }
  return formatScope(scopes);
}

export async function parHandler(services: ServerServices, req: FastifyRequest, reply: FastifyReply) {
  const params = requestParams(req, req.body);
  const entry = await authenticateClient(services, req, params, 'par');
  const now = services.clock.now().getTime();
  try {
    if (params.request !== undefined) {
      throw new OAuthError('request_not_supported', 'The request parameter (JAR) is not supported');
    }
    if (params.request_uri !== undefined)
      throw new OAuthError('invalid_request', 'request_uri must not be pushed');
    if (params.response_type === undefined)
      throw new OAuthError('invalid_request', 'response_type is required');
    if (params.response_type !== 'code') {
      throw new OAuthError('unsupported_response_type', 'Only response_type=code is supported');
    }
    const redirectUri = params.redirect_uri;
    if (!redirectUri) throw new OAuthError('invalid_request', 'redirect_uri is required');
    if (!entry.redirectUris.includes(redirectUri)) {
      throw new OAuthError('invalid_request', 'redirect_uri is not registered for this client');
    }
    const scope = checkScope(services, entry, params.scope);
    if (params.code_challenge_method !== 'S256') {
      throw new OAuthError('invalid_request', 'code_challenge_method must be S256');
    }
    const challenge = params.code_challenge;
    if (!challenge || !CODE_CHALLENGE_PATTERN.test(challenge)) {
      throw new OAuthError('invalid_request', 'code_challenge is missing or not a S256 challenge');
    }
    if (params.state !== undefined && params.state.length > 1024) {
      throw new OAuthError('invalid_request', 'state is too long');
    }
    const lifetime = services.config.server.oauth.parSeconds;
    const requestUri = `${REQUEST_URI_PREFIX}${randomSecret()}`;
    insertPar(services.store, {
      request_uri: requestUri,
      client_id: entry.clientId,
      redirect_uri: redirectUri,
      scope,
      state: params.state ?? null,
      code_challenge: challenge,
      created_ms: now,
      expires_ms: now + lifetime * 1000,
    });
    return noStore(reply).code(201).send({ request_uri: requestUri, expires_in: lifetime });
  } catch (err) {
    if (err instanceof OAuthError) {
      appendPrivacyEvent(services.store, {
        event: 'pairing_failed',
        outcome: 'failure',
        atMs: now,
        clientId: entry.clientId,
        reason: `par:${err.error}`,
      });
    }
    throw err;
  }
}
