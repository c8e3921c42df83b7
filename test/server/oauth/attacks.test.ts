// Attack suite: every case is a request an attacker (or a broken client) could send, with the exact
// HTTP status and OAuth error code the authorization server must answer. Real mTLS, real SQLite, real
// HTML forms; only time is moved.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { decodeJwt, SignJWT } from 'jose';
import { AccessTokenError, verifyAccessToken } from '../../../server/oauth/access.ts';
import { verifyPrivacyTrail } from '../../../server/audit/privacy-trail.ts';
import {
  ALL_SCOPES,
  BG_SCOPE,
  CGM_SCOPE,
  authorizePath,
  codeFor,
  csrfOf,
  errorCodeOf,
  exchange,
  location,
  pair,
  parParams,
  post,
  refresh,
  removeCertificates,
  request,
  startHarness,
  type Harness,
  type HttpResult,
} from './harness.ts';

let h: Harness;

before(async () => {
  h = await startHarness();
});

after(async () => {
  await h.close();
  removeCertificates();
});

function expectError(r: HttpResult, status: number, error: string) {
  assert.equal(r.status, status, r.text);
  assert.equal(r.json().error, error, r.text);
  assert.equal(r.headers['cache-control'], 'no-store');
  assert.match(String(r.headers['content-type']), /^application\/json/);
}

function expectPageError(r: HttpResult, status: number, error: string) {
  assert.equal(r.status, status, r.text.slice(0, 300));
  assert.equal(errorCodeOf(r.text), error);
  assert.equal(r.headers.location, undefined);
}

async function rejectedToken(token: string, code: AccessTokenError['reason'], at?: Date) {
  await assert.rejects(
    verifyAccessToken(h.services, token, at),
    (e: unknown) => e instanceof AccessTokenError && e.reason === code,
  );
}

const A = () => h.clients[0]!;
const B = () => h.clients[1]!;

describe('client authentication at /par (mTLS + directory pinning)', () => {
  it('no client certificate → 401 invalid_client', async () => {
    const { params } = await parParams(A());
    expectError(await post(h, '/par', null, params), 401, 'invalid_client');
  });

  it('an unregistered certificate → 401 invalid_client', async () => {
    const { params } = await parParams(A());
    expectError(await post(h, '/par', h.stranger, params), 401, 'invalid_client');
  });

  it("another DiGA's certificate with this client_id → 401 invalid_client", async () => {
    const { params } = await parParams(A());
    expectError(await post(h, '/par', B(), params), 401, 'invalid_client');
  });

  it('unknown client_id (not in the directory) → 401 invalid_client', async () => {
    const { params } = await parParams(A());
    params.client_id = 'urn:diga:bfarm:99999';
    expectError(await post(h, '/par', h.stranger, params), 401, 'invalid_client');
  });

  it('malformed client_id → 401 invalid_client', async () => {
    const { params } = await parParams(A());
    params.client_id = 'diga-10001';
    expectError(await post(h, '/par', A(), params), 401, 'invalid_client');
  });

  it('retired client with its own certificate → 401 invalid_client', async () => {
    const { params } = await parParams(h.retired);
    expectError(await post(h, '/par', h.retired, params), 401, 'invalid_client');
  });

  it('client_id missing → 401 invalid_client', async () => {
    const { params } = await parParams(A());
    delete params.client_id;
    expectError(await post(h, '/par', A(), params), 401, 'invalid_client');
  });

  it('a second authentication method (client_secret) → 400 invalid_request', async () => {
    const { params } = await parParams(A());
    params.client_secret = 'secret';
    expectError(await post(h, '/par', A(), params), 400, 'invalid_request');
  });
});

