// The whole pairing flow with oauth4webapi (a strict client nobody here wrote) over real mTLS:
// PAR → /authorize → login, TOTP and consent through the HTML forms → token → refresh → revoke →
// refresh fails; plus metadata, access-token verification and the privacy audit trail.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as oauth from 'oauth4webapi';
import { decodeJwt, decodeProtectedHeader } from 'jose';
import { verifyAccessToken, AccessTokenError } from '../../../server/oauth/access.ts';
import { verifyPrivacyTrail } from '../../../server/audit/privacy-trail.ts';
import {
  ALL_SCOPES,
  BG_SCOPE,
  CGM_SCOPE,
  approveInBrowser,
  removeCertificates,
  startHarness,
  type Harness,
} from './harness.ts';

let h: Harness;

before(async () => {
  h = await startHarness();
});

after(async () => {
  await h.close();
  removeCertificates();
});

describe('pairing flow with oauth4webapi over mTLS', () => {
  it('serves exactly the HDDT metadata members', async () => {
    const as = await h.discover(h.fetchFor(undefined));
    assert.deepEqual(Object.keys(as).sort(), [
      'authorization_endpoint',
      'code_challenge_methods_supported',
      'grant_types_supported',
      'issuer',
      'pushed_authorization_request_endpoint',
      'request_parameter_supported',
      'require_pushed_authorization_requests',
      'response_types_supported',
      'revocation_endpoint',
      'revocation_endpoint_auth_methods_supported',
      'scopes_supported',
      'service_documentation',
      'tls_client_certificate_bound_access_tokens',
      'token_endpoint',
      'token_endpoint_auth_methods_supported',
    ]);
    assert.equal(as.issuer, h.url);
    assert.equal(as.service_documentation, `${h.url}/service/docs`);
    assert.deepEqual(as.scopes_supported, ALL_SCOPES);
    assert.deepEqual(as.code_challenge_methods_supported, ['S256']);
    assert.deepEqual(as.token_endpoint_auth_methods_supported, ['tls_client_auth']);
    assert.equal(as.require_pushed_authorization_requests, true);
    assert.equal(as.tls_client_certificate_bound_access_tokens, false);
  });

  it('pairs, refreshes with rotation, revokes, and refuses the revoked refresh token', async () => {
    const c = h.clients[0]!;
    const f = h.fetchFor(c);
    const as = await h.discover(f);
    const client: oauth.Client = { client_id: c.clientId };
    const auth = oauth.TlsClientAuth();
    const patient = await h.addPatient();
    const verifier = oauth.generateRandomCodeVerifier();
    const state = oauth.generateRandomState();
    const parRes = await oauth.pushedAuthorizationRequest(
      as,
      client,
      auth,
      {
        response_type: 'code',
        redirect_uri: c.redirectUri,
        scope: ALL_SCOPES.join(' '),
        code_challenge: await oauth.calculatePKCECodeChallenge(verifier),
        code_challenge_method: 'S256',
        state,
      },
      { [oauth.customFetch]: f },
    );
    assert.equal(parRes.status, 201);
    const par = await oauth.processPushedAuthorizationResponse(as, client, parRes);
    assert.equal(par.expires_in, 90);
    const authorizeUrl = new URL(as.authorization_endpoint!);
    authorizeUrl.searchParams.set('client_id', c.clientId);
    authorizeUrl.searchParams.set('request_uri', par.request_uri);

    const callback = await approveInBrowser(h, h.browser(), authorizeUrl.href, patient, ['bloodGlucose']);
    assert.equal(callback.origin + callback.pathname, c.redirectUri);
    const params = oauth.validateAuthResponse(as, client, callback, state);
    const tokenRes = await oauth.authorizationCodeGrantRequest(
      as,
      client,
      auth,
      params,
      c.redirectUri,
      verifier,
      {
        [oauth.customFetch]: f,
      },
    );
    assert.equal(tokenRes.headers.get('cache-control'), 'no-store');
    const tokens = await oauth.processAuthorizationCodeResponse(as, client, tokenRes);
    assert.equal(tokens.token_type, 'bearer');
    assert.ok(tokens.refresh_token);
    // Only the MIV the patient ticked, plus the device scopes that were requested.
    assert.equal(tokens.scope, `${BG_SCOPE} patient/Device.rs patient/DeviceMetric.rs`);
    assert.ok(!String(tokens.scope).includes(CGM_SCOPE));
    const sub = tokens.sub as string;
    assert.match(sub, /^[0-9a-f]{64}$/);

    const header = decodeProtectedHeader(tokens.access_token);
    assert.equal(header.alg, 'ES256');
    assert.equal(header.typ, 'at+jwt');
    const claims = decodeJwt(tokens.access_token);
    assert.equal(claims.iss, h.url);
    assert.equal(claims.sub, sub);
    assert.equal(claims.client_id, c.clientId);
    assert.equal(claims.exp! - claims.iat!, 300);
    const ctx = await verifyAccessToken(h.services, tokens.access_token);
    assert.equal(ctx.pairingId, sub);
    assert.equal(ctx.patientId, patient.patientId);
    assert.deepEqual(ctx.mivs, ['bloodGlucose']);

    // Refresh: new pair, rotation.
    h.clock.advance(60_000);
    const r1 = await oauth.processRefreshTokenResponse(
      as,
      client,
      await oauth.refreshTokenGrantRequest(as, client, auth, tokens.refresh_token!, {
        [oauth.customFetch]: f,
      }),
    );
    assert.notEqual(r1.refresh_token, tokens.refresh_token);
    assert.equal(r1.sub, sub);
    assert.equal(r1.scope, tokens.scope);
    const ctx1 = await verifyAccessToken(h.services, r1.access_token);
    assert.equal(ctx1.grantId, ctx.grantId);

    // Revoke the refresh token: grant, tokens and consent are gone.
    const rv = await oauth.revocationRequest(as, client, auth, r1.refresh_token!, {
      [oauth.customFetch]: f,
      additionalParameters: { token_type_hint: 'refresh_token' },
    });
    assert.equal(rv.status, 200);
    await oauth.processRevocationResponse(rv);
    await assert.rejects(verifyAccessToken(h.services, r1.access_token), (e: unknown) => {
      return e instanceof AccessTokenError && e.reason === 'grant_inactive';
    });
    const again = await oauth.refreshTokenGrantRequest(as, client, auth, r1.refresh_token!, {
      [oauth.customFetch]: f,
    });
    assert.equal(again.status, 400);
    assert.equal(((await again.json()) as { error: string }).error, 'invalid_grant');

    // Re-pairing the same patient with the same DiGA yields the same Pairing ID.
    const v2 = oauth.generateRandomCodeVerifier();
    const par2 = await oauth.processPushedAuthorizationResponse(
      as,
      client,
      await oauth.pushedAuthorizationRequest(
        as,
        client,
        auth,
        {
          response_type: 'code',
          redirect_uri: c.redirectUri,
          scope: ALL_SCOPES.join(' '),
          code_challenge: await oauth.calculatePKCECodeChallenge(v2),
          code_challenge_method: 'S256',
        },
        { [oauth.customFetch]: f },
      ),
    );
    const url2 = new URL(as.authorization_endpoint!);
    url2.searchParams.set('client_id', c.clientId);
    url2.searchParams.set('request_uri', par2.request_uri);
    const cb2 = await approveInBrowser(h, h.browser(), url2.href, patient, ['bloodGlucose', 'cgm']);
    const t2 = await oauth.processAuthorizationCodeResponse(
      as,
      client,
      await oauth.authorizationCodeGrantRequest(
        as,
        client,
        auth,
        oauth.validateAuthResponse(as, client, cb2, oauth.expectNoState),
        c.redirectUri,
        v2,
        { [oauth.customFetch]: f },
      ),
    );
    assert.equal(t2.sub, sub);
    assert.deepEqual((await verifyAccessToken(h.services, t2.access_token)).mivs, ['bloodGlucose', 'cgm']);

    const trail = verifyPrivacyTrail(h.services.store);
    assert.equal(trail.ok, true);
    assert.ok(trail.checked >= 5);
  });
});
