// Access tokens and signing keys without HTTP: every AccessTokenError code, key rotation with overlap,
// key file permissions, the test helper, PKCE S256 (RFC 7636 appendix B vector) and Pairing IDs.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { decodeJwt, decodeProtectedHeader, generateKeyPair, SignJWT } from 'jose';
import { pino } from 'pino';
import { loadConfig } from '../../../config/load.ts';
import { openStore } from '../../../gateway/store/store.ts';
import { ManualClock } from '../../../server/clock.ts';
import { createServices } from '../../../server/start.ts';
import type { ServerServices } from '../../../server/services.ts';
import { AccessTokenError, verifyAccessToken } from '../../../server/oauth/access.ts';
import { SigningKeys } from '../../../server/oauth/keys.ts';
import { pairingIdOf, unpair } from '../../../server/oauth/pairing.ts';
import { issueTestTokens } from '../../../bench/rigs/tokens.ts';
import { verifyPkceS256 } from '../../../server/oauth/tokens.ts';

let dir: string;
let services: ServerServices;
let clock: ManualClock;
const CLIENT = 'urn:diga:bfarm:10001';

before(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hddt-tokens-'));
  fs.writeFileSync(path.join(dir, 'dir.json'), '{"entries":[]}');
  const config = loadConfig({
    env: {},
    overrides: {
      dataDir: dir,
      server: { issuer: 'https://as.example', directory: { source: path.join(dir, 'dir.json') } },
    },
  });
  clock = new ManualClock(Date.parse('2026-03-01T10:00:00Z'));
  services = await createServices(config, {
    store: openStore({ path: path.join(dir, 'db.sqlite') }),
    clock,
    logger: pino({ level: 'silent' }),
  });
});

