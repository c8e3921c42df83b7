// HDDT unpairing conditions, each end to end over real mTLS: consent expiry (refused at once by the FHIR API,
// whose token check writes nothing; ended at the next /token call or by the consent-expiry job when no request
// comes), DiGA removed from / retired in the directory, patient removal
// with the real `hddt-gateway patient remove`, and patient withdrawal (one pairing, or all consent). For
// every condition: the access token is refused by the FHIR API (401 invalid_token), the refresh token by
// /token (400 invalid_grant, or 401 invalid_client while the DiGA is deregistered), the privacy trail has
// the unpairing with its reason, and the patient's pairings page says why the pairing ended.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { privacyAuditRowsAfter } from '../../../gateway/store/oauth-audit.ts';
import { getPairing } from '../../../gateway/store/oauth-grants.ts';
import { verifyPrivacyTrail } from '../../../server/audit/privacy-trail.ts';
import { pino } from 'pino';
import { consentExpiryJob } from '../../../wiring/consent-expiry.ts';
import type { GatewayContext } from '../../../wiring/component.ts';
import { runCli } from '../../helpers/cli.ts';
import {
  BG_SCOPE,
  approveInBrowser,
  authorizePath,
  csrfOf,
  exchange,
  location,
  pair,
  parParams,
  post,
  refresh,
  removeCertificates,
  request,
  startHarness,
  type Browser,
  type Harness,
  type HttpResult,
  type TestClient,
} from './harness.ts';

let h: Harness;

before(async () => {
  h = await startHarness();
});

after(async () => {
  // The FHIR request log is written in the response's onResponse hook, which may run just after the client
  // has the last answer: let it land before the data directory goes.
  await new Promise((r) => setTimeout(r, 200));
  await h.close();
  removeCertificates();
});

const A = () => h.clients[0]!;
const B = () => h.clients[1]!;
const DAY = 86_400_000;

function expectError(r: HttpResult, status: number, error: string) {
  assert.equal(r.status, status, r.text);
  assert.equal(r.json().error, error, r.text);
}

/** A FHIR search with the token, presenting the DiGA's certificate. */
function fhir(token: string, c: TestClient) {
  return request(`${h.url}/fhir/Observation`, {
    headers: { authorization: `Bearer ${token}`, accept: 'application/fhir+json' },
    ca: h.ca,
    cert: c.cert,
    key: c.key,
  });
}

async function expectFhirOk(token: string, c: TestClient) {
  const r = await fhir(token, c);
  assert.equal(r.status, 200, r.text);
}

async function expectFhirInvalidToken(token: string, c: TestClient) {
  const r = await fhir(token, c);
  assert.equal(r.status, 401, r.text);
  assert.match(String(r.headers['www-authenticate']), /error="invalid_token"/);
}

function unpairingsOf(pairingId: string) {
  return privacyAuditRowsAfter(h.services.store, 0, 100_000).filter(
    (r) => r.event === 'unpairing' && r.pairing_id === pairingId,
  );
}

function expectUnpairing(pairingId: string, reason: string) {
  const rows = unpairingsOf(pairingId);
  assert.equal(rows.length, 1, JSON.stringify(rows));
  assert.equal(rows[0]!.reason, reason);
  assert.equal(rows[0]!.outcome, 'success');
  assert.equal(getPairing(h.services.store, pairingId)!.revoked_reason, reason);
}

async function login(b: Browser, p: { username: string; password: string; totpSecret: string }) {
  const page = await b.get('/account/login');
  const r1 = await b.post('/account/login', {
    _csrf: csrfOf(page.text),
    username: p.username,
    password: p.password,
  });
  assert.equal(r1.status, 303, r1.text);
  const totpPage = await b.get(location(r1));
  const r2 = await b.post('/account/login/totp', {
    _csrf: csrfOf(totpPage.text),
    code: await h.totp(p.totpSecret),
  });
  assert.equal(r2.status, 303, r2.text);
}

