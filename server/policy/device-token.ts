// The PEP's structural check of a device token (gematik DSR, ../shared/spec/hddt.md §4.5b) before the PDP
// sees it: a JWT signed by a configured DSR issuer key (JWKS file or https:// URL, cached for a bounded
// time), an accepted `iss`, valid `iat`/`exp`, and `cnf.x5t#S256` equal to the thumbprint of the request's
// mTLS client certificate. The outcome is a fact for the PDP (deviceTokenValid + payload, or the named
// reason); the device rules themselves are the PDP's. docs/policy.md describes the token and the keys.
import fs from 'node:fs';
import {
  createLocalJWKSet,
  createRemoteJWKSet,
  customFetch,
  errors as joseErrors,
  jwtVerify,
  type FetchImplementation,
  type JSONWebKeySet,
  type JWTPayload,
  type JWTVerifyGetKey,
} from 'jose';
import { ConfigError, dataPath } from '../../config/load.ts';
import type { GatewayConfig } from '../../config/types.ts';
import { GatewayError } from '../../lib/errors.ts';
import type { Clock } from '../clock.ts';
import { fetchHttps } from '../oauth/fetch-https.ts';
import { safeEqual } from '../oauth/secrets.ts';
import { JWT_SHAPE } from '../oauth/token-verifier.ts';
import { policyConfig, type DeviceTokenTrust } from './policy-config.ts';

/** The claims of a DSR device token (what the PDP's device rules read). */
export interface DeviceTokenPayload extends JWTPayload {
  iss: string;
  iat: number;
  exp: number;
  cnf: { 'x5t#S256': string };
  /** `IOS` or `ANDROID`. */
  type: string;
  deviceHealth: Record<string, unknown>;
}

export type DeviceTokenErrorCode =
  | 'device_token_malformed'
  | 'device_token_key_unknown'
  | 'device_token_signature_invalid'
  | 'device_token_issuer_invalid'
  | 'device_token_expired'
  | 'device_token_not_yet_valid'
  | 'device_token_cnf_missing'
  | 'device_token_thumbprint_mismatch'
  | 'device_token_keys_unavailable';

/** The PDP's device fact: a verified payload, or why the token is not valid. */
export type DeviceTokenFact =
  | { deviceTokenValid: true; deviceTokenPayload: DeviceTokenPayload }
  | { deviceTokenValid: false; error: DeviceTokenErrorCode; error_description: string };

/** Device tokens longer than this are refused unread (an Android attestation payload is a few kB). */
export const DEVICE_TOKEN_MAX_CHARS = 16_384;
/** Asymmetric algorithms only: a DSR key is public, so an HMAC "signature" with it would prove nothing. */
const ALGORITHMS = ['ES256', 'ES384', 'ES512', 'PS256', 'PS384', 'PS512', 'RS256', 'RS384', 'RS512', 'EdDSA'];

const invalid = (error: DeviceTokenErrorCode, error_description: string): DeviceTokenFact => ({
  deviceTokenValid: false,
  error,
  error_description,
});

class KeysUnavailableError extends GatewayError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('ERR_KEYS_UNAVAILABLE', message, options);
  }
}

/** The key source's own failures (unreadable, unreachable, not a JWKS) are "keys unavailable", not "bad token". */
function guarded(keys: JWTVerifyGetKey): JWTVerifyGetKey {
  return async (header, token) => {
    try {
      return await keys(header, token);
    } catch (err) {
      if (
        err instanceof joseErrors.JWKSNoMatchingKey ||
        err instanceof joseErrors.JWKSMultipleMatchingKeys ||
        err instanceof KeysUnavailableError
      ) {
        throw err;
      }
      throw new KeysUnavailableError(`DSR issuer keys unavailable: ${(err as Error).message}`);
    }
  };
}

/** A JWKS file, read again when the cached copy is older than `cacheSeconds` (by the server clock). */
function fileKeys(file: string, cacheSeconds: number, clock: Clock): JWTVerifyGetKey {
  let keys: JWTVerifyGetKey | undefined;
  let loadedMs = 0;
  return (header, token) => {
    const now = clock.now().getTime();
    if (!keys || now - loadedMs >= cacheSeconds * 1000) {
      try {
        keys = createLocalJWKSet(JSON.parse(fs.readFileSync(file, 'utf8')) as JSONWebKeySet);
        loadedMs = now;
      } catch (err) {
        // A stale copy is not used: keys past their lifetime may have been withdrawn.
        keys = undefined;
        throw new KeysUnavailableError(`DSR issuer keys ${file} cannot be read: ${(err as Error).message}`);
      }
    }
    return keys(header, token);
  };
}

/** An https:// JWKS, through jose's remote set (refetched when stale or when a new kid appears). */
function urlKeys(url: string, trust: DeviceTokenTrust, ca: string | null): JWTVerifyGetKey {
  const fetchJwks: FetchImplementation = async (href, options) => {
    const body = await fetchHttps(href, {
      ca,
      timeoutMs: trust.timeoutMs,
      maxBytes: 1024 * 1024,
      signal: options.signal,
    });
    return new Response(body, { status: 200, headers: { 'content-type': 'application/json' } });
  };
  return createRemoteJWKSet(new URL(url), {
    cacheMaxAge: trust.cacheSeconds * 1000,
    timeoutDuration: trust.timeoutMs,
    cooldownDuration: Math.min(30_000, trust.cacheSeconds * 1000),
    [customFetch]: fetchJwks,
  });
}