describe('authorization request checks at /par', () => {
  it('PKCE missing → 400 invalid_request', async () => {
    const { params } = await parParams(A());
    delete params.code_challenge;
    delete params.code_challenge_method;
    expectError(await post(h, '/par', A(), params), 400, 'invalid_request');
  });

  it('PKCE method plain → 400 invalid_request', async () => {
    const { params } = await parParams(A());
    params.code_challenge_method = 'plain';
    params.code_challenge = 'x'.repeat(43);
    expectError(await post(h, '/par', A(), params), 400, 'invalid_request');
  });

  it('PKCE method missing (would default to plain) → 400 invalid_request', async () => {
    const { params } = await parParams(A());
    delete params.code_challenge_method;
    expectError(await post(h, '/par', A(), params), 400, 'invalid_request');
  });

  it('request parameter (JAR) → 400 request_not_supported', async () => {
    const { params } = await parParams(A());
    params.request = 'eyJhbGciOiJub25lIn0.eyJzY29wZSI6IngifQ.';
    expectError(await post(h, '/par', A(), params), 400, 'request_not_supported');
  });

  it('request_uri pushed into PAR → 400 invalid_request', async () => {
    const { params } = await parParams(A());
    params.request_uri = 'urn:ietf:params:oauth:request_uri:abc';
    expectError(await post(h, '/par', A(), params), 400, 'invalid_request');
  });

  it('redirect_uri differing by one character → 400 invalid_request', async () => {
    const { params } = await parParams(A());
    params.redirect_uri = A().redirectUri.replace(/k$/, 'K');
    assert.notEqual(params.redirect_uri, A().redirectUri);
    expectError(await post(h, '/par', A(), params), 400, 'invalid_request');
  });

  it('redirect_uri with an extra query parameter → 400 invalid_request', async () => {
    const { params } = await parParams(A());
    params.redirect_uri = `${A().redirectUri}?next=https://evil.example`;
    expectError(await post(h, '/par', A(), params), 400, 'invalid_request');
  });

  it("another DiGA's redirect_uri → 400 invalid_request", async () => {
    const { params } = await parParams(A());
    params.redirect_uri = B().redirectUri;
    expectError(await post(h, '/par', A(), params), 400, 'invalid_request');
  });

  it('scope beyond the registration (CGM for a BG-only DiGA) → 400 invalid_scope', async () => {
    const { params } = await parParams(B(), `${BG_SCOPE} ${CGM_SCOPE}`);
    expectError(await post(h, '/par', B(), params), 400, 'invalid_scope');
  });

  it('scope not offered (patient/Patient.rs) → 400 invalid_scope', async () => {
    const { params } = await parParams(A(), `${BG_SCOPE} patient/Patient.rs`);
    expectError(await post(h, '/par', A(), params), 400, 'invalid_scope');
  });

  it('scope with a versioned ValueSet URL → 400 invalid_scope', async () => {
    const { params } = await parParams(A(), `${BG_SCOPE}|1.0.1`);
    expectError(await post(h, '/par', A(), params), 400, 'invalid_scope');
  });

  it('scope missing → 400 invalid_scope', async () => {
    const { params } = await parParams(A());
    delete params.scope;
    expectError(await post(h, '/par', A(), params), 400, 'invalid_scope');
  });

  it('only device scopes, no MIV → 400 invalid_scope', async () => {
    const { params } = await parParams(A(), 'patient/Device.rs patient/DeviceMetric.rs');
    expectError(await post(h, '/par', A(), params), 400, 'invalid_scope');
  });

  it('response_type=token (implicit) → 400 unsupported_response_type', async () => {
    const { params } = await parParams(A());
    params.response_type = 'token';
    expectError(await post(h, '/par', A(), params), 400, 'unsupported_response_type');
  });

  it('repeated parameter → 400 invalid_request', async () => {
    const { params } = await parParams(A());
    const r = await post(h, '/par', A(), {
      ...params,
      redirect_uri: [params.redirect_uri!, B().redirectUri],
    });
    expectError(r, 400, 'invalid_request');
    assert.equal(r.json().error_description, 'Parameter redirect_uri is repeated');
  });

  it('an over-long parameter → 400 invalid_request naming it', async () => {
    const { params } = await parParams(A());
    const r = await post(h, '/par', A(), { ...params, state: 'x'.repeat(4097) });
    expectError(r, 400, 'invalid_request');
    assert.equal(r.json().error_description, 'Parameter state is too long');
  });

  it('JSON body instead of a form → 400 invalid_request', async () => {
    const { params } = await parParams(A());
    const r = await request(`${h.url}/par`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(params),
      ca: h.ca,
      cert: A().cert,
      key: A().key,
    });
    expectError(r, 400, 'invalid_request');
  });
});

