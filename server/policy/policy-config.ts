// Access policies as data (config section `policy`, docs/policy.md): which checks the PDP runs, and the device
// rules for requests that carry a DSR device token (patient app on iOS/Android, gematik DSR rules).
import type { GatewayConfig } from '../../config/types.ts';

/** Where device tokens come from and how far they are trusted (the PEP's structural check). */
export interface DeviceTokenTrust {
  /** Accepted `iss` values (the DSR device management service, e.g. "DSR GMS 1.0.0"). */
  issuers: string[];
  /** The DSR issuer keys: a JWKS file (relative to dataDir) or an https:// URL; null = none configured. */
  jwks: string | null;
  /** Extra CA certificate (PEM file) for an https:// JWKS. */
  caFile: string | null;
  /** The keys are used at most this long before they are read again (unreadable then: tokens refused). */
  cacheSeconds: number;
  timeoutMs: number;
  /** Leeway for iat/exp against the server clock. */
  clockToleranceSeconds: number;
}

export interface DevicePolicy {
  /** Refuse requests without a device token (false: check it only when one is presented). */
  required: boolean;
  /** Request header carrying the device token (a signed JWT, docs/policy.md). */
  header: string;
  trust: DeviceTokenTrust;
  ios: {
    /** Minimum iOS version, dotted (e.g. "17.0"). */
    minVersion: string;
    /** Require App Attest to vouch for the app. */
    requireAppAttest: boolean;
  };
  android: {
    minApiLevel: number;
    /** Minimum security patch level, YYYY-MM-DD. */
    minSecurityPatchLevel: string;
    requireEncryption: boolean;
    /** Play Integrity device verdicts, at least one of which must be present. */
    acceptedIntegrityVerdicts: string[];
  };
  /** Bundle ids / package names of the approved apps (empty = any). */
  approvedApps: string[];
}

export interface PolicyConfig {
  checks: {
    /** The presented client certificate must equal the DiGA directory certificate of the token's client. */
    clientCertificate: boolean;
    /** The client must be listed and active in the DiGA directory. */
    directoryStatus: boolean;
    /** Signed, unexpired access token of this issuer. */
    token: boolean;
    /** The grant (pairing, consent) behind the token must still be active. */
    grant: boolean;
    /** Device attestation rules (see `device`). */
    device: boolean;
  };
  device: DevicePolicy;
}

export const POLICY_DEFAULTS: PolicyConfig = {
  checks: { clientCertificate: true, directoryStatus: true, token: true, grant: true, device: true },
  device: {
    required: false,
    header: 'x-device-attestation',
    trust: {
      issuers: ['DSR GMS 1.0.0'],
      jwks: null,
      caFile: null,
      cacheSeconds: 3600,
      timeoutMs: 5000,
      clockToleranceSeconds: 30,
    },
    ios: { minVersion: '17.0', requireAppAttest: true },
    android: {
      minApiLevel: 33,
      minSecurityPatchLevel: '2024-01-01',
      requireEncryption: true,
      acceptedIntegrityVerdicts: ['MEETS_STRONG_INTEGRITY', 'MEETS_DEVICE_INTEGRITY'],
    },
    approvedApps: [],
  },
};

/** The effective policy: config `policy` (when present) over the defaults. */
export function policyConfig(config: GatewayConfig): PolicyConfig {
  const given = ((config as unknown as Record<string, unknown>).policy ?? {}) as {
    checks?: Partial<PolicyConfig['checks']>;
    device?: Partial<Omit<DevicePolicy, 'ios' | 'android' | 'trust'>> & {
      ios?: Partial<DevicePolicy['ios']>;
      android?: Partial<DevicePolicy['android']>;
      trust?: Partial<DeviceTokenTrust>;
    };
  };
  return {
    checks: { ...POLICY_DEFAULTS.checks, ...given.checks },
    device: {
      ...POLICY_DEFAULTS.device,
      ...given.device,
      ios: { ...POLICY_DEFAULTS.device.ios, ...given.device?.ios },
      android: { ...POLICY_DEFAULTS.device.android, ...given.device?.android },
      trust: { ...POLICY_DEFAULTS.device.trust, ...given.device?.trust },
    },
  };
}