/** The pairings page row of a pairing: its status, reason and text. */
async function pairingRow(b: Browser, pairingId: string) {
  const r = await b.get('/account/pairings');
  assert.equal(r.status, 200);
  const m = new RegExp(
    `<tr\\s+data-pairing="${pairingId}"\\s+data-status="([a-z]+)"\\s+data-reason="([a-z_]*)"\\s*>([\\s\\S]*?)</tr>`,
  ).exec(r.text);
  assert.ok(m, `no row for the pairing in ${r.text}`);
  return { status: m[1]!, reason: m[2]!, text: m[3]!.replace(/\s+/g, ' '), page: r.text };
}

async function expectEndedOnPage(b: Browser, pairingId: string, reason: string, label: string) {
  const row = await pairingRow(b, pairingId);
  assert.equal(row.status, 'ended');
  assert.equal(row.reason, reason);
  assert.ok(row.text.includes(label), row.text);
  assert.ok(!row.text.includes('Widerrufen'), 'an ended pairing has no revoke button');
}

/** The same (logged-in) patient pairs another DiGA. */
async function pairAlso(c: TestClient, browser: Browser, patient: Parameters<typeof login>[1]) {
  const { verifier, params } = await parParams(c, [BG_SCOPE, 'patient/Device.rs'].join(' '));
  const par = await post(h, '/par', c, params);
  assert.equal(par.status, 201, par.text);
  const cb = await approveInBrowser(h, browser, authorizePath(c, par.json().request_uri as string), patient, [
    'bloodGlucose',
  ]);
  const r = await exchange(h, c, cb.searchParams.get('code')!, verifier);
  assert.equal(r.status, 200, r.text);
  return r.json() as { access_token: string; refresh_token: string; sub: string };
}

/** A fresh patient pairs a DiGA for blood glucose (what every test DiGA may be granted). */
async function pairBg(c: TestClient) {
  const patient = await h.addPatient();
  const browser = h.browser();
  return { ...(await pairAlso(c, browser, patient)), browser, patient };
}

describe('patient withdrawal', () => {
  it('revoking one pairing on the pairings page ends its grant, tokens and consent', async () => {
    const t = await pair(h, A());
    await expectFhirOk(t.access_token, A());
    const row = await pairingRow(t.browser, t.sub);
    assert.equal(row.status, 'active');
    const r = await t.browser.post('/account/pairings/revoke', { _csrf: csrfOf(row.page), pairing: t.sub });
    assert.equal(r.status, 303);
    await expectFhirInvalidToken(t.access_token, A());
    expectError(await refresh(h, A(), t.refresh_token), 400, 'invalid_grant');
    expectUnpairing(t.sub, 'patient_revoked');
    await expectEndedOnPage(t.browser, t.sub, 'patient_revoked', 'von Ihnen widerrufen');
  });

  it('withdrawing all consent ends every pairing of the patient at once, and only theirs', async () => {
    const first = await pair(h, A());
    const second = await pairAlso(B(), first.browser, first.patient);
    const other = await pair(h, A());
    await expectFhirOk(second.access_token, B());
    const page = await first.browser.get('/account/pairings');
    assert.ok(page.text.includes('Alle Einwilligungen widerrufen'));
    const r = await first.browser.post('/account/pairings/revoke-all', { _csrf: csrfOf(page.text) });
    assert.equal(r.status, 303);
    for (const [t, c] of [
      [first, A()],
      [second, B()],
    ] as const) {
      await expectFhirInvalidToken(t.access_token, c);
      expectError(await refresh(h, c, t.refresh_token), 400, 'invalid_grant');
      expectUnpairing(t.sub, 'patient_withdrew_all');
      await expectEndedOnPage(first.browser, t.sub, 'patient_withdrew_all', 'von Ihnen widerrufen');
    }
    // Another patient's pairing with the same DiGA is untouched.
    await expectFhirOk(other.access_token, A());
    assert.equal(unpairingsOf(other.sub).length, 0);
    const again = await first.browser.get('/account/pairings');
    assert.ok(!again.text.includes('Alle Einwilligungen widerrufen'), 'nothing left to withdraw');
  });

  it('revoke-all needs the CSRF token', async () => {
    const t = await pair(h, A());
    const r = await t.browser.post('/account/pairings/revoke-all', {});
    assert.equal(r.status, 403);
    await expectFhirOk(t.access_token, A());
  });
});