after(() => {
  services.store.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

async function rejects(p: Promise<unknown>, code: AccessTokenError['reason']) {
  await assert.rejects(p, (e: unknown) => {
    assert.ok(e instanceof AccessTokenError, String(e));
    assert.equal(e.reason, code);
    // the catalogue code of the same reason, and HDDT's 401 invalid_token
    assert.equal(e.code, `ERR_${code.toUpperCase()}`);
    assert.deepEqual([e.meaning.http, e.meaning.oauth], [401, 'invalid_token']);
    assert.ok(e.description.length > 0);
    return true;
  });
}

describe('verifyAccessToken', () => {
  it('accepts a fresh token and returns the access context', async () => {
    const t = await issueTestTokens(services, { clientId: CLIENT, mivs: ['cgm'] });
    const ctx = await verifyAccessToken(services, t.accessToken);
    assert.deepEqual(
      { ...ctx, expiresAt: undefined },
      {
        pairingId: t.pairingId,
        patientId: t.patientId,
        clientId: CLIENT,
        grantId: t.grantId,
        scopes: t.scope.split(' '),
        mivs: ['cgm'],
        expiresAt: undefined,
      },
    );
    assert.equal(ctx.expiresAt, clock.now().getTime() + 300_000);
    const claims = decodeJwt(t.accessToken);
    assert.deepEqual(Object.keys(claims).sort(), [
      'aud',
      'client_id',
      'exp',
      'grant_id',
      'iat',
      'iss',
      'jti',
      'scope',
      'sub',
    ]);
  });

  it('carries aud = the FHIR base URL (RFC 9068 with typ at+jwt), the configured one when set', async () => {
    const t = await issueTestTokens(services, { clientId: CLIENT });
    assert.equal(decodeJwt(t.accessToken).aud, 'https://as.example/fhir');
    assert.equal(decodeProtectedHeader(t.accessToken).typ, 'at+jwt');
    const fhir = (services.config.server as unknown as Record<string, unknown>).fhir;
    (services.config.server as unknown as Record<string, unknown>).fhir = {
      publicBaseUrl: 'https://api.example/hddt/fhir/',
    };
    try {
      const u = await issueTestTokens(services, { clientId: CLIENT });
      assert.equal(decodeJwt(u.accessToken).aud, 'https://api.example/hddt/fhir');
      await verifyAccessToken(services, u.accessToken);
      // The one issued for the other base is now for another API.
      await rejects(verifyAccessToken(services, t.accessToken), 'token_not_for_this_api');
    } finally {
      (services.config.server as unknown as Record<string, unknown>).fhir = fhir;
    }
    await verifyAccessToken(services, t.accessToken);
  });

  it('token_not_for_this_api for another audience, several, or none', async () => {
    const t = await issueTestTokens(services, { clientId: CLIENT });
    const key = services.keys.active();
    const claims = decodeJwt(t.accessToken);
    const sign = (c: Record<string, unknown>) =>
      new SignJWT(c).setProtectedHeader({ alg: 'ES256', typ: 'at+jwt', kid: key.kid }).sign(key.privateKey);
    await verifyAccessToken(services, await sign(claims));
    for (const aud of [
      'https://other.example/fhir',
      'https://as.example/operator-api',
      ['https://x.example'],
    ]) {
      await rejects(verifyAccessToken(services, await sign({ ...claims, aud })), 'token_not_for_this_api');
    }
    const { aud: _aud, ...withoutAud } = claims;
    await rejects(verifyAccessToken(services, await sign(withoutAud)), 'token_not_for_this_api');
  });

  it('one verifier (services.accessTokens) for every API: a token verified for one audience is not for another', async () => {
    const t = await issueTestTokens(services, { clientId: CLIENT });
    const now = clock.now();
    const claims = await services.accessTokens.verify(t.accessToken, 'https://as.example/fhir', now);
    assert.equal(claims.sub, t.pairingId);
    // The second call is served from the instance's cache of verified tokens: still the audience decides.
    await rejects(
      services.accessTokens.verify(t.accessToken, 'https://as.example/operator-api', now),
      'token_not_for_this_api',
    );
    // Claims handed out of the cache cannot be changed by a caller.
    assert.ok(Object.isFrozen(claims));
  });

  it('token_missing, token_malformed', async () => {
    await rejects(verifyAccessToken(services, ''), 'token_missing');
    await rejects(verifyAccessToken(services, 'opaque-token'), 'token_malformed');
    await rejects(verifyAccessToken(services, 'a.b.c'), 'token_malformed');
  });

  it('token_signature_invalid for a foreign key and for a tampered payload', async () => {
    const t = await issueTestTokens(services, { clientId: CLIENT });
    const { privateKey } = await generateKeyPair('ES256');
    const kid = services.keys.active().kid;
    const forged = await new SignJWT(decodeJwt(t.accessToken))
      .setProtectedHeader({ alg: 'ES256', typ: 'at+jwt', kid })
      .sign(privateKey);
    await rejects(verifyAccessToken(services, forged), 'token_signature_invalid');
    const [h, p, s] = t.accessToken.split('.') as [string, string, string];
    const claims = JSON.parse(Buffer.from(p, 'base64url').toString()) as Record<string, unknown>;
    claims.scope = 'patient/Observation.rs';
    const tampered = `${h}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.${s}`;
    await rejects(verifyAccessToken(services, tampered), 'token_signature_invalid');
  });

  it('token_signature_invalid for alg none / unknown kid', async () => {
    const t = await issueTestTokens(services, { clientId: CLIENT });
    const payload = t.accessToken.split('.')[1];
    const none = `${Buffer.from('{"alg":"none","typ":"at+jwt"}').toString('base64url')}.${payload}.x`;
    await rejects(verifyAccessToken(services, none), 'token_signature_invalid');
  });

  it('token_issuer_invalid, token_not_yet_valid, token_expired', async () => {
    const t = await issueTestTokens(services, { clientId: CLIENT });
    const key = services.keys.active();
    const claims = decodeJwt(t.accessToken);
    const sign = (c: Record<string, unknown>) =>
      new SignJWT(c).setProtectedHeader({ alg: 'ES256', typ: 'at+jwt', kid: key.kid }).sign(key.privateKey);
    await rejects(
      verifyAccessToken(services, await sign({ ...claims, iss: 'https://evil.example' })),
      'token_issuer_invalid',
    );
    await rejects(
      verifyAccessToken(
        services,
        await sign({ ...claims, nbf: Math.floor(clock.now().getTime() / 1000) + 600 }),
      ),
      'token_not_yet_valid',
    );
    await rejects(
      verifyAccessToken(services, t.accessToken, new Date(clock.now().getTime() + 301_000)),
      'token_expired',
    );
  });

  it('a token verified before (kept as verified) is still refused once expired or not yet valid', async () => {
    const t = await issueTestTokens(services, { clientId: CLIENT });
    const now = clock.now().getTime();
    const first = await verifyAccessToken(services, t.accessToken);
    assert.deepEqual(await verifyAccessToken(services, t.accessToken), first);
    await rejects(verifyAccessToken(services, t.accessToken, new Date(now + 300_000)), 'token_expired');
    // and again after a valid use in between
    await verifyAccessToken(services, t.accessToken, new Date(now + 299_000));
    await rejects(verifyAccessToken(services, t.accessToken, new Date(now + 300_500)), 'token_expired');

    const key = services.keys.active();
    const claims = decodeJwt(t.accessToken);
    const nbf = Math.floor(now / 1000) + 60;
    const later = await new SignJWT({ ...claims, nbf })
      .setProtectedHeader({ alg: 'ES256', typ: 'at+jwt', kid: key.kid })
      .sign(key.privateKey);
    await verifyAccessToken(services, later, new Date(nbf * 1000));
    await rejects(verifyAccessToken(services, later, new Date(nbf * 1000 - 1000)), 'token_not_yet_valid');
  });

  it('grant_inactive immediately after unpairing', async () => {
    const t = await issueTestTokens(services, { clientId: CLIENT });
    await verifyAccessToken(services, t.accessToken);
    assert.equal(unpair(services, t.pairingId, 'patient_revoked'), true);
    await rejects(verifyAccessToken(services, t.accessToken), 'grant_inactive');
  });
});

describe('signing keys', () => {
  it('are stored 0600 and rotate with overlap until old tokens expired', async () => {
    const file = path.join(dir, 'keys', 'oauth-signing-keys.json');
    assert.equal(fs.statSync(file).mode & 0o777, 0o600);
    assert.equal(fs.statSync(path.join(dir, 'keys')).mode & 0o777, 0o700);
    const t = await issueTestTokens(services, { clientId: CLIENT });
    const oldKid = services.keys.active().kid;
    const newKid = await services.keys.rotate();
    assert.notEqual(newKid, oldKid);
    await verifyAccessToken(services, t.accessToken); // old key still verifies
    const t2 = await issueTestTokens(services, { clientId: CLIENT });
    assert.equal(JSON.parse(Buffer.from(t2.accessToken.split('.')[0]!, 'base64url').toString()).kid, newKid);
    // Reopened from disk: both keys present.
    const reopened = await SigningKeys.open({
      dir: path.join(dir, 'keys'),
      clock,
      maxTokenSeconds: 300,
      rotationDays: 30,
    });
    assert.ok(reopened.publicKey(oldKid));
    // After the longest token lifetime (+ skew) the retired key is pruned at the next rotation.
    clock.advance(400_000);
    await services.keys.rotate();
    assert.equal(services.keys.publicKey(oldKid), undefined);
    await rejects(
      verifyAccessToken(services, t.accessToken, new Date(clock.now().getTime() - 400_000)),
      'token_signature_invalid',
    );
  });

  it('rotate automatically when due', async () => {
    const before = services.keys.active().kid;
    assert.equal(await services.keys.rotateIfDue(), false);
    clock.advance(31 * 86_400_000);
    assert.equal(await services.keys.rotateIfDue(), true);
    assert.notEqual(services.keys.active().kid, before);
  });
});

describe('PKCE and Pairing IDs', () => {
  it('S256 matches the RFC 7636 appendix B example', () => {
    assert.equal(
      verifyPkceS256(
        'dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk',
        'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM',
      ),
      true,
    );
    assert.equal(
      verifyPkceS256(
        'dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXj',
        'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM',
      ),
      false,
    );
  });

  it('Pairing IDs are stable per patient and DiGA, different across DiGA and patients', () => {
    const a = pairingIdOf(services.store, CLIENT, 'p1');
    assert.match(a, /^[0-9a-f]{64}$/);
    assert.equal(pairingIdOf(services.store, CLIENT, 'p1'), a);
    assert.notEqual(pairingIdOf(services.store, 'urn:diga:bfarm:10002', 'p1'), a);
    assert.notEqual(pairingIdOf(services.store, CLIENT, 'p2'), a);
    assert.ok(services.store.secret('pairing-id-salt', 32).length >= 16);
  });
});
