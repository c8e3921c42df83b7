// THE contract for the resource server: verify a Bearer access token and tell who may see what.
// Verifies signature (ES256, our keys by kid), issuer, audience (the FHIR base URL, RFC 9068), exp and nbf,
// and then that the grant behind the token is still active (not revoked, consent not ended), so revocation
// takes effect immediately.
import { createHash } from 'node:crypto';
import {
  decodeProtectedHeader,
  errors as joseErrors,
  jwtVerify,
  type CryptoKey,
  type JWTPayload,
} from 'jose';
import { getGrantStatus } from '../../gateway/store/oauth-grants.ts';
import { fhirBaseUrl } from '../fhir/settings.ts';
import type { ServerServices } from '../services.ts';
import { endIfConsentExpired } from './pairing.ts';
import { mivsOfScopes } from './scopes.ts';

export interface AccessContext {
  /** Pairing ID (the token's `sub`); the only patient reference that may leave the gateway. */
  pairingId: string;
  /** Internal patient id: for filtering data; never put it into a response or a log. */
  patientId: string;
  clientId: string;
  grantId: string;
  scopes: string[];
  mivs: Array<'bloodGlucose' | 'cgm'>;
  /** Token expiry, epoch milliseconds. */
  expiresAt: number;
}

export type AccessTokenErrorCode =
  | 'token_missing'
  | 'token_malformed'
  | 'token_signature_invalid'
  | 'token_issuer_invalid'
  | 'token_expired'
  | 'token_not_yet_valid'
  | 'token_not_for_this_api'
  | 'grant_inactive';

export class AccessTokenError extends Error {
  readonly code: AccessTokenErrorCode;
  readonly description: string;
  constructor(code: AccessTokenErrorCode, description: string) {
    super(description);
    this.name = 'AccessTokenError';
    this.code = code;
    this.description = description;
  }
}

const JWT_SHAPE = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;

/**
 * Tokens whose signature and claims verified, by SHA-256 of the token (the raw token is no map key, so a
 * lookup compares digests, not secrets): a client sends the same token with every request, and the ES256
 * verification is most of a request's cost otherwise. A hit counts only while the token's key is still
 * the same key of this server, the issuer is unchanged and exp/nbf hold at `now` (checked as jose does);
 * anything else goes through jwtVerify again. The grant check below runs on every request regardless.
 */
interface VerifiedToken {
  key: CryptoKey;
  issuer: string;
  payload: Readonly<JWTPayload>;
}
const verifiedTokens = new WeakMap<ServerServices, Map<string, VerifiedToken>>();
const VERIFIED_TOKENS_MAX = 1024;

function stillValid(v: VerifiedToken, key: CryptoKey, issuer: string, now: Date): boolean {
  const nowSec = Math.floor(now.getTime() / 1000);
  const { exp, nbf } = v.payload;
  return (
    v.key === key &&
    v.issuer === issuer &&
    typeof exp === 'number' &&
    exp > nowSec &&
    (nbf === undefined || (typeof nbf === 'number' && nbf <= nowSec))
  );
}

/** RFC 7519 §4.1.3: `aud` is the audience or an array containing it. */
function forAudience(aud: JWTPayload['aud'], audience: string): boolean {
  return aud === audience || (Array.isArray(aud) && aud.includes(audience));
}