describe('/authorize', () => {
  async function pushed(c = A()) {
    const { params } = await parParams(c, `${BG_SCOPE} patient/Device.rs`);
    const r = await post(h, '/par', c, params);
    assert.equal(r.status, 201);
    return r.json().request_uri as string;
  }

  it('request_uri reused → 400 invalid_request_uri', async () => {
    const uri = await pushed();
    const b = h.browser();
    assert.equal((await b.get(authorizePath(A(), uri))).status, 303);
    expectPageError(await b.get(authorizePath(A(), uri)), 400, 'invalid_request_uri');
  });

  it('request_uri expired (after 90 s) → 400 invalid_request_uri', async () => {
    const uri = await pushed();
    h.clock.advance(91_000);
    expectPageError(await h.browser().get(authorizePath(A(), uri)), 400, 'invalid_request_uri');
  });

  it("another client's request_uri → 400 invalid_request_uri", async () => {
    const uri = await pushed(B());
    expectPageError(await h.browser().get(authorizePath(A(), uri)), 400, 'invalid_request_uri');
  });

  it('unknown request_uri → 400 invalid_request_uri', async () => {
    const r = await h.browser().get(authorizePath(A(), 'urn:ietf:params:oauth:request_uri:nope'));
    expectPageError(r, 400, 'invalid_request_uri');
  });

  it('parameters that were not pushed (scope, redirect_uri) → 400 invalid_request', async () => {
    const uri = await pushed();
    const extra = `${authorizePath(A(), uri)}&redirect_uri=${encodeURIComponent('https://evil.example/cb')}`;
    expectPageError(await h.browser().get(extra), 400, 'invalid_request');
    // The request_uri was not consumed by the rejected call? It must not matter: nothing was issued.
  });

  it('request_uri missing → 400 invalid_request', async () => {
    expectPageError(
      await h.browser().get(`/authorize?client_id=${encodeURIComponent(A().clientId)}`),
      400,
      'invalid_request',
    );
  });

  it('retired client → 401 invalid_client', async () => {
    const r = await h.browser().get(authorizePath(h.retired, 'urn:ietf:params:oauth:request_uri:x'));
    expectPageError(r, 401, 'invalid_client');
  });
});

