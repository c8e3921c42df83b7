// Token issuing: ES256 access-token JWTs (RFC 9068: typ at+jwt, aud = the FHIR base URL they are for) and
// opaque refresh tokens that are stored only as SHA-256 hashes, live 30 days and are rotated on every use.
import { createHash, randomUUID } from 'node:crypto';
import { SignJWT } from 'jose';
import { insertRefreshToken, type GrantRow } from '../../gateway/store/oauth-grants.ts';
import { fhirBaseUrl } from '../shared/fhir-settings.ts';
import type { ServerServices } from '../services.ts';
import { hashSecret, randomSecret, safeEqual } from './secrets.ts';

export interface TokenResponse {
  access_token: string;
  token_type: 'Bearer';
  expires_in: number;
  refresh_token: string;
  scope: string;
  /** The Pairing ID (HDDT). */
  sub: string;
}

export type TokenGrant = Pick<GrantRow, 'id' | 'pairing_id' | 'client_id' | 'scope' | 'expires_ms'>;

export async function issueAccessToken(
  services: ServerServices,
  grant: TokenGrant,
  scope: string,
  nowMs: number,
): Promise<{ token: string; expiresIn: number }> {
  const key = services.keys.active();
  const iat = Math.floor(nowMs / 1000);
  // Never beyond the consent: a token outliving the consent would be valid without it.
  const expiresIn = Math.max(
    1,
    Math.min(services.config.server.oauth.accessTokenSeconds, Math.floor((grant.expires_ms - nowMs) / 1000)),
  );
  const token = await new SignJWT({ scope, client_id: grant.client_id, grant_id: grant.id })
    .setProtectedHeader({ alg: 'ES256', typ: 'at+jwt', kid: key.kid })
    .setIssuer(services.config.server.issuer)
    .setAudience(fhirBaseUrl(services.config))
    .setSubject(grant.pairing_id)
    .setJti(randomUUID())
    .setIssuedAt(iat)
    .setExpirationTime(iat + expiresIn)
    .sign(key.privateKey);
  return { token, expiresIn };
}

/** A new refresh token for the grant (the caller runs this inside the transaction that rotates the old). */
export function newRefreshToken(services: ServerServices, grant: TokenGrant, nowMs: number): string {
  const token = randomSecret();
  const lifetimeMs = services.config.server.oauth.refreshTokenDays * 86_400_000;
  insertRefreshToken(services.store, {
    token_hash: hashSecret(token),
    grant_id: grant.id,
    client_id: grant.client_id,
    created_ms: nowMs,
    expires_ms: Math.min(nowMs + lifetimeMs, grant.expires_ms),
  });
  return token;
}

/** PKCE S256 (RFC 7636 §4.6): BASE64URL(SHA256(ASCII(code_verifier))) == code_challenge. */
export function verifyPkceS256(codeVerifier: string, codeChallenge: string): boolean {
  const computed = createHash('sha256').update(codeVerifier, 'ascii').digest('base64url');
  return safeEqual(computed, codeChallenge);
}

/** RFC 7636 §4.1: 43..128 characters of [A-Z a-z 0-9 - . _ ~]. */
export const CODE_VERIFIER_PATTERN = /^[A-Za-z0-9\-._~]{43,128}$/;
/** An S256 challenge is the base64url of 32 bytes: 43 characters. */
export const CODE_CHALLENGE_PATTERN = /^[A-Za-z0-9\-_]{43}$/;
