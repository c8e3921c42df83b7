// Certificate facts for the access checks, in one place. HDDT pins the exact client certificate (SHA-256 of
// the DER, no chain validation; self-signed is allowed), and a certificate counts only inside its validity
// window, whether it is presented in a handshake or registered in the DiGA directory or the configuration.
import { createHash, timingSafeEqual, X509Certificate } from 'node:crypto';

/** The validity window of a certificate (notBefore / notAfter), epoch milliseconds. */
export interface CertificateWindow {
  notBeforeMs: number;
  notAfterMs: number;
}

/** A broken certificate rule, named as the PDP names its violations. */
export interface CertificateProblem {
  error: string;
  error_description: string;
}

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

/** A certificate outside its validity window (X.509: notBefore and notAfter inclusive), else undefined. */
export function certificateTimeViolation(
  cert: CertificateWindow,
  nowMs: number,
): CertificateProblem | undefined {
  if (nowMs > cert.notAfterMs) {
    return { error: 'client_certificate_expired', error_description: 'The client certificate has expired' };
  }
  if (nowMs < cert.notBeforeMs) {
    return {
      error: 'client_certificate_not_yet_valid',
      error_description: 'The client certificate is not yet valid',
    };
  }
  return undefined;
}

/**
 * A registration none of whose certificates is valid now counts as not registered: its problem, else
 * undefined. (During a renewal one valid certificate beside an expired one is enough.)
 */
export function registrationViolation(
  registered: CertificateWindow[],
  nowMs: number,
): CertificateProblem | undefined {
  if (registered.some((c) => certificateTimeViolation(c, nowMs) === undefined)) return undefined;
  return {
    error: 'client_registration_expired',
    error_description:
      'No certificate registered for the client in the DiGA directory is valid; the client counts as not registered',
  };
}

/** Why a presented certificate does not authenticate a client that pins certificates, or undefined. */
export function pinnedCertificateProblem(
  cert: CertificateWindow | undefined,
  matchesPinned: boolean,
  nowMs: number,
): CertificateProblem | undefined {
  if (!cert)
    return { error: 'client_certificate_missing', error_description: 'No client certificate was presented' };
  if (!matchesPinned) {
    return {
      error: 'client_certificate_mismatch',
      error_description: 'The client certificate is not the one registered for this client_id',
    };
  }
  return certificateTimeViolation(cert, nowMs);
}