describe('DiGA removed from or retired in the directory', () => {
  it('removed: everything of its pairings ends; the page says the DiGA is no longer registered', async () => {
    const t = await pairBg(B());
    const other = await pair(h, A());
    let removed: { at: number; entry: Record<string, unknown> } | undefined;
    h.writeDirectory((entries) => {
      const at = entries.findIndex((e) => e.client_id === B().clientId);
      removed = { at, entry: entries.splice(at, 1)[0]! };
    });
    try {
      await h.services.directory.refresh();
      await expectFhirInvalidToken(t.access_token, B());
      // Deregistered: the token endpoint does not know the client any more.
      expectError(await refresh(h, B(), t.refresh_token), 401, 'invalid_client');
      expectUnpairing(t.sub, 'diga_removed');
      await expectEndedOnPage(t.browser, t.sub, 'diga_removed', 'nicht mehr im DiGA-Verzeichnis');
      await expectFhirOk(other.access_token, A());
    } finally {
      h.writeDirectory((entries) => entries.splice(removed!.at, 0, removed!.entry));
      await h.services.directory.refresh();
    }
    // Registered again, but the ended pairing stays ended.
    expectError(await refresh(h, B(), t.refresh_token), 400, 'invalid_grant');
    await expectFhirInvalidToken(t.access_token, B());
  });

  it('retired: same, with its own reason', async () => {
    const t = await pairBg(B());
    h.writeDirectory((entries) => {
      entries.find((e) => e.client_id === B().clientId)!.status = 'retired';
    });
    try {
      await h.services.directory.refresh();
      await expectFhirInvalidToken(t.access_token, B());
      expectError(await refresh(h, B(), t.refresh_token), 401, 'invalid_client');
      expectUnpairing(t.sub, 'diga_retired');
      await expectEndedOnPage(t.browser, t.sub, 'diga_retired', 'nicht mehr zugelassen');
    } finally {
      h.writeDirectory((entries) => {
        entries.find((e) => e.client_id === B().clientId)!.status = 'active';
      });
      await h.services.directory.refresh();
    }
    expectError(await refresh(h, B(), t.refresh_token), 400, 'invalid_grant');
  });
});

describe('patient removal', () => {
  it('`hddt-gateway patient remove` ends every pairing; tokens fail at once in the running server', async () => {
    const first = await pair(h, A());
    const second = await pairAlso(B(), first.browser, first.patient);
    await expectFhirOk(first.access_token, A());
    const r = runCli(['patient', 'remove', first.patient.username], { HDDT_DATA_DIR: h.dir });
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /\(2 pairing\(s\) revoked\)/);
    for (const [t, c] of [
      [first, A()],
      [second, B()],
    ] as const) {
      await expectFhirInvalidToken(t.access_token, c);
      expectError(await refresh(h, c, t.refresh_token), 400, 'invalid_grant');
      expectUnpairing(t.sub, 'patient_removed');
    }
    // The account is gone: its session ended and it cannot log in again.
    assert.equal((await first.browser.get('/account/pairings')).status, 303);
    const b = h.browser();
    const page = await b.get('/account/login');
    const login1 = await b.post('/account/login', {
      _csrf: csrfOf(page.text),
      username: first.patient.username,
      password: first.patient.password,
    });
    assert.equal(login1.status, 401);
  });
});