function mapJoseError(err: unknown): DeviceTokenFact {
  if (err instanceof joseErrors.JWKSNoMatchingKey || err instanceof joseErrors.JWKSMultipleMatchingKeys) {
    return invalid('device_token_key_unknown', 'The device token was not signed by a known DSR issuer key');
  }
  if (err instanceof joseErrors.JWSSignatureVerificationFailed) {
    return invalid('device_token_signature_invalid', 'The device token signature is invalid');
  }
  if (err instanceof joseErrors.JWTExpired) {
    return invalid('device_token_expired', 'The device token expired');
  }
  if (err instanceof joseErrors.JWTClaimValidationFailed) {
    if (err.claim === 'iss') {
      return invalid(
        'device_token_issuer_invalid',
        'The device token was not issued by an accepted DSR issuer',
      );
    }
    if (err.claim === 'nbf' || err.claim === 'iat') {
      return invalid('device_token_not_yet_valid', 'The device token is not yet valid');
    }
    return invalid('device_token_malformed', `Device token claim ${err.claim} is missing or invalid`);
  }
  if (err instanceof KeysUnavailableError) {
    return invalid('device_token_keys_unavailable', 'The DSR issuer keys cannot be consulted');
  }
  if (err instanceof joseErrors.JOSEError) {
    return invalid('device_token_malformed', 'The device token is not a signed JWT');
  }
  throw err;
}

/** The claims jwtVerify does not check: a future iat, the certificate binding, the DSR payload parts. */
function checkClaims(
  payload: JWTPayload,
  thumbprint: string | undefined,
  nowMs: number,
  toleranceSeconds: number,
): DeviceTokenFact {
  if (typeof payload.iat === 'number' && payload.iat * 1000 > nowMs + toleranceSeconds * 1000) {
    return invalid('device_token_not_yet_valid', 'The device token was issued in the future');
  }
  const cnf = payload.cnf as Record<string, unknown> | undefined;
  const bound = typeof cnf === 'object' && cnf !== null ? cnf['x5t#S256'] : undefined;
  if (typeof bound !== 'string' || bound.length === 0) {
    return invalid(
      'device_token_cnf_missing',
      'The device token is not bound to a certificate (cnf.x5t#S256)',
    );
  }
  if (thumbprint === undefined || !safeEqual(bound, thumbprint)) {
    return invalid(
      'device_token_thumbprint_mismatch',
      'The device token is bound to another certificate than the one of this connection',
    );
  }
  const { type, deviceHealth } = payload as Partial<DeviceTokenPayload>;
  if (typeof type !== 'string' || typeof deviceHealth !== 'object' || deviceHealth === null) {
    return invalid('device_token_malformed', 'The device token lacks type or deviceHealth');
  }
  return { deviceTokenValid: true, deviceTokenPayload: payload as DeviceTokenPayload };
}

export interface DeviceTokenVerifierOptions {
  /** The JWKS file (absolute) or https:// URL; null = no keys, so every device token is refused. */
  jwks: string | null;
  /** Extra CA certificate (PEM) for an https:// JWKS. */
  ca?: string | null;
  clock: Clock;
}

/** Verifies device tokens against the configured DSR issuer keys. One per server (it holds the key cache). */
export class DeviceTokenVerifier {
  private readonly keys: JWTVerifyGetKey | undefined;

  private readonly trust: DeviceTokenTrust;

  constructor(trust: DeviceTokenTrust, opts: DeviceTokenVerifierOptions) {
    this.trust = trust;
    if (opts.jwks === null) this.keys = undefined;
    else if (/^https:\/\//i.test(opts.jwks)) this.keys = guarded(urlKeys(opts.jwks, trust, opts.ca ?? null));
    else this.keys = guarded(fileKeys(opts.jwks, trust.cacheSeconds, opts.clock));
  }

  /**
   * The fact for one presented token; `thumbprint` is the request's client certificate's x5t#S256
   * (undefined without one). Never throws for a bad token: each failure is a named reason.
   */
  async verify(token: string, thumbprint: string | undefined, now: Date): Promise<DeviceTokenFact> {
    if (token.length > DEVICE_TOKEN_MAX_CHARS || !JWT_SHAPE.test(token)) {
      return invalid('device_token_malformed', 'The device token is not a signed JWT');
    }
    if (!this.keys) return invalid('device_token_keys_unavailable', 'No DSR issuer keys are configured');
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, this.keys, {
        algorithms: ALGORITHMS,
        issuer: this.trust.issuers,
        currentDate: now,
        clockTolerance: this.trust.clockToleranceSeconds,
        requiredClaims: ['iss', 'iat', 'exp'],
      }));
    } catch (err) {
      return mapJoseError(err);
    }
    return checkClaims(payload, thumbprint, now.getTime(), this.trust.clockToleranceSeconds);
  }
}

/** The verifier of this configuration (`policy.device.trust`); an unreadable caFile stops start-up. */
export function deviceTokenVerifier(config: GatewayConfig, clock: Clock): DeviceTokenVerifier {
  const trust = policyConfig(config).device.trust;
  const isUrl = trust.jwks !== null && /^https:\/\//i.test(trust.jwks);
  const jwks = trust.jwks === null || isUrl ? trust.jwks : dataPath(config, trust.jwks);
  let ca: string | null = null;
  if (trust.caFile) {
    try {
      ca = fs.readFileSync(dataPath(config, trust.caFile), 'utf8');
    } catch (err) {
      throw new ConfigError(`policy.device.trust.caFile cannot be read: ${(err as Error).message}`);
    }
  }
  return new DeviceTokenVerifier(trust, { jwks, ca, clock });
}
