// The PEP's check of DSR device tokens (signature against the configured issuer keys, iss, iat/exp, the
// cnf.x5t#S256 binding to the mTLS certificate) with real ES256 JWTs, keys from a JWKS file and from a
// local HTTPS server, and the named violation each failure becomes in the PDP's DSR-shaped verdict.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import https from 'node:https';
import os from 'node:os';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { loadConfig } from '../../../config/load.ts';
import { ManualClock } from '../../../server/clock.ts';
import { generateDevCertificates, type DevCertificates } from '../../../server/dev-certs.ts';
import {
  DeviceTokenVerifier,
  deviceTokenVerifier,
  type DeviceTokenFact,
} from '../../../server/policy/device-token.ts';
import { decide, type PolicyFacts } from '../../../server/policy/pdp.ts';
import { POLICY_DEFAULTS, type DeviceTokenTrust } from '../../../server/policy/policy-config.ts';
import { deviceToken, dsrKey, iosHealth, jwks, type DsrKey } from './dsr.ts';

const NOW = Date.parse('2026-03-01T12:00:00Z');
const THUMB = 'nZyq4MIfG5qk3ZbkLPT1UDwdGhLMjxl6WLhaPHiByJE';
const TRUST: DeviceTokenTrust = { ...POLICY_DEFAULTS.device.trust, cacheSeconds: 600 };

let dir: string;
let certs: DevCertificates;
let dsr: DsrKey;
let other: DsrKey;
let jwksFile: string;

before(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hddt-device-token-'));
  certs = await generateDevCertificates({ outDir: path.join(dir, 'certs'), clients: 1 });
  dsr = await dsrKey('dsr-1');
  other = await dsrKey('dsr-unknown');
  jwksFile = path.join(dir, 'dsr-jwks.json');
  fs.writeFileSync(jwksFile, JSON.stringify(jwks(dsr)));
});
after(() => fs.rmSync(dir, { recursive: true, force: true }));

function fileVerifier(clock = new ManualClock(NOW), file = jwksFile, trust = TRUST) {
  return new DeviceTokenVerifier(trust, { jwks: file, clock });
}

function expectInvalid(fact: DeviceTokenFact, error: string) {
  assert.equal(fact.deviceTokenValid, false, JSON.stringify(fact));
  assert.equal((fact as { error: string }).error, error);
  assert.ok((fact as { error_description: string }).error_description.length > 0);
}

/** The PDP's verdict for an otherwise good request carrying this device fact. */
function verdictWith(device: DeviceTokenFact) {
  const facts: PolicyFacts = {
    nowMs: NOW,
    request: { method: 'GET', path: '/fhir/Observation', clientIp: '10.0.0.1' },
    tls: { clientCertificate: { notBeforeMs: NOW - 1000, notAfterMs: NOW + 1000 } },
    token: {
      ok: true,
      clientId: 'urn:diga:bfarm:10001',
      pairingId: 'p',
      grantId: 'g',
      scopes: [],
      expiresAtMs: NOW + 60_000,
    },
    grant: {
      pairing_id: 'p',
      client_id: 'urn:diga:bfarm:10001',
      patient_id: 'patient',
      revoked_ms: null,
      activated_ms: NOW - 1000,
      pairing_revoked_ms: null,
      expires_ms: NOW + 60_000,
      consent_expires_ms: NOW + 60_000,
    },
    directory: {
      available: true,
      listed: true,
      status: 'active',
      certificateMatches: true,
      registeredCertificates: [{ notBeforeMs: NOW - 1000, notAfterMs: NOW + 1000 }],
    },
    device,
  };
  return decide(facts, POLICY_DEFAULTS);
}

