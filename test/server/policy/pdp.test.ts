import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compareVersions, decide, primaryViolation, type PolicyFacts } from '../../../server/policy/pdp.ts';
import { POLICY_DEFAULTS, type PolicyConfig } from '../../../server/policy/policy-config.ts';

const NOW = 1_760_000_000_000;
const ok: PolicyFacts = {
  nowMs: NOW,
  request: { method: 'GET', path: '/fhir/Observation', clientIp: '10.0.0.1' },
  tls: { clientCertificatePresented: true },
  token: {
    ok: true,
    clientId: 'urn:diga:bfarm:10001',
    scopes: ['patient/Device.rs'],
    expiresAtMs: NOW + 60_000,
  },
  directory: { available: true, listed: true, status: 'active', certificateMatches: true },
};
const ios = { platform: 'ios', osVersion: '17.4.1', appAttested: true, appId: 'de.example.diga' };
const android = {
  platform: 'android',
  apiLevel: 34,
  securityPatchLevel: '2025-03-05',
  encryptionEnabled: true,
  integrityVerdicts: ['MEETS_DEVICE_INTEGRITY'],
  appId: 'de.example.diga',
};
const withApps: PolicyConfig = {
  ...POLICY_DEFAULTS,
  device: { ...POLICY_DEFAULTS.device, approvedApps: ['de.example.diga'] },
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
    { tls: { clientCertificatePresented: false } },
    POLICY_DEFAULTS,
    false,
    ['client_certificate_missing'],
  ],
  ['no client certificate, check off', { tls: { clientCertificatePresented: false } }, noCertCheck, true, []],
  [
    'certificate of another client',
    { directory: { available: true, listed: true, status: 'active', certificateMatches: false } },
    POLICY_DEFAULTS,
    false,
    ['client_certificate_mismatch'],
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
    { directory: { available: true, listed: true, status: 'retired', certificateMatches: true } },
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
    { token: { ok: true, clientId: 'c', scopes: [], expiresAtMs: NOW } },
    POLICY_DEFAULTS,
    false,
    ['token_expired'],
  ],
  [
    'revoked grant',
    { token: { ok: false, code: 'grant_inactive', description: 'no longer active' } },
    POLICY_DEFAULTS,
    false,
    ['grant_inactive'],
  ],
  [
    'missing token and no certificate',
    {
      token: { ok: false, code: 'token_missing', description: 'none' },
      tls: { clientCertificatePresented: false },
    },
    POLICY_DEFAULTS,
    false,
    ['client_certificate_missing', 'token_missing'],
  ],
  ['iOS device fine', { device: { claims: ios } }, withApps, true, []],
  [
    'iOS too old',
    { device: { claims: { ...ios, osVersion: '16.7.2' } } },
    withApps,
    false,
    ['device_ios_invalid_version'],
  ],
  [
    'iOS 17.10 is newer than 17.9',
    { device: { claims: { ...ios, osVersion: '17.10' } } },
    withApps,
    true,
    [],
  ],
  [
    'iOS without App Attest',
    { device: { claims: { ...ios, appAttested: false } } },
    withApps,
    false,
    ['device_ios_app_attest_failed'],
  ],
  ['Android device fine', { device: { claims: android } }, withApps, true, []],
  [
    'Android API level too low',
    { device: { claims: { ...android, apiLevel: 30 } } },
    withApps,
    false,
    ['device_android_api_level_violation'],
  ],
  [
    'Android patch level too old',
    { device: { claims: { ...android, securityPatchLevel: '2023-06-01' } } },
    withApps,
    false,
    ['device_android_patch_level_violation'],
  ],
  [
    'Android unencrypted',
    { device: { claims: { ...android, encryptionEnabled: false } } },
    withApps,
    false,
    ['device_android_encryption_disabled'],
  ],
  [
    'Android basic integrity only',
    { device: { claims: { ...android, integrityVerdicts: ['MEETS_BASIC_INTEGRITY'] } } },
    withApps,
    false,
    ['device_android_integrity_violation'],
  ],
  [
    'unknown app',
    { device: { claims: { ...android, appId: 'com.evil' } } },
    withApps,
    false,
    ['device_unknown_app'],
  ],
  [
    'everything wrong on Android, each named',
    { device: { claims: { platform: 'android', apiLevel: 21, appId: 'x' } } },
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
    { device: { claims: { platform: 'symbian' } } },
    POLICY_DEFAULTS,
    false,
    ['device_unknown_platform'],
  ],
  [
    'unreadable attestation',
    { device: { error: 'bad' } },
    POLICY_DEFAULTS,
    false,
    ['device_attestation_invalid'],
  ],
  ['attestation required but absent', {}, deviceRequired, false, ['device_attestation_missing']],
  ['device checks off', { device: { claims: { ...android, apiLevel: 1 } } }, noDevice, true, []],
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
