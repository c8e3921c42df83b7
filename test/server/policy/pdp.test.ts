import { createHash } from 'node:crypto';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compareVersions, decide, primaryViolation, type PolicyFacts } from '../../../server/policy/pdp.ts';
import type { DeviceTokenFact } from '../../../server/policy/device-token.ts';
import { POLICY_DEFAULTS, type PolicyConfig } from '../../../server/policy/policy-config.ts';

const NOW = 1_760_000_000_000;
const DAY = 86_400_000;
/** A certificate valid for a year around NOW. */
const valid = { notBeforeMs: NOW - 100 * DAY, notAfterMs: NOW + 265 * DAY };
const expired = { notBeforeMs: NOW - 400 * DAY, notAfterMs: NOW - DAY };
const future = { notBeforeMs: NOW + DAY, notAfterMs: NOW + 366 * DAY };
const listed = (registeredCertificates = [valid], certificateMatches = true) => ({
  available: true as const,
  listed: true as const,
  status: 'active',
  certificateMatches,
  registeredCertificates,
});
const ok: PolicyFacts = {
  nowMs: NOW,
  request: { method: 'GET', path: '/fhir/Observation', clientIp: '10.0.0.1' },
  tls: { clientCertificate: valid },
  token: {
    ok: true,
    clientId: 'urn:diga:bfarm:10001',
    pairingId: 'pairing-1',
    grantId: 'grant-1',
    scopes: ['patient/Device.rs'],
    expiresAtMs: NOW + 60_000,
  },
  grant: {
    pairing_id: 'pairing-1',
    client_id: 'urn:diga:bfarm:10001',
    patient_id: 'patient-1',
    revoked_ms: null,
    activated_ms: NOW - DAY,
    pairing_revoked_ms: null,
    expires_ms: NOW + 300 * DAY,
    consent_expires_ms: NOW + 300 * DAY,
  },
  directory: listed(),
};
const grant = (change: Partial<NonNullable<PolicyFacts['grant']>>) => ({
  grant: { ...ok.grant!, ...change },
});
const noGrantCheck: PolicyConfig = {
  ...POLICY_DEFAULTS,
  checks: { ...POLICY_DEFAULTS.checks, grant: false },
};
const IOS_APP = 'ABCDE12345.de.example.diga';
/** App Attest's rpID: SHA-256 of the App ID, base64 without padding (as the DSR service passes it on). */
const RP_ID = createHash('sha256').update(IOS_APP).digest('base64').replace(/=+$/, '');

/** A verified DSR device token of an iOS device (the PEP found it valid). */
function ios(o: { systemVersion?: string; assertion?: boolean; rpID?: string } = {}): DeviceTokenFact {
  const health: Record<string, unknown> = {
    deviceAttributes: {
      systemName: 'iOS',
      systemVersion: o.systemVersion ?? '17.4.1',
      systemModel: 'iPhone15,3',
    },
  };
  if (o.assertion !== false)
    health.assertion = { counter: 1, rpID: o.rpID ?? RP_ID, riskMetric: 'unavailable' };
  return payload('IOS', health);
}

/** A verified DSR device token of an Android device. */
function android(
  o: { sdkInt?: number; securityPatch?: string; crypto?: unknown; verdicts?: string[]; pkg?: string } = {},
): DeviceTokenFact {
  return payload('ANDROID', {
    integrityVerdict: {
      appIntegrity: { packageName: o.pkg ?? 'de.example.diga', versionCode: 1 },
      deviceIntegrity: { deviceRecognitionVerdict: o.verdicts ?? ['MEETS_DEVICE_INTEGRITY'] },
    },
    deviceAttributes: {
      build: {
        version: { sdkInt: o.sdkInt ?? 34, securityPatch: o.securityPatch ?? '2025-03-05' },
        model: 'Pixel 8',
      },
      ro: { crypto: { state: 'crypto' in o ? o.crypto : true } },
    },
  });
}

function payload(type: string, deviceHealth: Record<string, unknown>): DeviceTokenFact {
  return {
    deviceTokenValid: true,
    deviceTokenPayload: {
      iss: 'DSR GMS 1.0.0',
      sub: 'device-1',
      iat: NOW / 1000 - 60,
      exp: NOW / 1000 + 3600,
      cnf: { 'x5t#S256': 'thumbprint' },
      type,
      deviceHealth,
    },
  };
}

const withApps: PolicyConfig = {
  ...POLICY_DEFAULTS,
  device: { ...POLICY_DEFAULTS.device, approvedApps: ['de.example.diga', IOS_APP] },
};
const deviceRequired: PolicyConfig = {
  ...POLICY_DEFAULTS,
  device: { ...POLICY_DEFAULTS.device, required: true },
};
const noCertCheck: PolicyConfig = {
  ...POLICY_DEFAULTS,
  checks: { ...POLICY_DEFAULTS.checks, clientCertificate: false },
};
const noDevice: PolicyConfig = { ...POLICY_DEFAULTS, checks: { ...POLICY_DEFAULTS.checks, device: false } };

