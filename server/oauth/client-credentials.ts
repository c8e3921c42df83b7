// The client_credentials grant (RFC 6749 §4.4) for system clients only, authenticated like DiGA with
// tls_client_auth: client_id names a configured system client and the TLS certificate must be exactly its
// pinned one. The token is an ES256 JWT whose audience is the operator API: the FHIR API takes only tokens for
// its own base URL (and with a grant), the operator API only its own, so neither kind crosses over. No refresh
// token (RFC 6749 §4.4.3). HDDT's metadata does not announce this grant (docs/operator-api.md does).
import { randomUUID } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import { SignJWT } from 'jose';
import type { ServerServices } from '../services.ts';
import { operatorApiSettings, operatorAudience } from './operator-settings.ts';
import { peerCertificate } from '../shared/tls.ts';
import { refuseOtherClientCredentials } from './client-auth.ts';
import { OAuthError } from './errors.ts';
import { parseScope } from './scopes.ts';
import { systemCertificateProblem, type SystemClient } from './system-clients.ts';

export interface SystemTokenResponse {
  access_token: string;
  token_type: 'Bearer';
  expires_in: number;
  scope: string;
}

export function authenticateSystemClient(
  services: ServerServices,
  req: FastifyRequest,
  params: Record<string, string>,
  client: SystemClient,
): void {
  refuseOtherClientCredentials(req, params);
  const nowMs = services.clock.now().getTime();
  const problem = systemCertificateProblem(client, peerCertificate(req.raw.socket), nowMs);
  if (problem) throw new OAuthError('invalid_client', problem);
}

export async function systemClientToken(
  services: ServerServices,
  req: FastifyRequest,
  params: Record<string, string>,
  client: SystemClient,
): Promise<SystemTokenResponse> {
  authenticateSystemClient(services, req, params, client);
  const log = services.logger;
  if (!params.grant_type) throw new OAuthError('invalid_request', 'grant_type is required');
  if (params.grant_type !== 'client_credentials') {
    log.warn({ client_id: client.clientId }, 'system client asked for another grant type');
    throw new OAuthError(
      'unauthorized_client',
      `grant_type ${params.grant_type} is not allowed for this client`,
    );
  }
  let scopes = client.scopes;
  if (params.scope !== undefined) {
    const requested = parseScope(params.scope);
    if (!requested) throw new OAuthError('invalid_scope', 'scope is malformed');
    const beyond = requested.find((s) => !client.scopes.includes(s));
    if (beyond !== undefined) {
      throw new OAuthError('invalid_scope', `Scope ${beyond} is not allowed for this client`);
    }
    scopes = requested;
  }
  const scope = client.scopes.filter((s) => scopes.includes(s)).join(' ');
  const nowMs = services.clock.now().getTime();
  const iat = Math.floor(nowMs / 1000);
  const expiresIn = operatorApiSettings(services.config).accessTokenSeconds;
  const key = services.keys.active();
  const token = await new SignJWT({ scope, client_id: client.clientId })
    .setProtectedHeader({ alg: 'ES256', typ: 'at+jwt', kid: key.kid })
    .setIssuer(services.config.server.issuer)
    .setAudience(operatorAudience(services.config))
    .setSubject(client.clientId)
    .setJti(randomUUID())
    .setIssuedAt(iat)
    .setExpirationTime(iat + expiresIn)
    .sign(key.privateKey);
  log.info({ client_id: client.clientId, scope }, 'system client token issued');
  return { access_token: token, token_type: 'Bearer', expires_in: expiresIn, scope };
}
