// The one verifier of this server's access tokens, for every API that takes them (the FHIR API, the operator
// API): compact JWS, ES256 with a key of this server (by kid), typ at+jwt, the configured issuer, exp/nbf, and
// the audience the calling API names. It reads no store and changes nothing: what a token's claims mean
// (a grant, a system client) is each API's policy. One instance per server, held in ServerServices.
import { GatewayError, type ErrorCode } from '../../lib/errors.ts';
import { createHash } from 'node:crypto';
import {
  decodeJwt,
  decodeProtectedHeader,
  errors as joseErrors,
  jwtVerify,
  type CryptoKey,
  type JWTPayload,
} from 'jose';
import type { GatewayConfig } from '../../config/types.ts';
import type { SigningKeys } from './keys.ts';

export type AccessTokenErrorCode =
  | 'token_missing'
  | 'token_malformed'
  | 'token_signature_invalid'
  | 'token_issuer_invalid'
  | 'token_expired'
  | 'token_not_yet_valid'
  | 'token_not_for_this_api'
  | 'grant_inactive';

/** Why a token is refused: `reason` is the PDP's violation name, `code` its catalogue entry (ERR_TOKEN_…). */
export class AccessTokenError extends GatewayError {
  readonly reason: AccessTokenErrorCode;
  readonly description: string;
  constructor(reason: AccessTokenErrorCode, description: string) {
    super(`ERR_${reason.toUpperCase()}` as ErrorCode, description);
    this.reason = reason;
    this.description = description;
  }
}

/** A JWS in compact serialization: three base64url parts. */
export const JWT_SHAPE = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;
const CACHE_MAX = 1024;

interface Verified {
  key: CryptoKey;
  issuer: string;
  payload: Readonly<JWTPayload>;
}

function stillValid(v: Verified, key: CryptoKey, issuer: string, now: Date): boolean {
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

function mapJoseError(err: unknown): AccessTokenError {
  if (err instanceof joseErrors.JWTExpired) {
    return new AccessTokenError('token_expired', 'The access token expired');
  }
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

/**
 * When to check a token presented for revocation (RFC 7009): now, or just before its exp if it has expired
 * (an expired token of ours may still be revoked); undefined when the token has no readable exp.
 */
export function revocationCheckTime(token: string, now: Date): Date | undefined {
  let exp: unknown;
  try {
    exp = decodeJwt(token).exp;
  } catch {
    return undefined;
  }
  return typeof exp === 'number' ? new Date(Math.min(now.getTime(), exp * 1000 - 1000)) : undefined;
}

export class AccessTokenVerifier {
  /**
   * Tokens whose signature and claims verified, by SHA-256 of the token (the raw token is no map key, so a
   * lookup compares digests, not secrets): a client sends the same token with every request, and the ES256
   * verification is most of a request's cost otherwise. A hit counts only while the token's key is still
   * the same key of this server, the issuer is unchanged and exp/nbf hold at `now` (checked as jose does);
   * anything else goes through jwtVerify again. The audience is checked on every call.
   */
  private readonly verified = new Map<string, Verified>();

  private readonly keys: SigningKeys;
  private readonly config: GatewayConfig;

  constructor(keys: SigningKeys, config: GatewayConfig) {
    this.keys = keys;
    this.config = config;
  }

  /** The claims of a token of this server for `audience`, valid at `now`; else an AccessTokenError. */
  async verify(token: string, audience: string, now: Date): Promise<Readonly<JWTPayload>> {
    if (!token) throw new AccessTokenError('token_missing', 'No access token was sent');
    if (!JWT_SHAPE.test(token)) throw new AccessTokenError('token_malformed', 'Token is not a signed JWT');
    const key = this.keyOf(token);
    // The issuer is read at each call: it is configuration (tests set it once the port is known).
    const issuer = this.config.server.issuer;
    const digest = createHash('sha256').update(token).digest('base64url');
    const hit = this.verified.get(digest);
    let payload: Readonly<JWTPayload>;
    if (hit && stillValid(hit, key, issuer, now)) {
      payload = hit.payload;
    } else {
      this.verified.delete(digest);
      payload = await this.jwtVerify(token, key, issuer, now);
      const entry: Verified = { key, issuer, payload };
      if (stillValid(entry, key, issuer, now)) {
        this.verified.set(digest, entry);
        // insertion order: the oldest entry goes first
        if (this.verified.size > CACHE_MAX) this.verified.delete(this.verified.keys().next().value as string);
      }
    }
    // After signature, issuer and times, so their errors keep precedence (HDDT's error table).
    if (!forAudience(payload.aud, audience)) {
      throw new AccessTokenError('token_not_for_this_api', 'The token was not issued for this API');
    }
    return payload;
  }

  private keyOf(token: string): CryptoKey {
    let kid: string | undefined;
    try {
      const header = decodeProtectedHeader(token);
      if (header.alg !== 'ES256') {
        throw new AccessTokenError('token_signature_invalid', 'Token is not signed with ES256');
      }
      if (header.typ !== 'at+jwt')
        throw new AccessTokenError('token_malformed', 'Token is not an access token');
      kid = header.kid;
    } catch (err) {
      if (err instanceof AccessTokenError) throw err;
      throw new AccessTokenError('token_malformed', 'Token is not a signed JWT');
    }
    const key = kid ? this.keys.publicKey(kid) : undefined;
    if (!key) {
      throw new AccessTokenError('token_signature_invalid', 'Token was not signed by a key of this server');
    }
    return key;
  }

  private async jwtVerify(token: string, key: CryptoKey, issuer: string, now: Date): Promise<JWTPayload> {
    try {
      const { payload } = await jwtVerify(token, key, {
        algorithms: ['ES256'],
        issuer,
        typ: 'at+jwt',
        currentDate: now,
        requiredClaims: ['iss', 'sub', 'exp', 'iat', 'jti'],
      });
      return Object.freeze({ ...payload });
    } catch (err) {
      throw mapJoseError(err);
    }
  }
}
