// A stand-in DSR device management service for tests: its issuer keys (a JWKS, as the real service
// publishes), device tokens it would sign, and the deviceHealth of an iOS and an Android device.
import { createHash, X509Certificate } from 'node:crypto';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWK, type JWTPayload } from 'jose';

export const DSR_ISSUER = 'DSR GMS 1.0.0';

export interface DsrKey {
  kid: string;
  privateKey: CryptoKey;
  publicJwk: JWK;
}

export async function dsrKey(kid: string): Promise<DsrKey> {
  const { privateKey, publicKey } = await generateKeyPair('ES256', { extractable: true });
  const publicJwk = { ...(await exportJWK(publicKey)), kid, alg: 'ES256', use: 'sig' };
  return { kid, privateKey, publicJwk };
}

export function jwks(...keys: DsrKey[]): { keys: JWK[] } {
  return { keys: keys.map((k) => k.publicJwk) };
}

/** x5t#S256 of a PEM certificate (RFC 8705), as the DSR service binds a token to the device's mTLS certificate. */
export function thumbprintOf(certPem: string): string {
  return createHash('sha256').update(new X509Certificate(certPem).raw).digest('base64url');
}

export const iosHealth = (systemVersion = '17.4.1') => ({
  assertion: { counter: 1, rpID: 'rp-id', riskMetric: 'unavailable' },
  deviceAttributes: { systemName: 'iOS', systemVersion, systemModel: 'iPhone15,3' },
});

export const androidHealth = (securityPatch = '2025-03-05') => ({
  integrityVerdict: {
    appIntegrity: { packageName: 'de.example.diga', versionCode: 1 },
    deviceIntegrity: { deviceRecognitionVerdict: ['MEETS_DEVICE_INTEGRITY'] },
  },
  deviceAttributes: {
    build: { version: { sdkInt: 34, securityPatch }, manufacturer: 'Google', model: 'Pixel 8' },
    ro: { crypto: { state: true } },
  },
});

export interface DeviceTokenOptions {
  /** Signing key (default: `key`); its kid goes into the header unless `kid` says otherwise. */
  signWith?: DsrKey;
  kid?: string;
  iss?: string;
  iatSec?: number;
  expSec?: number;
  /** The cnf claim; null leaves it out. */
  cnf?: Record<string, unknown> | null;
  type?: string;
  deviceHealth?: Record<string, unknown>;
}

/** A device token as the DSR service signs it, for the device whose certificate has `thumbprint`. */
export async function deviceToken(
  key: DsrKey,
  thumbprint: string,
  nowMs: number,
  o: DeviceTokenOptions = {},
): Promise<string> {
  const iat = o.iatSec ?? Math.floor(nowMs / 1000) - 60;
  const claims: JWTPayload = {
    type: o.type ?? 'ANDROID',
    deviceHealth: o.deviceHealth ?? androidHealth(),
  };
  if (o.cnf !== null) claims.cnf = o.cnf ?? { 'x5t#S256': thumbprint };
  return new SignJWT(claims)
    .setProtectedHeader({ alg: 'ES256', kid: o.kid ?? key.kid, typ: 'JWT' })
    .setIssuer(o.iss ?? DSR_ISSUER)
    .setSubject('device-registration-1')
    .setJti(crypto.randomUUID())
    .setIssuedAt(iat)
    .setExpirationTime(o.expSec ?? iat + 3600)
    .sign((o.signWith ?? key).privateKey);
}