describe('patient login and consent pages', () => {
  async function loginPage() {
    const { params } = await parParams(A());
    const uri = (await post(h, '/par', A(), params)).json().request_uri as string;
    const b = h.browser();
    const next = location(await b.get(authorizePath(A(), uri)));
    const tx = new URL(next, h.url).searchParams.get('tx')!;
    const page = await b.get(next);
    return { b, tx, csrf: csrfOf(page.text), state: params.state };
  }

  it('wrong password → 401, no session upgrade', async () => {
    const p = await h.addPatient();
    const { b, tx, csrf } = await loginPage();
    const r = await b.post('/account/login', {
      _csrf: csrf,
      tx,
      username: p.username,
      password: 'wrong-password!',
    });
    assert.equal(r.status, 401);
    assert.equal(errorCodeOf(r.text), 'login_failed');
    assert.equal((await b.get(`/account/consent?tx=${tx}`)).status, 303);
  });

  it('unknown user → 401 with the same answer', async () => {
    const { b, tx, csrf } = await loginPage();
    const r = await b.post('/account/login', {
      _csrf: csrf,
      tx,
      username: 'nobody-here',
      password: 'whatever-pass',
    });
    assert.equal(r.status, 401);
    assert.equal(errorCodeOf(r.text), 'login_failed');
  });

  it('wrong TOTP → 401', async () => {
    const p = await h.addPatient();
    const { b, tx, csrf } = await loginPage();
    const r1 = await b.post('/account/login', {
      _csrf: csrf,
      tx,
      username: p.username,
      password: p.password,
    });
    assert.equal(r1.status, 303);
    const page = await b.get(location(r1));
    const good = await h.totp(p.totpSecret);
    const bad = String((Number(good) + 1) % 1_000_000).padStart(6, '0');
    const r2 = await b.post('/account/login/totp', { _csrf: csrfOf(page.text), tx, code: bad });
    assert.equal(r2.status, 401);
    assert.equal(errorCodeOf(r2.text), 'login_failed');
  });

  it('a replayed TOTP code → 401', async () => {
    const p = await h.addPatient();
    const code = await h.totp(p.totpSecret);
    for (let i = 0; i < 2; i++) {
      const { b, tx, csrf } = await loginPage();
      const r1 = await b.post('/account/login', {
        _csrf: csrf,
        tx,
        username: p.username,
        password: p.password,
      });
      const page = await b.get(location(r1));
      const r2 = await b.post('/account/login/totp', { _csrf: csrfOf(page.text), tx, code });
      assert.equal(r2.status, i === 0 ? 303 : 401);
    }
  });

  it('lockout after repeated failures: even the right password → 401', async () => {
    const p = await h.addPatient();
    const { b, tx, csrf } = await loginPage();
    for (let i = 0; i < 3; i++) {
      const r = await b.post('/account/login', {
        _csrf: csrf,
        tx,
        username: p.username,
        password: `nope-${i}-wrong`,
      });
      assert.equal(r.status, 401);
    }
    const r = await b.post('/account/login', { _csrf: csrf, tx, username: p.username, password: p.password });
    assert.equal(r.status, 401);
    h.clock.advance(61_000);
    const { b: b2, tx: tx2, csrf: csrf2 } = await loginPage();
    const ok = await b2.post('/account/login', {
      _csrf: csrf2,
      tx: tx2,
      username: p.username,
      password: p.password,
    });
    assert.equal(ok.status, 303);
  });

  it('CSRF token missing on the login form → 403', async () => {
    const p = await h.addPatient();
    const { b, tx } = await loginPage();
    const r = await b.post('/account/login', { tx, username: p.username, password: p.password });
    assert.equal(r.status, 403);
    assert.equal(errorCodeOf(r.text), 'csrf_invalid');
  });

  it('CSRF token of another browser → 403', async () => {
    const p = await h.addPatient();
    const mine = await loginPage();
    const theirs = await loginPage();
    const r = await mine.b.post('/account/login', {
      _csrf: theirs.csrf,
      tx: mine.tx,
      username: p.username,
      password: p.password,
    });
    assert.equal(r.status, 403);
  });

  it('CSRF token missing on the consent form → 403, no code', async () => {
    const p = await h.addPatient();
    const { b, tx, csrf } = await loginPage();
    const r1 = await b.post('/account/login', {
      _csrf: csrf,
      tx,
      username: p.username,
      password: p.password,
    });
    const page = await b.get(location(r1));
    const r2 = await b.post('/account/login/totp', {
      _csrf: csrfOf(page.text),
      tx,
      code: await h.totp(p.totpSecret),
    });
    assert.equal(r2.status, 303);
    const r3 = await b.post('/account/consent', { tx, miv: 'bloodGlucose', decision: 'allow' });
    assert.equal(r3.status, 403);
    assert.equal(r3.headers.location, undefined);
  });

  it('consent denied → redirect with error=access_denied and state', async () => {
    const p = await h.addPatient();
    const { b, tx, csrf, state } = await loginPage();
    const r1 = await b.post('/account/login', {
      _csrf: csrf,
      tx,
      username: p.username,
      password: p.password,
    });
    const page = await b.get(location(r1));
    const r2 = await b.post('/account/login/totp', {
      _csrf: csrfOf(page.text),
      tx,
      code: await h.totp(p.totpSecret),
    });
    const consent = await b.get(location(r2));
    const r3 = await b.post('/account/consent', { _csrf: csrfOf(consent.text), tx, decision: 'deny' });
    assert.equal(r3.status, 303);
    const cb = new URL(location(r3));
    assert.equal(cb.searchParams.get('error'), 'access_denied');
    assert.equal(cb.searchParams.get('state'), state);
    assert.equal(cb.searchParams.get('code'), null);
  });

  it('a transaction of another browser session → 400 invalid_request', async () => {
    const victim = await loginPage();
    const p = await h.addPatient();
    const { b, tx, csrf } = await loginPage();
    const r1 = await b.post('/account/login', {
      _csrf: csrf,
      tx,
      username: p.username,
      password: p.password,
    });
    const page = await b.get(location(r1));
    await b.post('/account/login/totp', { _csrf: csrfOf(page.text), tx, code: await h.totp(p.totpSecret) });
    expectPageError(
      await b.get(`/account/consent?tx=${encodeURIComponent(victim.tx)}`),
      400,
      'invalid_request',
    );
  });
});