type Row = [
  name: string,
  facts: Partial<PolicyFacts>,
  policy: PolicyConfig,
  allow: boolean,
  errors: string[],
];

const rows: Row[] = [
  ['all facts good', {}, POLICY_DEFAULTS, true, []],
  [
    'no client certificate',
    { tls: { clientCertificate: null } },
    POLICY_DEFAULTS,
    false,
    ['client_certificate_missing'],
  ],
  ['no client certificate, check off', { tls: { clientCertificate: null } }, noCertCheck, true, []],
  [
    'certificate of another client',
    { directory: listed([valid], false) },
    POLICY_DEFAULTS,
    false,
    ['client_certificate_mismatch'],
  ],
  [
    'expired client certificate, even the registered one',
    { tls: { clientCertificate: expired }, directory: listed([expired, valid]) },
    POLICY_DEFAULTS,
    false,
    ['client_certificate_expired'],
  ],
  [
    'client certificate not yet valid',
    { tls: { clientCertificate: future }, directory: listed([future, valid]) },
    POLICY_DEFAULTS,
    false,
    ['client_certificate_not_yet_valid'],
  ],
  [
    'certificate valid up to its last millisecond',
    { tls: { clientCertificate: { notBeforeMs: NOW, notAfterMs: NOW } }, directory: listed([valid]) },
    POLICY_DEFAULTS,
    true,
    [],
  ],
  [
    'directory entry with only expired certificates counts as not registered',
    { directory: listed([expired]) },
    POLICY_DEFAULTS,
    false,
    ['client_registration_expired'],
  ],
  [
    'directory entry with only future certificates counts as not registered',
    { directory: listed([future, expired]) },
    POLICY_DEFAULTS,
    false,
    ['client_registration_expired'],
  ],
  [
    'certificate check off: an expired client certificate passes',
    { tls: { clientCertificate: expired }, directory: listed([expired, valid], false) },
    { ...POLICY_DEFAULTS, checks: { ...POLICY_DEFAULTS.checks, clientCertificate: false } },
    true,
    [],
  ],
  [
    'client not in directory',
    { directory: { available: true, listed: false } },
    POLICY_DEFAULTS,
    false,
    ['client_unknown'],
  ],
  [
    'retired client',
    { directory: { ...listed(), status: 'retired' } },
    POLICY_DEFAULTS,
    false,
    ['client_inactive'],
  ],
  [
    'directory unreachable',
    { directory: { available: false } },
    POLICY_DEFAULTS,
    false,
    ['directory_unavailable'],
  ],
  [
    'expired token',
    { token: { ok: false, code: 'token_expired', description: 'The access token expired' } },
    POLICY_DEFAULTS,
    false,
    ['token_expired'],
  ],
  [
    'token past exp by the PDP clock',
    { token: { ...(ok.token as Extract<PolicyFacts['token'], { ok: true }>), expiresAtMs: NOW } },
    POLICY_DEFAULTS,
    false,
    ['token_expired'],
  ],
  ['revoked grant', grant({ revoked_ms: NOW - 1 }), POLICY_DEFAULTS, false, ['grant_inactive']],
  ['grant never activated', grant({ activated_ms: null }), POLICY_DEFAULTS, false, ['grant_inactive']],
  ['pairing ended', grant({ pairing_revoked_ms: NOW - 1 }), POLICY_DEFAULTS, false, ['grant_inactive']],
  [
    'consent ran out (not yet ended by the job)',
    grant({ consent_expires_ms: NOW }),
    POLICY_DEFAULTS,
    false,
    ['grant_inactive'],
  ],
  ['grant expired', grant({ expires_ms: NOW - 1 }), POLICY_DEFAULTS, false, ['grant_inactive']],
  [
    'grant of another pairing',
    grant({ pairing_id: 'pairing-2' }),
    POLICY_DEFAULTS,
    false,
    ['grant_inactive'],
  ],
  [
    'grant of another client',
    grant({ client_id: 'urn:diga:bfarm:10002' }),
    POLICY_DEFAULTS,
    false,
    ['grant_inactive'],
  ],
  ['the token names no stored grant', { grant: null }, POLICY_DEFAULTS, false, ['grant_inactive']],
  ['grant check off: a revoked grant passes', grant({ revoked_ms: NOW - 1 }), noGrantCheck, true, []],
  [
    'grant check off: still no access without a grant',
    { grant: null },
    noGrantCheck,
    false,
    ['grant_inactive'],
  ],
  [
    'missing token and no certificate',
    {
      token: { ok: false, code: 'token_missing', description: 'none' },
      tls: { clientCertificate: null },
    },
    POLICY_DEFAULTS,
    false,
    ['client_certificate_missing', 'token_missing'],
  ],
  ['iOS device fine', { device: ios() }, withApps, true, []],
  [
    'iOS too old',
    { device: ios({ systemVersion: '16.7.2' }) },
    withApps,
    false,
    ['device_ios_invalid_version'],
  ],
  ['iOS 17.10 is newer than 17.9', { device: ios({ systemVersion: '17.10' }) }, withApps, true, []],
  [
    'iOS without App Attest assertion',
    { device: ios({ assertion: false }) },
    withApps,
    false,
    ['device_ios_app_attest_failed', 'device_unknown_app'],
  ],
  [
    'iOS app of another App ID',
    { device: ios({ rpID: createHash('sha256').update('X.other.app').digest('base64') }) },
    withApps,
    false,
    ['device_unknown_app'],
  ],
  ['Android device fine', { device: android() }, withApps, true, []],
  [
    'Android device fine, DSR proof-of-concept spelling sdkInit and ro.crypto.state "encrypted"',
    {
      device: payload('ANDROID', {
        integrityVerdict: {
          appIntegrity: { packageName: 'de.example.diga' },
          deviceIntegrity: { deviceRecognitionVerdict: ['MEETS_STRONG_INTEGRITY'] },
        },
        deviceAttributes: {
          build: { version: { sdkInit: 34, securityPatch: '2025-01-05' } },
          ro: { crypto: { state: 'encrypted' } },
        },
      }),
    },
    withApps,
    true,
    [],
  ],
  [
    'Android API level too low',
    { device: android({ sdkInt: 30 }) },
    withApps,
    false,
    ['device_android_api_level_violation'],
  ],
  [
    'Android patch level too old',
    { device: android({ securityPatch: '2023-06-01' }) },
    withApps,
    false,
    ['device_android_patch_level_violation'],
  ],
  [
    'Android unencrypted',
    { device: android({ crypto: false }) },
    withApps,
    false,
    ['device_android_encryption_disabled'],
  ],
  [
    'Android basic integrity only',
    { device: android({ verdicts: ['MEETS_BASIC_INTEGRITY'] }) },
    withApps,
    false,
    ['device_android_integrity_violation'],
  ],
  ['unknown app', { device: android({ pkg: 'com.evil' }) }, withApps, false, ['device_unknown_app']],
  [
    'everything wrong on Android, each named',
    { device: payload('ANDROID', { deviceAttributes: { build: { version: { sdkInt: 21 } } } }) },
    withApps,
    false,
    [
      'device_android_api_level_violation',
      'device_android_patch_level_violation',
      'device_android_encryption_disabled',
      'device_android_integrity_violation',
      'device_unknown_app',
    ],
  ],
  [
    'unknown platform',
    { device: payload('SYMBIAN', {}) },
    POLICY_DEFAULTS,
    false,
    ['device_unknown_platform'],
  ],
  [
    'an invalid device token: its reason, and no device rule runs',
    {
      device: {
        deviceTokenValid: false,
        error: 'device_token_expired',
        error_description: 'The device token expired',
      },
    },
    withApps,
    false,
    ['device_token_expired'],
  ],
  ['device token required but absent', {}, deviceRequired, false, ['device_attestation_missing']],
  ['device checks off', { device: android({ sdkInt: 1 }) }, noDevice, true, []],
];

