// Policy decision point: a pure function from the facts the PEP gathered to a verdict. No I/O, no clock
// (the PEP passes `nowMs`), no exceptions: every failed check is a named violation.
import {
  certificateTimeViolation,
  registrationViolation,
  type CertificateWindow,
} from '../shared/certificates.ts';
import type { FhirTokenClaims } from '../oauth/access.ts';
import { grantActive, type GrantState } from '../oauth/grant-state.ts';
import { appApproved, deviceClaimsOf } from './device-claims.ts';
import type { DeviceTokenFact } from './device-token.ts';
import type { DevicePolicy, PolicyConfig } from './policy-config.ts';

export interface Violation {
  error: string;
  error_description: string;
}

export interface VerdictPart {
  allow: boolean;
  violations: Violation[];
}

export interface Verdict {
  allow: boolean;
  client: VerdictPart;
  security: VerdictPart;
  device?: VerdictPart;
}

export interface PolicyFacts {
  nowMs: number;
  request: { method: string; path: string; clientIp: string };
  /** The client certificate of the TLS connection (its validity window), null when none was presented. */
  tls: { clientCertificate: CertificateWindow | null };
  /** Outcome of access token verification (signature, issuer, audience, times): its claims, or why not. */
  token: ({ ok: true } & FhirTokenClaims) | { ok: false; code: string; description: string };
  /**
   * The stored state of the grant the token names (and of its pairing); null when no such grant exists;
   * absent when no token verified.
   */
  grant?: GrantState | null;
  /** DiGA directory facts for the token's client (absent when the token did not name one). */
  directory?:
    | { available: true; listed: false }
    | {
        available: true;
        listed: true;
        status: 'active' | 'retired' | string;
        certificateMatches: boolean;
        /** Validity windows of the certificates the directory registers for the client. */
        registeredCertificates: CertificateWindow[];
      }
    | { available: false };
  /**
   * The device token presented with the request, as the PEP checked it (signature, iat/exp, certificate
   * binding): deviceTokenValid with its payload, or the named reason it is not valid. Absent: none presented.
   */
  device?: DeviceTokenFact;
}

const v = (error: string, error_description: string): Violation => ({ error, error_description });

function part(violations: Violation[]): VerdictPart {
  return { allow: violations.length === 0, violations };
}

/** Compares dotted versions numerically ("17.10" > "17.9"). */
export function compareVersions(a: string, b: string): number {
  const pa = a.split('.').map((x) => Number.parseInt(x, 10) || 0);
  const pb = b.split('.').map((x) => Number.parseInt(x, 10) || 0);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d !== 0) return Math.sign(d);
  }
  return 0;
}

function clientChecks(facts: PolicyFacts, policy: PolicyConfig): Violation[] {
  const out: Violation[] = [];
  const cert = facts.tls.clientCertificate;
  if (policy.checks.clientCertificate) {
    const bad = cert ? certificateTimeViolation(cert, facts.nowMs) : undefined;
    if (!cert) out.push(v('client_certificate_missing', 'No TLS client certificate was presented'));
    else if (bad) out.push(bad);
  }
  if (!facts.token.ok) return out; // without a verified token there is no client to look up
  const dir = facts.directory;
  if (policy.checks.directoryStatus || policy.checks.clientCertificate) {
    if (!dir || !dir.available) {
      out.push(v('directory_unavailable', 'The DiGA directory cannot be consulted'));
      return out;
    }
    if (!dir.listed) {
      out.push(v('client_unknown', 'The client is not listed in the DiGA directory'));
      return out;
    }
    const unregistered = registrationViolation(dir.registeredCertificates, facts.nowMs);
    if (unregistered) {
      out.push(unregistered);
      return out;
    }
    if (policy.checks.directoryStatus && dir.status !== 'active') {
      out.push(v('client_inactive', 'The client is not active in the DiGA directory'));
    }
    if (policy.checks.clientCertificate && cert && !dir.certificateMatches) {
      out.push(
        v('client_certificate_mismatch', 'The client certificate is not the one registered for the client'),
      );
    }
  }
  return out;
}