describe('/token', () => {
  it('wrong PKCE verifier → 400 invalid_grant', async () => {
    const { code } = await codeFor(h, A());
    expectError(await exchange(h, A(), code, 'x'.repeat(43)), 400, 'invalid_grant');
  });

  it('PKCE verifier missing → 400 invalid_request', async () => {
    const { code } = await codeFor(h, A());
    const r = await post(h, '/token', A(), {
      grant_type: 'authorization_code',
      client_id: A().clientId,
      code,
      redirect_uri: A().redirectUri,
    });
    expectError(r, 400, 'invalid_request');
  });

  it('code reused → 400 invalid_grant, and the tokens issued from it are revoked', async () => {
    const { code, verifier } = await codeFor(h, A());
    const first = await exchange(h, A(), code, verifier);
    assert.equal(first.status, 200);
    const tokens = first.json() as { access_token: string; refresh_token: string };
    expectError(await exchange(h, A(), code, verifier), 400, 'invalid_grant');
    await rejectedToken(tokens.access_token, 'grant_inactive');
    expectError(await refresh(h, A(), tokens.refresh_token), 400, 'invalid_grant');
  });

  it('code used by another client → 400 invalid_grant', async () => {
    const { code, verifier } = await codeFor(h, A());
    const r = await post(h, '/token', B(), {
      grant_type: 'authorization_code',
      client_id: B().clientId,
      code,
      code_verifier: verifier,
      redirect_uri: A().redirectUri,
    });
    expectError(r, 400, 'invalid_grant');
  });

  it('code expired (after 60 s) → 400 invalid_grant', async () => {
    const { code, verifier } = await codeFor(h, A());
    h.clock.advance(61_000);
    expectError(await exchange(h, A(), code, verifier), 400, 'invalid_grant');
  });

  it('redirect_uri differing from the authorization request → 400 invalid_grant', async () => {
    const { code, verifier } = await codeFor(h, A());
    const r = await post(h, '/token', A(), {
      grant_type: 'authorization_code',
      client_id: A().clientId,
      code,
      code_verifier: verifier,
      redirect_uri: `${A().redirectUri}/`,
    });
    expectError(r, 400, 'invalid_grant');
  });

  it('grant_type=client_credentials → 400 unauthorized_client', async () => {
    const r = await post(h, '/token', A(), { grant_type: 'client_credentials', client_id: A().clientId });
    expectError(r, 400, 'unauthorized_client');
  });

  it('grant_type=password → 400 unsupported_grant_type', async () => {
    const r = await post(h, '/token', A(), {
      grant_type: 'password',
      client_id: A().clientId,
      username: 'u',
      password: 'p',
    });
    expectError(r, 400, 'unsupported_grant_type');
  });

  it('no client certificate → 401 invalid_client', async () => {
    const { code, verifier } = await codeFor(h, A());
    expectError(await exchange(h, A(), code, verifier, null), 401, 'invalid_client');
  });

  it("another DiGA's certificate for this client_id → 401 invalid_client", async () => {
    const { code, verifier } = await codeFor(h, A());
    expectError(await exchange(h, A(), code, verifier, B()), 401, 'invalid_client');
  });

  it('refresh token reused after rotation → 400 invalid_grant and the whole grant is revoked', async () => {
    const t = await pair(h, A());
    const r1 = await refresh(h, A(), t.refresh_token);
    assert.equal(r1.status, 200);
    const rotated = r1.json() as { access_token: string; refresh_token: string };
    expectError(await refresh(h, A(), t.refresh_token), 400, 'invalid_grant');
    // The legitimate holder's newer tokens die with the grant, and are told it was revoked.
    const chain = await refresh(h, A(), rotated.refresh_token);
    expectError(chain, 400, 'invalid_grant');
    assert.equal(chain.json().error_description, 'The authorization was revoked');
    await rejectedToken(rotated.access_token, 'grant_inactive');
  });

  it('refresh token of another client → 400 invalid_grant', async () => {
    const t = await pair(h, A());
    expectError(await refresh(h, B(), t.refresh_token), 400, 'invalid_grant');
  });

  it('refresh after revocation → 400 invalid_grant', async () => {
    const t = await pair(h, A());
    const rv = await post(h, '/revoke', A(), { client_id: A().clientId, token: t.refresh_token });
    assert.equal(rv.status, 200);
    const r = await refresh(h, A(), t.refresh_token);
    expectError(r, 400, 'invalid_grant');
    assert.equal(r.json().error_description, 'The authorization was revoked');
    await rejectedToken(t.access_token, 'grant_inactive');
  });

  it('refresh with a scope beyond the grant → 400 invalid_scope', async () => {
    const t = await pair(h, A(), ['bloodGlucose']);
    const r = await post(h, '/token', A(), {
      grant_type: 'refresh_token',
      client_id: A().clientId,
      refresh_token: t.refresh_token,
      scope: `${BG_SCOPE} ${CGM_SCOPE}`,
    });
    expectError(r, 400, 'invalid_scope');
  });

  it('tokens after the patient revoked the pairing in the UI → refresh 400 invalid_grant, access rejected', async () => {
    const t = await pair(h, A());
    const list = await t.browser.get('/account/pairings');
    assert.equal(list.status, 200);
    assert.ok(list.text.includes(t.sub));
    const r = await t.browser.post('/account/pairings/revoke', { _csrf: csrfOf(list.text), pairing: t.sub });
    assert.equal(r.status, 303);
    await rejectedToken(t.access_token, 'grant_inactive');
    expectError(await refresh(h, A(), t.refresh_token), 400, 'invalid_grant');
  });

  it('GET /token → 405', async () => {
    const r = await request(`${h.url}/token`, { ca: h.ca, cert: A().cert, key: A().key });
    assert.equal(r.status, 405);
    assert.equal(r.json().error, 'invalid_request');
  });
});

