// Certificate facts for the access checks, in one place. HDDT pins the exact client certificate (SHA-256 of
// the DER, no chain validation; self-signed is allowed), and a certificate counts only inside its validity
// window, whether it is presented in a handshake or registered in the DiGA directory or the configuration.
import { createHash, timingSafeEqual, X509Certificate } from 'node:crypto';
import type { CertificateWindow } from '../policy/pdp.ts';

const PEM_CERTIFICATE = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;

/** SHA-256 fingerprint of a DER certificate. */
export function certificateFingerprint(der: Buffer): Buffer {
  return createHash('sha256').update(der).digest();
}

/** RFC 8705 `x5t#S256`: base64url of the SHA-256 of the DER. */
export function certificateThumbprint(der: Buffer): string {
  return certificateFingerprint(der).toString('base64url');
}

/** The window of X.509 validFrom/validTo texts; an unreadable date leaves it empty (never valid). */
export function validityWindow(validFrom: string, validTo: string): CertificateWindow {
  const notBeforeMs = Date.parse(validFrom);
  const notAfterMs = Date.parse(validTo);
  return {
    notBeforeMs: Number.isFinite(notBeforeMs) ? notBeforeMs : Number.POSITIVE_INFINITY,
    notAfterMs: Number.isFinite(notAfterMs) ? notAfterMs : Number.NEGATIVE_INFINITY,
  };
}

/** Registered certificates: more than one during a renewal overlap. */
export interface PinnedCertificates {
  fingerprints: Buffer[];
  windows: CertificateWindow[];
}

/**
 * Every PEM certificate in `pem`. Throws an Error saying what is wrong (no certificate, one does not parse);
 * callers put it into their own error with the place it came from.
 */
export function pinCertificates(pem: string): PinnedCertificates {
  const blocks = pem.match(PEM_CERTIFICATE) ?? [];
  if (blocks.length === 0) throw new Error('holds no PEM certificate');
  const parsed = blocks.map((b) => {
    try {
      return new X509Certificate(b);
    } catch (err) {
      throw new Error(`does not parse: ${(err as Error).message}`, { cause: err });
    }
  });
  return {
    fingerprints: parsed.map((c) => certificateFingerprint(c.raw)),
    windows: parsed.map((c) => validityWindow(c.validFrom, c.validTo)),
  };
}

/** True when the DER certificate is exactly one of the pinned ones (compared without an early exit). */
export function matchesPinned(fingerprints: Buffer[], der: Buffer | undefined | null): boolean {
  if (!der || der.length === 0) return false;
  const presented = certificateFingerprint(der);
  let match = false;
  for (const fp of fingerprints) match = timingSafeEqual(fp, presented) || match;
  return match;
}
