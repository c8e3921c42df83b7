// Client certificates are checked for validity, not only pinned: over real mTLS, an expired or not yet valid
// DiGA certificate is refused at /par, /token and /revoke (401 invalid_client) and on FHIR requests
// (401 invalid_token), even when it is exactly the one in the DiGA directory; a directory entry none of whose
// certificates is valid counts as not registered. The certificates are made expired and future-dated here.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { makeClientCertificate } from '../../../server/dev-certs.ts';
import {
  authorizePath,
  errorCodeOf,
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
type Cred = { cert: string; key: string };
let expired: Cred;
let future: Cred;
let tokens: Awaited<ReturnType<typeof pair>>;

const A = () => h.clients[0]!;
const DAY = 86_400_000;

before(async () => {
  h = await startHarness();
  const now = h.clock.now().getTime();
  const validFrom = async (from: number) => {
    const c = await makeClientCertificate(A().clientId, 365, new Date(from));
    return { cert: c.certPem, key: c.keyPem };
  };
  expired = await validFrom(now - 366 * DAY); // ended a day ago
  future = await validFrom(now + DAY); // starts tomorrow
  tokens = await pair(h, A());
});

after(async () => {
  await h.close();
  removeCertificates();
});

/** Registers these certificates (PEM) for client A and makes the server read the directory again. */
async function registerForA(...pems: string[]) {
  h.writeDirectory((entries) => {
    entries[0]!.certificate = pems.join('');
  });
  await h.services.directory.refresh();
}

function expectInvalidClient(r: HttpResult, description: RegExp) {
  assert.equal(r.status, 401, r.text);
  assert.equal(r.json().error, 'invalid_client', r.text);
  assert.match(r.json().error_description as string, description);
}

function fhir(cred: Cred, token = tokens.access_token) {
  return request(`${h.url}/fhir/Observation`, {
    headers: { authorization: `Bearer ${token}`, accept: 'application/fhir+json' },
    ca: h.ca,
    cert: cred.cert,
    key: cred.key,
  });
}

function expectInvalidToken(r: HttpResult, description: RegExp) {
  assert.equal(r.status, 401, r.text);
  const header = String(r.headers['www-authenticate']);
  assert.match(header, /error="invalid_token"/);
  assert.match(header, description);
}

for (const [name, cert, description] of [
  ['expired', () => expired, /has expired/],
  ['not yet valid', () => future, /not yet valid/],
] as const) {
  describe(`a client certificate that is ${name}, registered beside a valid one`, () => {
    before(() => registerForA(cert().cert, A().cert));

    it('is refused at /par with 401 invalid_client', async () => {
      const { params } = await parParams(A());
      expectInvalidClient(await post(h, '/par', cert(), params), description);
    });

    it('is refused at /token with 401 invalid_client', async () => {
      expectInvalidClient(await refresh(h, A(), tokens.refresh_token, cert()), description);
    });

    it('is refused at /revoke with 401 invalid_client (and revokes nothing)', async () => {
      const r = await post(h, '/revoke', cert(), {
        client_id: A().clientId,
        token: tokens.refresh_token,
        token_type_hint: 'refresh_token',
      });
      expectInvalidClient(r, description);
    });

    it('is refused on a FHIR request with 401 invalid_token, while the valid certificate still reads', async () => {
      expectInvalidToken(await fhir(cert()), description);
      assert.equal((await fhir(A())).status, 200);
    });
  });
}

describe('a directory entry whose only certificate has expired counts as not registered', () => {
  before(() => registerForA(expired.cert));
  after(() => registerForA(A().cert));

  it('its own (expired) certificate is refused at /par', async () => {
    const { params } = await parParams(A());
    expectInvalidClient(await post(h, '/par', expired, params), /has expired/);
  });

  it('/authorize refuses the client', async () => {
    const r = await h.browser().get(authorizePath(A(), 'urn:ietf:params:oauth:request_uri:x'));
    assert.equal(r.status, 401, r.text.slice(0, 200));
    assert.equal(errorCodeOf(r.text), 'invalid_client');
  });

  it('the FHIR API answers 401 invalid_token naming the expired registration', async () => {
    expectInvalidToken(await fhir(A()), /counts as not registered/);
    expectInvalidToken(await fhir(expired), /has expired/);
  });
});

describe('after the renewal', () => {
  it('the valid certificate works again everywhere, and the earlier refusals revoked nothing', async () => {
    await registerForA(A().cert);
    assert.equal((await fhir(A())).status, 200);
    const r = await refresh(h, A(), tokens.refresh_token);
    assert.equal(r.status, 200, r.text);
  });
});