describe('/revoke', () => {
  it('unknown token → 200', async () => {
    const r = await post(h, '/revoke', A(), { client_id: A().clientId, token: 'not-a-token' });
    assert.equal(r.status, 200);
    assert.equal(r.text, '');
  });

  it("another client's token → 200 and nothing is revoked", async () => {
    const t = await pair(h, A());
    const r = await post(h, '/revoke', B(), { client_id: B().clientId, token: t.refresh_token });
    assert.equal(r.status, 200);
    assert.equal((await verifyAccessToken(h.services, t.access_token)).pairingId, t.sub);
  });

  it('no client certificate → 401 invalid_client', async () => {
    const t = await pair(h, A());
    expectError(
      await post(h, '/revoke', null, { client_id: A().clientId, token: t.refresh_token }),
      401,
      'invalid_client',
    );
  });

  it('revoking the access token ends the grant too', async () => {
    const t = await pair(h, A());
    const r = await post(h, '/revoke', A(), {
      client_id: A().clientId,
      token: t.access_token,
      token_type_hint: 'access_token',
    });
    assert.equal(r.status, 200);
    expectError(await refresh(h, A(), t.refresh_token), 400, 'invalid_grant');
  });
});

describe('access tokens at the FHIR API: audience', () => {
  const fhir = (token: string) =>
    request(`${h.url}/fhir/Observation`, {
      headers: { authorization: `Bearer ${token}`, accept: 'application/fhir+json' },
      ca: h.ca,
      cert: A().cert,
      key: A().key,
    });

  it('a token of this server for another audience (or none) → 401 invalid_token', async () => {
    const t = await pair(h, A());
    assert.equal(decodeJwt(t.access_token).aud, `${h.url}/fhir`);
    assert.equal((await fhir(t.access_token)).status, 200);
    const key = h.services.keys.active();
    const claims = decodeJwt(t.access_token);
    const resign = (c: Record<string, unknown>) =>
      new SignJWT(c).setProtectedHeader({ alg: 'ES256', typ: 'at+jwt', kid: key.kid }).sign(key.privateKey);
    const { aud: _aud, ...withoutAud } = claims;
    for (const token of [
      await resign({ ...claims, aud: 'https://other-ddr.example/fhir' }),
      await resign(withoutAud),
    ]) {
      const r = await fhir(token);
      assert.equal(r.status, 401, r.text);
      assert.match(String(r.headers['www-authenticate']), /error="invalid_token".*not issued for this API/);
    }
  });
});

