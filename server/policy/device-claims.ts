// What the PDP's device rules read from a verified DSR device token (the payload format is in docs/policy.md):
// a flat, platform-neutral view of `deviceHealth`. Pure: no I/O, no clock; missing parts stay undefined and
// the rules then name them (an unknown version is older than any minimum).
import { createHash } from 'node:crypto';

/** The device facts the rules compare against the policy. */
export interface DeviceClaims {
  platform: 'ios' | 'android' | string;
  /** iOS: system version, e.g. "17.4.1". */
  osVersion?: string;
  /** Android: SDK_INT. */
  apiLevel?: number;
  /** Android: Build.VERSION.SECURITY_PATCH, YYYY-MM-DD. */
  securityPatchLevel?: string;
  /** Android: storage encryption active. */
  encryptionEnabled?: boolean;
  /** Android: Play Integrity deviceRecognitionVerdict. */
  integrityVerdicts?: string[];
  /** iOS: an App Attest assertion was verified by the DSR service before it issued the token. */
  appAttested?: boolean;
  /** Android: package name of the calling app. */
  appId?: string;
  /** iOS: App Attest rpID, the SHA-256 of the app's App ID (TEAMID.bundle.id), base64. */
  appRpId?: string;
}

type Obj = Record<string, unknown>;

const obj = (v: unknown): Obj | undefined =>
  typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Obj) : undefined;
const str = (v: unknown): string | undefined => (typeof v === 'string' ? v.trim() : undefined);
const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);

function iosClaims(health: Obj): DeviceClaims {
  const attributes = obj(health.deviceAttributes) ?? {};
  const assertion = obj(health.assertion);
  return {
    platform: 'ios',
    osVersion: str(attributes.systemVersion),
    appAttested: assertion !== undefined && num(assertion.counter) !== undefined,
    appRpId: str(assertion?.rpID),
  };
}

function androidPackage(health: Obj): string | undefined {
  const fromIntegrity = str(obj(obj(health.integrityVerdict)?.appIntegrity)?.packageName);
  if (fromIntegrity) return fromIntegrity;
  const attestation = obj(health.keyIdAttestation) ?? {};
  for (const part of ['teeEnforced', 'softwareEnforced']) {
    const app = obj(obj(attestation[part])?.attestationApplicationId);
    const first = Array.isArray(app?.packageInfos) ? obj(app.packageInfos[0]) : undefined;
    const name = str(first?.packageName);
    if (name) return name;
  }
  return undefined;
}

function androidClaims(health: Obj): DeviceClaims {
  const attributes = obj(health.deviceAttributes) ?? {};
  const version = obj(obj(attributes.build)?.version) ?? {};
  const crypto = obj(obj(attributes.ro)?.crypto)?.state;
  const verdicts = obj(obj(health.integrityVerdict)?.deviceIntegrity)?.deviceRecognitionVerdict;
  return {
    platform: 'android',
    // The gematik DSR proof of concept spells it sdkInit.
    apiLevel: num(version.sdkInt) ?? num(version.sdkInit),
    securityPatchLevel: str(version.securityPatch),
    // ro.crypto.state: the system property says "encrypted"; the DSR proof of concept sends true.
    encryptionEnabled: crypto === true || crypto === 'encrypted',
    integrityVerdicts: Array.isArray(verdicts) ? verdicts.filter((x) => typeof x === 'string') : undefined,
    appId: androidPackage(health),
  };
}

/** The device claims of a payload with `type` IOS or ANDROID; any other type is an unknown platform. */
export function deviceClaimsOf(payload: {
  type: string;
  deviceHealth: Record<string, unknown>;
}): DeviceClaims {
  if (payload.type === 'IOS') return iosClaims(payload.deviceHealth);
  if (payload.type === 'ANDROID') return androidClaims(payload.deviceHealth);
  return { platform: payload.type };
}

/** Whether `approved` (package names, or iOS App IDs) names the app of these claims. */
export function appApproved(c: DeviceClaims, approved: string[]): boolean {
  if (c.appId !== undefined && approved.includes(c.appId)) return true;
  const rpId = c.appRpId?.replace(/=+$/, '');
  if (!rpId) return false;
  return approved.some((a) => {
    const digest = createHash('sha256').update(a).digest();
    return (
      a === rpId ||
      digest.toString('base64').replace(/=+$/, '') === rpId ||
      digest.toString('base64url') === rpId
    );
  });
}