for (const [name, facts, policy, allow, errors] of rows) {
  test(`PDP: ${name}`, () => {
    const verdict = decide({ ...ok, ...facts }, policy);
    assert.equal(verdict.allow, allow);
    const all = [
      ...verdict.client.violations,
      ...verdict.security.violations,
      ...(verdict.device?.violations ?? []),
    ];
    assert.deepEqual(
      all.map((v) => v.error),
      errors,
    );
    for (const v of all) assert.ok(v.error_description.length > 0);
    assert.equal(verdict.client.allow, verdict.client.violations.length === 0);
    assert.equal(verdict.security.allow, verdict.security.violations.length === 0);
    if (!allow) assert.ok(primaryViolation(verdict));
    // pure: same input, same verdict
    assert.deepEqual(decide({ ...ok, ...facts }, policy), verdict);
  });
}

test('the verdict has the design.md shape', () => {
  const v = decide(
    { ...ok, token: { ok: false, code: 'token_expired', description: 'The access token expired' } },
    POLICY_DEFAULTS,
  );
  assert.deepEqual(v, {
    allow: false,
    client: { allow: true, violations: [] },
    security: {
      allow: false,
      violations: [{ error: 'token_expired', error_description: 'The access token expired' }],
    },
  });
});

test('versions compare numerically', () => {
  assert.equal(compareVersions('17.10', '17.9'), 1);
  assert.equal(compareVersions('17', '17.0.0'), 0);
  assert.equal(compareVersions('16.7.2', '17.0'), -1);
});