describe('directory changes', () => {
  it('a client retired in the directory loses its grants; its token requests → 401 invalid_client', async () => {
    const t = await pair(h, A());
    const issuedAt = h.clock.now();
    h.writeDirectory((entries) => {
      entries[0]!.status = 'retired';
    });
    try {
      h.clock.advance(601_000);
      expectError(await refresh(h, A(), t.refresh_token), 401, 'invalid_client');
      // Checked at a time the token had not expired yet: it is dead because the grant is.
      await rejectedToken(t.access_token, 'grant_inactive', new Date(issuedAt.getTime() + 1000));
    } finally {
      h.writeDirectory((entries) => {
        entries[0]!.status = 'active';
      });
      h.clock.advance(601_000);
    }
    // Active again, but the revoked grant stays revoked.
    expectError(await refresh(h, A(), t.refresh_token), 400, 'invalid_grant');
  });

  it('the privacy trail chain verifies after all of the above', () => {
    const v = verifyPrivacyTrail(h.services.store);
    assert.equal(v.ok, true);
    assert.ok(v.checked > 40);
  });
});

describe('directory unreachable with a stale cache', () => {
  let d: Harness;
  before(async () => {
    d = await startHarness({ httpsDirectory: true });
  });
  after(async () => {
    await d.close();
  });

  it('PAR, token and authorize are rejected with 503 temporarily_unavailable', async () => {
    const c = d.clients[0]!;
    const t = await pair(d, c);
    await d.stopDirectoryServer();
    // Within the cache period the cached copy still serves.
    assert.equal((await refresh(d, c, t.refresh_token)).status, 200);
    d.clock.advance(601_000);
    const { params } = await parParams(c);
    const r = await post(d, '/par', c, params);
    expectError(r, 503, 'temporarily_unavailable');
    assert.ok(r.headers['retry-after']);
    expectError(await refresh(d, c, 'anything'), 503, 'temporarily_unavailable');
    const page = await d.browser().get(authorizePath(c, 'urn:ietf:params:oauth:request_uri:x'));
    expectPageError(page, 503, 'temporarily_unavailable');
  });
});

// Keep the list of scopes in use visible to the reader of this suite.
void ALL_SCOPES;