describe('device token check (JWKS file)', () => {
  it('a token signed by a DSR key, bound to this certificate, is valid and reaches the device rules', async () => {
    const fact = await fileVerifier().verify(await deviceToken(dsr, THUMB, NOW), THUMB, new Date(NOW));
    assert.equal(fact.deviceTokenValid, true);
    assert.equal(fact.deviceTokenValid && fact.deviceTokenPayload.iss, 'DSR GMS 1.0.0');
    assert.deepEqual(verdictWith(fact), {
      allow: true,
      client: { allow: true, violations: [] },
      security: { allow: true, violations: [] },
      device: { allow: true, violations: [] },
    });
  });

  it('a valid token whose device breaks a rule is refused by that rule', async () => {
    const token = await deviceToken(dsr, THUMB, NOW, { type: 'IOS', deviceHealth: iosHealth('16.7') });
    const fact = await fileVerifier().verify(token, THUMB, new Date(NOW));
    assert.equal(fact.deviceTokenValid, true);
    const verdict = verdictWith(fact);
    assert.equal(verdict.allow, false);
    assert.deepEqual(
      verdict.device?.violations.map((v) => v.error),
      ['device_ios_invalid_version'],
    );
  });

  const cases: Array<[string, () => Promise<string>, string, string?]> = [
    [
      'forged signature (known kid, another key)',
      () => deviceToken(dsr, THUMB, NOW, { signWith: other, kid: dsr.kid }),
      'device_token_signature_invalid',
    ],
    ['unknown key', () => deviceToken(other, THUMB, NOW), 'device_token_key_unknown'],
    [
      'expired',
      () => deviceToken(dsr, THUMB, NOW, { iatSec: NOW / 1000 - 7200, expSec: NOW / 1000 - 3600 }),
      'device_token_expired',
    ],
    [
      'issued in the future',
      () => deviceToken(dsr, THUMB, NOW, { iatSec: NOW / 1000 + 600, expSec: NOW / 1000 + 4200 }),
      'device_token_not_yet_valid',
    ],
    [
      'thumbprint mismatch',
      () => deviceToken(dsr, 'another-certificate', NOW),
      'device_token_thumbprint_mismatch',
    ],
    ['missing cnf', () => deviceToken(dsr, THUMB, NOW, { cnf: null }), 'device_token_cnf_missing'],
    [
      'cnf without x5t#S256',
      () => deviceToken(dsr, THUMB, NOW, { cnf: { jkt: 'x' } }),
      'device_token_cnf_missing',
    ],
    [
      'another issuer',
      () => deviceToken(dsr, THUMB, NOW, { iss: 'Evil GMS' }),
      'device_token_issuer_invalid',
    ],
    ['not a JWT', async () => 'eyJhbGciOiJub25lIn0.e30', 'device_token_malformed'],
    ['oversized', async () => `${'a'.repeat(20_000)}.b.c`, 'device_token_malformed'],
  ];
  for (const [name, make, error] of cases) {
    it(`${name} → ${error}, a named violation in the device part of the verdict`, async () => {
      const fact = await fileVerifier().verify(await make(), THUMB, new Date(NOW));
      expectInvalid(fact, error);
      const verdict = verdictWith(fact);
      assert.equal(verdict.allow, false);
      assert.equal(verdict.device?.allow, false);
      assert.deepEqual(
        verdict.device?.violations.map((v) => v.error),
        [error],
      );
      assert.deepEqual(verdict.security, { allow: true, violations: [] });
    });
  }

  it('a token bound to a certificate is refused on a connection without one', async () => {
    const fact = await fileVerifier().verify(await deviceToken(dsr, THUMB, NOW), undefined, new Date(NOW));
    expectInvalid(fact, 'device_token_thumbprint_mismatch');
  });

  it('without configured keys every device token is refused', async () => {
    const v = new DeviceTokenVerifier(TRUST, { jwks: null, clock: new ManualClock(NOW) });
    expectInvalid(
      await v.verify(await deviceToken(dsr, THUMB, NOW), THUMB, new Date(NOW)),
      'device_token_keys_unavailable',
    );
  });

  it('keys are used at most cacheSeconds: a rotation is picked up, an unreadable file then refuses', async () => {
    const file = path.join(dir, 'rotating-jwks.json');
    fs.writeFileSync(file, JSON.stringify(jwks(dsr)));
    const clock = new ManualClock(NOW);
    const v = fileVerifier(clock, file);
    const at = (ms: number) => new Date(ms);
    assert.equal((await v.verify(await deviceToken(dsr, THUMB, NOW), THUMB, at(NOW))).deviceTokenValid, true);
    // The DSR service rotates to a new key: within the cache lifetime the new kid is still unknown.
    const next = await dsrKey('dsr-2');
    fs.writeFileSync(file, JSON.stringify(jwks(next)));
    clock.advance(599_000);
    const t2 = await deviceToken(next, THUMB, clock.now().getTime());
    expectInvalid(await v.verify(t2, THUMB, clock.now()), 'device_token_key_unknown');
    clock.advance(1000);
    assert.equal((await v.verify(t2, THUMB, clock.now())).deviceTokenValid, true);
    // Past the lifetime with the file gone: no stale keys, the token is refused.
    fs.rmSync(file);
    clock.advance(600_000);
    const t3 = await deviceToken(next, THUMB, clock.now().getTime());
    expectInvalid(await v.verify(t3, THUMB, clock.now()), 'device_token_keys_unavailable');
  });

  it('deviceTokenVerifier() reads policy.device.trust, with the JWKS path relative to dataDir', async () => {
    const config = loadConfig({
      env: {},
      overrides: { dataDir: dir, policy: { device: { trust: { jwks: 'dsr-jwks.json' } } } },
    });
    const v = deviceTokenVerifier(config, new ManualClock(NOW));
    assert.equal(
      (await v.verify(await deviceToken(dsr, THUMB, NOW), THUMB, new Date(NOW))).deviceTokenValid,
      true,
    );
  });
});

describe('device token check (JWKS over HTTPS)', () => {
  let server: https.Server;
  let url: string;
  let served: string;
  let requests = 0;

  before(async () => {
    served = JSON.stringify(jwks(dsr));
    server = https.createServer({ cert: certs.serverCertPem, key: certs.serverKeyPem }, (_req, res) => {
      requests++;
      res.setHeader('content-type', 'application/json');
      res.end(served);
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    url = `https://localhost:${(server.address() as AddressInfo).port}/.well-known/jwks.json`;
  });
  after(async () => {
    server.closeAllConnections();
    await new Promise<void>((r) => server.close(() => r()));
  });

  it('fetches the keys with the configured CA, caches them, and refuses once they are stale and unreachable', async () => {
    const trust = { ...TRUST, cacheSeconds: 1 };
    const v = new DeviceTokenVerifier(trust, { jwks: url, ca: certs.caCertPem, clock: new ManualClock(NOW) });
    const now = Date.now();
    const token = await deviceToken(dsr, THUMB, now);
    assert.equal((await v.verify(token, THUMB, new Date(now))).deviceTokenValid, true);
    assert.equal((await v.verify(token, THUMB, new Date(now))).deviceTokenValid, true);
    assert.equal(requests, 1, 'the second check uses the cached keys');
    served = 'not json';
    await new Promise((r) => setTimeout(r, 1100));
    expectInvalid(await v.verify(token, THUMB, new Date(now)), 'device_token_keys_unavailable');
  });

  it('a server certificate of an unknown CA is not trusted', async () => {
    served = JSON.stringify(jwks(dsr));
    const v = new DeviceTokenVerifier(TRUST, { jwks: url, clock: new ManualClock(NOW) });
    const now = Date.now();
    expectInvalid(
      await v.verify(await deviceToken(dsr, THUMB, now), THUMB, new Date(now)),
      'device_token_keys_unavailable',
    );
  });
});
