// The PEP checks DSR device tokens on FHIR requests over real mTLS: signed by a configured DSR issuer key
// (JWKS file), valid now, bound (cnf.x5t#S256) to the very client certificate of the connection. A valid
// token reaches the PDP's device rules; anything else is a 401 naming what was wrong, and the request log
// records the violation's code.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { buildDataset, type Dataset } from '../fhir/fixture.ts';
import { startHarness, type Harness, type Response } from '../fhir/harness.ts';
import { androidHealth, deviceToken, dsrKey, iosHealth, jwks, thumbprintOf, type DsrKey } from './dsr.ts';

let ds: Dataset;
let h: Harness;
let token: string;
let dsr: DsrKey;
let stranger: DsrKey;
/** x5t#S256 of the certificate the harness presents (client 0). */
let thumb: string;

before(async () => {
  ds = buildDataset({ days: 1 });
  dsr = await dsrKey('dsr-1');
  stranger = await dsrKey('not-registered');
  const jwksFile = path.join(ds.dir, 'dsr-jwks.json');
  fs.writeFileSync(jwksFile, JSON.stringify(jwks(dsr)));
  h = await startHarness(ds, {
    policy: { device: { approvedApps: ['de.example.diga'], trust: { jwks: jwksFile } } },
  });
  token = await h.token(ds.patients.a, ['bloodGlucose', 'cgm']);
  thumb = thumbprintOf(h.certs.clients[0]!.certPem);
});
after(async () => {
  await h?.close();
  ds?.cleanup();
});

const now = () => h.clock.now().getTime();

function withDevice(deviceTokenValue: string, cert?: number): Promise<Response> {
  return h.request('/fhir/Device', { token, cert, headers: { 'x-device-attestation': deviceTokenValue } });
}

function expectRefused(r: Response, description: RegExp) {
  assert.equal(r.status, 401, r.body);
  const header = String(r.headers['www-authenticate']);
  assert.match(header, /error="invalid_token"/);
  assert.match(header, description);
  assert.equal(r.json().resourceType, 'OperationOutcome');
}

test('a valid device token of a healthy device passes the device rules', async () => {
  const r = await withDevice(await deviceToken(dsr, thumb, now()));
  assert.equal(r.status, 200, r.body);
  const ios = await deviceToken(dsr, thumb, now(), { type: 'IOS', deviceHealth: iosHealth('17.5') });
  // The iOS token names no approved App ID (its rpID is not one): the app rule refuses it.
  expectRefused(await withDevice(ios), /not an approved app/);
});

test('a valid device token failing a device rule is refused by that rule', async () => {
  const old = await deviceToken(dsr, thumb, now(), { deviceHealth: androidHealth('2022-01-01') });
  expectRefused(await withDevice(old), /Security patch level 2022-01-01 is older/);
});

test('the base64url JSON that used to be trusted is no longer accepted', async () => {
  const unsigned = Buffer.from(
    JSON.stringify({ platform: 'android', apiLevel: 34, securityPatchLevel: '2025-03-01' }),
  ).toString('base64url');
  expectRefused(await withDevice(unsigned), /not a signed JWT/);
});

for (const [name, make, description] of [
  [
    'forged signature',
    () => deviceToken(dsr, thumb, now(), { signWith: stranger, kid: dsr.kid }),
    /signature is invalid/,
  ],
  ['unknown key', () => deviceToken(stranger, thumb, now()), /not signed by a known DSR issuer key/],
  [
    'expired',
    () => deviceToken(dsr, thumb, now(), { iatSec: now() / 1000 - 7200, expSec: now() / 1000 - 3600 }),
    /device token expired/,
  ],
  [
    'thumbprint of another certificate',
    () => deviceToken(dsr, thumbprintOf(h.certs.clients[1]!.certPem), now()),
    /bound to another certificate/,
  ],
  ['missing cnf', () => deviceToken(dsr, thumb, now(), { cnf: null }), /not bound to a certificate/],
] as const) {
  test(`a device token with ${name} is refused with 401 naming it`, async () => {
    expectRefused(await withDevice(await make()), description);
  });
}

test('a token bound to client 0 is refused on client 1 connection, even with client 1 token', async () => {
  const other = await h.token(ds.patients.b, ['cgm'], { client: 1 });
  const r = await h.request('/fhir/Device', {
    token: other,
    cert: 1,
    headers: { 'x-device-attestation': await deviceToken(dsr, thumb, now()) },
  });
  expectRefused(r, /bound to another certificate/);
});

test('the request log names each device violation by its code', async () => {
  await withDevice(await deviceToken(dsr, thumb, now(), { cnf: null }));
  await new Promise((r) => setTimeout(r, 100));
  const dir = path.join(h.dataDir, 'logs', 'requests');
  const text = fs
    .readdirSync(dir)
    .filter((f) => f.endsWith('.jsonl'))
    .map((f) => fs.readFileSync(path.join(dir, f), 'utf8'))
    .join('');
  const codes = text
    .trim()
    .split('\n')
    .map((l) => (JSON.parse(l) as { error_code: string | null }).error_code);
  for (const code of [
    'device_token_signature_invalid',
    'device_token_key_unknown',
    'device_token_expired',
    'device_token_thumbprint_mismatch',
    'device_token_cnf_missing',
    'device_android_patch_level_violation',
  ]) {
    assert.ok(codes.includes(code), `${code} in ${JSON.stringify(codes)}`);
  }
});