// These move the clock by years: they come last.
describe('consent expiry', () => {
  const consentDays = () => h.services.config.server.oauth.consentDays;

  it('refuses at once after the consent ran out; the next /token call ends the pairing', async () => {
    const t = await pair(h, A());
    const consentEnd = getPairing(h.services.store, t.sub)!.consent_expires_ms;
    assert.equal(consentEnd, h.clock.now().getTime() + consentDays() * DAY);
    // The DiGA refreshes every 29 days (refresh tokens live 30) up to a minute before the end.
    let tokens = { access_token: t.access_token, refresh_token: t.refresh_token };
    while (h.clock.now().getTime() + 29 * DAY < consentEnd) {
      h.clock.advance(29 * DAY);
      const r = await refresh(h, A(), tokens.refresh_token);
      assert.equal(r.status, 200, r.text);
      tokens = r.json() as typeof tokens;
    }
    h.clock.set(consentEnd - 60_000);
    const last = await refresh(h, A(), tokens.refresh_token);
    assert.equal(last.status, 200, last.text);
    tokens = last.json() as typeof tokens;
    // The access token never outlives the consent.
    assert.ok((last.json().expires_in as number) <= 60);
    await expectFhirOk(tokens.access_token, A());
    assert.equal(unpairingsOf(t.sub).length, 0);

    h.clock.set(consentEnd + 1000);
    await expectFhirInvalidToken(tokens.access_token, A());
    // Verifying the token wrote nothing: the FHIR API only refused it.
    assert.equal(unpairingsOf(t.sub).length, 0);
    assert.equal(getPairing(h.services.store, t.sub)!.revoked_ms, null);
    expectError(await refresh(h, A(), tokens.refresh_token), 400, 'invalid_grant');
    expectUnpairing(t.sub, 'consent_expired');
    const b = h.browser();
    await login(b, t.patient);
    await expectEndedOnPage(b, t.sub, 'consent_expired', 'Einwilligung abgelaufen');
  });

  it('the page shows an expired consent as ended even before anything noticed', async () => {
    const t = await pair(h, A());
    h.clock.advance(consentDays() * DAY + 1000);
    const b = h.browser();
    await login(b, t.patient);
    await expectEndedOnPage(b, t.sub, 'consent_expired', 'Einwilligung abgelaufen');
    assert.equal(unpairingsOf(t.sub).length, 0);
  });

  /** The consent-expiry part of the gateway on the harness's store and clock. */
  const startJob = (everyMs?: number) =>
    consentExpiryJob({ everyMs, clock: h.clock }).start({
      config: h.services.config,
      store: h.services.store,
      log: pino({ level: 'silent' }),
    } as unknown as GatewayContext);

  it('the consent-expiry job ends expired consents without any request', async () => {
    const t = await pair(h, A());
    const stop = await startJob(20);
    try {
      h.clock.advance(consentDays() * DAY + 1000);
      const deadline = Date.now() + 5000;
      while (unpairingsOf(t.sub).length === 0 && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 20));
      }
      expectUnpairing(t.sub, 'consent_expired');
    } finally {
      await stop();
    }
    await expectFhirInvalidToken(t.access_token, A());
    expectError(await refresh(h, A(), t.refresh_token), 400, 'invalid_grant');
    const b = h.browser();
    await login(b, t.patient);
    await expectEndedOnPage(b, t.sub, 'consent_expired', 'Einwilligung abgelaufen');
  });

  it('the consent-expiry job ends consents that ran out while the gateway was off, when it starts', async () => {
    const t = await pair(h, A());
    h.clock.advance(consentDays() * DAY + 1000);
    const stop = await startJob(3_600_000);
    await stop();
    expectUnpairing(t.sub, 'consent_expired');
    await expectFhirInvalidToken(t.access_token, A());
  });

  it('the privacy trail chain verifies after all of the above', () => {
    assert.equal(verifyPrivacyTrail(h.services.store).ok, true);
  });
});
