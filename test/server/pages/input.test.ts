// Patient page input goes through the routes' JSON schemas (fastify + ajv): a malformed query or form is the
// 400 HTML error page, never a server error; the CSRF token is checked before the form's fields.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { privacyAuditRowsAfter } from '../../../gateway/store/oauth-audit.ts';
import {
  csrfOf,
  errorCodeOf,
  removeCertificates,
  request,
  startHarness,
  type Harness,
} from '../oauth/harness.ts';

let h: Harness;

before(async () => {
  h = await startHarness();
});

after(async () => {
  await h.close();
  removeCertificates();
});

const trailLength = () => privacyAuditRowsAfter(h.services.store, 0, 10_000).length;

describe('patient page input', () => {
  it('a repeated tx in the query is the 400 error page, not a server error', async () => {
    for (const p of ['/account/login', '/account/login/totp', '/account/enroll', '/account/consent']) {
      const r = await h.browser().get(`${p}?tx=a&tx=b`);
      assert.equal(r.status, 400, `${p}: ${r.text.slice(0, 200)}`);
      assert.equal(errorCodeOf(r.text), 'invalid_request', p);
      assert.match(String(r.headers['content-type']), /^text\/html/);
    }
  });

  it('a repeated form field is the 400 error page and no login attempt', async () => {
    const p = await h.addPatient();
    const b = h.browser();
    const page = await b.get('/account/login');
    const before = trailLength();
    const r = await b.post('/account/login', {
      _csrf: csrfOf(page.text),
      username: [p.username, p.username],
      password: p.password,
    });
    assert.equal(r.status, 400);
    assert.equal(errorCodeOf(r.text), 'invalid_request');
    assert.equal(trailLength(), before, 'nothing was tried, so nothing is in the privacy trail');
  });

  it('a form without its CSRF token is refused for that before its fields are validated', async () => {
    const b = h.browser();
    await b.get('/account/login');
    const r = await b.post('/account/login', { username: ['x', 'y'], password: 'p' });
    assert.equal(r.status, 403);
    assert.equal(errorCodeOf(r.text), 'csrf_invalid');
  });

  it('a form that carries only the CSRF token may send it as a header, without a body', async () => {
    const b = h.browser();
    const page = await b.get('/account/login');
    const cookie = [...b.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
    const r = await request(new URL('/account/logout', h.url).href, {
      method: 'POST',
      headers: { cookie, 'csrf-token': csrfOf(page.text) },
      ca: h.ca,
    });
    assert.equal(r.status, 303, r.text.slice(0, 200));
    assert.equal(r.headers.location, '/account/login');
  });
});
