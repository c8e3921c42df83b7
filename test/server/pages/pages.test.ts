// Patient pages: nothing before login, cookie attributes, hashed and rotated session ids, TOTP
// enrolment with QR code after a reset, pairings and audit pages, logout, consent narrowing, and a
// privacy trail without identifying data.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { generate as totpGenerate } from 'otplib';
import { getSessionByHash, setTotpSecret } from '../../../gateway/store/oauth-accounts.ts';
import { AccessTokenError, verifyAccessToken } from '../../../server/oauth/access.ts';
import { privacyAuditRowsAfter } from '../../../gateway/store/oauth-audit.ts';
import {
  approveInBrowser,
  authorizePath,
  csrfOf,
  location,
  pair,
  parParams,
  post,
  removeCertificates,
  startHarness,
  type Browser,
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

const SESSION = '__Host-hddt_session';
const sha = (s: string) => createHash('sha256').update(s).digest('hex');

async function login(b: Browser, p: { username: string; password: string; totpSecret: string }) {
  const page = await b.get('/account/login');
  const r1 = await b.post('/account/login', {
    _csrf: csrfOf(page.text),
    username: p.username,
    password: p.password,
  });
  assert.equal(r1.status, 303);
  const totpPage = await b.get(location(r1));
  const r2 = await b.post('/account/login/totp', {
    _csrf: csrfOf(totpPage.text),
    code: await h.totp(p.totpSecret),
  });
  assert.equal(r2.status, 303);
  assert.equal(location(r2), '/account/pairings');
}

describe('patient pages', () => {
  it('show nothing before login', async () => {
    const b = h.browser();
    for (const p of ['/account/pairings', '/account/audit', '/account/consent?tx=x']) {
      const r = await b.get(p);
      assert.equal(r.status, 303, p);
      assert.match(location(r), /^\/account\/login/);
    }
  });

  it('set Secure HttpOnly cookies (session Lax, CSRF Strict) and store only hashed, rotated session ids', async () => {
    const b = h.browser();
    const r = await b.get('/account/login');
    const set = ([] as string[]).concat(r.headers['set-cookie'] ?? []);
    const session = set.find((c) => c.startsWith(`${SESSION}=`))!;
    const csrf = set.find((c) => c.startsWith('__Host-hddt_csrf='))!;
    assert.match(session, /; Path=\//);
    assert.match(session, /; HttpOnly/);
    assert.match(session, /; Secure/);
    assert.match(session, /; SameSite=Lax/);
    assert.match(csrf, /; HttpOnly/);
    assert.match(csrf, /; Secure/);
    assert.match(csrf, /; SameSite=Strict/);
    const anonymous = b.cookies.get(SESSION)!;
    assert.ok(getSessionByHash(h.services.store, sha(anonymous)));
    assert.equal(getSessionByHash(h.services.store, anonymous), undefined);
    const p = await h.addPatient();
    await login(b, p);
    const authenticated = b.cookies.get(SESSION)!;
    assert.notEqual(authenticated, anonymous);
    assert.equal(getSessionByHash(h.services.store, sha(anonymous)), undefined, 'old id no longer valid');
    assert.equal(getSessionByHash(h.services.store, sha(authenticated))?.stage, 'authenticated');
  });

  it('enrol a new TOTP secret with a QR code after reset-2fa', async () => {
    const p = await h.addPatient();
    setTotpSecret(h.services.store, p.patientId, null, h.clock.now().getTime());
    const b = h.browser();
    const page = await b.get('/account/login');
    const r1 = await b.post('/account/login', {
      _csrf: csrfOf(page.text),
      username: p.username,
      password: p.password,
    });
    assert.equal(location(r1), '/account/enroll');
    const enrol = await b.get('/account/enroll');
    assert.equal(enrol.status, 200);
    assert.match(enrol.text, /<svg[^>]*>/);
    const uri = /otpauth:\/\/totp\/[^<"]+/.exec(enrol.text)![0].replace(/&amp;/g, '&');
    const secret = new URL(uri).searchParams.get('secret')!;
    assert.notEqual(secret, p.totpSecret);
    const bad = await b.post('/account/enroll', { _csrf: csrfOf(enrol.text), code: '000000' });
    assert.equal(location(bad), '/account/enroll');
    const again = await b.get('/account/enroll');
    const code = await totpGenerate({ secret, epoch: Math.floor(h.clock.now().getTime() / 1000) });
    const ok = await b.post('/account/enroll', { _csrf: csrfOf(again.text), code });
    assert.equal(location(ok), '/account/pairings');
    h.clock.advance(30_000);
    await login(h.browser(), { ...p, totpSecret: secret });
  });

  it('list pairings and the audit trail; logout ends the session', async () => {
    const t = await pair(h, h.clients[0]!);
    const list = await t.browser.get('/account/pairings');
    assert.equal(list.status, 200);
    assert.ok(list.text.includes('Example DiGA 10001'));
    assert.ok(list.text.includes('Widerrufen'));
    const audit = await t.browser.get('/account/audit');
    assert.equal(audit.status, 200);
    assert.ok(audit.text.includes('data-event="pairing"'));
    assert.ok(audit.text.includes('data-event="login"'));
    assert.ok(!audit.text.includes(t.patient.username));
    const out = await t.browser.post('/account/logout', { _csrf: csrfOf(audit.text) });
    assert.equal(out.status, 303);
    assert.equal((await t.browser.get('/account/pairings')).status, 303);
  });

  it('a narrower new consent ends the older grant at once', async () => {
    const first = await pair(h, h.clients[0]!, ['bloodGlucose', 'cgm']);
    assert.deepEqual((await verifyAccessToken(h.services, first.access_token)).mivs, ['bloodGlucose', 'cgm']);
    // Same patient pairs the same DiGA again, now consenting to blood glucose only.
    const c = h.clients[0]!;
    const { params } = await parParams(c);
    const uri = (await post(h, '/par', c, params)).json().request_uri as string;
    h.clock.advance(30_000);
    await approveInBrowser(h, h.browser(), authorizePath(c, uri), first.patient, ['bloodGlucose']);
    await assert.rejects(
      verifyAccessToken(h.services, first.access_token),
      (e: unknown) => e instanceof AccessTokenError && e.reason === 'grant_inactive',
    );
  });

  it('the privacy trail holds no username or internal patient id', async () => {
    const t = await pair(h, h.clients[0]!);
    const rows = JSON.stringify(privacyAuditRowsAfter(h.services.store, 0, 10_000));
    assert.ok(!rows.includes(t.patient.username));
    assert.ok(!rows.includes(t.patient.patientId));
    assert.ok(rows.includes(t.sub), 'pairing ids are the pseudonymous link');
  });
});