export async function verifyAccessToken(
  services: ServerServices,
  token: string,
  now: Date = services.clock.now(),
): Promise<AccessContext> {
  if (!token) throw new AccessTokenError('token_missing', 'No access token was sent');
  if (!JWT_SHAPE.test(token)) throw new AccessTokenError('token_malformed', 'Token is not a signed JWT');
  let kid: string | undefined;
  try {
    const header = decodeProtectedHeader(token);
    if (header.alg !== 'ES256')
      throw new AccessTokenError('token_signature_invalid', 'Token is not signed with ES256');
    if (header.typ !== 'at+jwt')
      throw new AccessTokenError('token_malformed', 'Token is not an access token');
    kid = header.kid;
  } catch (err) {
    if (err instanceof AccessTokenError) throw err;
    throw new AccessTokenError('token_malformed', 'Token is not a signed JWT');
  }
  const key = kid ? services.keys.publicKey(kid) : undefined;
  if (!key)
    throw new AccessTokenError('token_signature_invalid', 'Token was not signed by a key of this server');
  const issuer = services.config.server.issuer;
  const audience = fhirBaseUrl(services.config);
  let cache = verifiedTokens.get(services);
  if (!cache) verifiedTokens.set(services, (cache = new Map()));
  const digest = createHash('sha256').update(token).digest('base64url');
  const hit = cache.get(digest);
  let payload: Readonly<JWTPayload>;
  if (hit && stillValid(hit, key, issuer, now)) {
    payload = hit.payload;
  } else {
    cache.delete(digest);
    try {
      ({ payload } = await jwtVerify(token, key, {
        algorithms: ['ES256'],
        issuer,
        typ: 'at+jwt',
        currentDate: now,
        requiredClaims: ['iss', 'sub', 'exp', 'iat', 'jti'],
      }));
    } catch (err) {
      throw mapJoseError(err);
    }
    const entry: VerifiedToken = { key, issuer, payload: Object.freeze({ ...payload }) };
    if (stillValid(entry, key, issuer, now)) {
      cache.set(digest, entry);
      // insertion order: the oldest entry goes first
      if (cache.size > VERIFIED_TOKENS_MAX) cache.delete(cache.keys().next().value as string);
    }
  }
  // After the signature, issuer and time checks, so their errors keep precedence (HDDT's error table). Tokens
  // of system clients (operator API) have that API's audience, and no grant.
  if (!forAudience(payload.aud, audience)) {
    throw new AccessTokenError('token_not_for_this_api', 'The token was not issued for this FHIR API');
  }
  const scope = payload.scope;
  const grantId = payload.grant_id;
  const clientId = payload.client_id;
  if (typeof scope !== 'string' || typeof grantId !== 'string' || typeof clientId !== 'string') {
    throw new AccessTokenError('token_malformed', 'Token lacks scope, client_id or grant_id');
  }
  const grant = getGrantStatus(services.store, grantId);
  const nowMs = now.getTime();
  if (grant && grant.pairing_id === payload.sub && endIfConsentExpired(services, grant, nowMs)) {
    throw new AccessTokenError('grant_inactive', 'The authorization behind the token is no longer active');
  }
  if (
    !grant ||
    grant.revoked_ms !== null ||
    grant.activated_ms === null ||
    grant.pairing_revoked_ms !== null ||
    grant.expires_ms <= nowMs ||
    grant.consent_expires_ms <= nowMs ||
    grant.pairing_id !== payload.sub ||
    grant.client_id !== clientId
  ) {
    throw new AccessTokenError('grant_inactive', 'The authorization behind the token is no longer active');
  }
  const scopes = scope.split(' ').filter((s) => s.length > 0);
  return {
    pairingId: grant.pairing_id,
    patientId: grant.patient_id,
    clientId,
    grantId,
    scopes,
    mivs: mivsOfScopes(scopes),
    expiresAt: (payload.exp as number) * 1000,
  };
}

function mapJoseError(err: unknown): AccessTokenError {
  if (err instanceof joseErrors.JWTExpired)
    return new AccessTokenError('token_expired', 'The access token expired');
  if (err instanceof joseErrors.JWTClaimValidationFailed) {
    if (err.claim === 'iss') return new AccessTokenError('token_issuer_invalid', 'Invalid token issuer');
    if (err.claim === 'nbf' || err.claim === 'iat') {
      return new AccessTokenError('token_not_yet_valid', 'The access token is not yet valid');
    }
    return new AccessTokenError('token_malformed', `Token claim ${err.claim} is invalid`);
  }
  if (err instanceof joseErrors.JWSSignatureVerificationFailed) {
    return new AccessTokenError('token_signature_invalid', 'Token signature is invalid');
  }
  return new AccessTokenError('token_malformed', 'Token is not a signed JWT');
}