const GRANT_INACTIVE = v('grant_inactive', 'The authorization behind the token is no longer active');

function securityChecks(facts: PolicyFacts, policy: PolicyConfig): Violation[] {
  const t = facts.token;
  if (!t.ok) return policy.checks.token ? [v(t.code, t.description)] : [];
  // Defence in depth: verification already checked exp with the same clock.
  if (policy.checks.token && t.expiresAtMs <= facts.nowMs)
    return [v('token_expired', 'The access token expired')];
  // Without its grant a token names no patient, whatever the policy.
  if (!facts.grant) return [GRANT_INACTIVE];
  if (policy.checks.grant && !grantActive(facts.grant, t, facts.nowMs)) return [GRANT_INACTIVE];
  return [];
}

function deviceChecks(device: PolicyFacts['device'], policy: DevicePolicy): Violation[] | undefined {
  if (!device) {
    return policy.required ? [v('device_attestation_missing', 'A device token is required')] : undefined;
  }
  // The device rules run only on a token the PEP found valid.
  if (!device.deviceTokenValid) return [v(device.error, device.error_description)];
  const c = deviceClaimsOf(device.deviceTokenPayload);
  const out: Violation[] = [];
  if (c.platform === 'ios') {
    if (!c.osVersion || compareVersions(c.osVersion, policy.ios.minVersion) < 0) {
      out.push(
        v(
          'device_ios_invalid_version',
          `iOS ${c.osVersion ?? 'unknown'} is older than ${policy.ios.minVersion}`,
        ),
      );
    }
    if (policy.ios.requireAppAttest && c.appAttested !== true) {
      out.push(v('device_ios_app_attest_failed', 'App Attest did not vouch for the app'));
    }
  } else if (c.platform === 'android') {
    if (typeof c.apiLevel !== 'number' || c.apiLevel < policy.android.minApiLevel) {
      out.push(
        v(
          'device_android_api_level_violation',
          `API level ${c.apiLevel ?? 'unknown'} is below ${policy.android.minApiLevel}`,
        ),
      );
    }
    if (!c.securityPatchLevel || c.securityPatchLevel < policy.android.minSecurityPatchLevel) {
      out.push(
        v(
          'device_android_patch_level_violation',
          `Security patch level ${c.securityPatchLevel ?? 'unknown'} is older than ${policy.android.minSecurityPatchLevel}`,
        ),
      );
    }
    if (policy.android.requireEncryption && c.encryptionEnabled !== true) {
      out.push(v('device_android_encryption_disabled', 'Device storage encryption is not enabled'));
    }
    const verdicts = c.integrityVerdicts ?? [];
    if (
      policy.android.acceptedIntegrityVerdicts.length > 0 &&
      !verdicts.some((x) => policy.android.acceptedIntegrityVerdicts.includes(x))
    ) {
      out.push(v('device_android_integrity_violation', 'The device integrity verdict is not sufficient'));
    }
  } else {
    out.push(v('device_unknown_platform', `Unknown device platform ${String(c.platform).slice(0, 32)}`));
  }
  if (policy.approvedApps.length > 0 && !appApproved(c, policy.approvedApps)) {
    out.push(v('device_unknown_app', 'The app is not an approved app'));
  }
  return out;
}

/** The decision. Pure: same facts and policy, same verdict. */
export function decide(facts: PolicyFacts, policy: PolicyConfig): Verdict {
  const client = part(clientChecks(facts, policy));
  const security = part(securityChecks(facts, policy));
  const deviceViolations = policy.checks.device ? deviceChecks(facts.device, policy.device) : undefined;
  const verdict: Verdict = { allow: client.allow && security.allow, client, security };
  if (deviceViolations) {
    verdict.device = part(deviceViolations);
    verdict.allow = verdict.allow && verdict.device.allow;
  }
  return verdict;
}

/** The first violation, the one the HTTP answer names (security first: a bad token hides everything else). */
export function primaryViolation(verdict: Verdict): Violation | undefined {
  return verdict.security.violations[0] ?? verdict.client.violations[0] ?? verdict.device?.violations[0];
}
