// Every patient page and the operator status page pass axe-core (WCAG 2.1 AA) in Chromium, with no
// violations: login (also with its error), TOTP entry, TOTP enrolment, consent of a pairing started through
// /authorize, pairings (none and one), audit trail, readings (no data, data, mmol/L, one device), devices,
// export, the error pages (404, 400, an /authorize error, maintenance). Which account pages exist is read
// from the running server's routes, so a new page without a check fails here.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Browser, Page, Request } from 'playwright-core';
import { bgSeries, cgmSeries } from '../../../firmware-bridge/synthetic-readings.ts';
import { ingest } from '../../../gateway/ingest/pipeline.ts';
import { assignDevice } from '../../../gateway/store/assignments.ts';
import { addWindow, endWindow, startWindow } from '../../../gateway/store/maintenance.ts';
import { setTotpSecret } from '../../../gateway/store/oauth-accounts.ts';
import { buildOperatorServer } from '../../../server/operator/app.ts';
import { hashPassword } from '../../../server/operator/auth.ts';
import { GatewayMetrics } from '../../../server/operator/metrics.ts';
import { OperatorProbes } from '../../../server/operator/probes.ts';
import {
  authorizePath,
  parParams,
  post,
  removeCertificates,
  startHarness,
  type Harness,
} from '../oauth/harness.ts';
import { operatorFixture } from '../operator/fixture.ts';
import { launchChromium } from '../../helpers/chromium.ts';
import { assertAccessible, getRoutes } from './axe.ts';

const DAY = 86_400_000;
const CGM = 'ble:a1:00:00:00:00:01';
const BGM = 'ble:a1:00:00:00:00:02';
/** GET routes that answer a file, not a page. */
const DOWNLOADS = ['/account/export.csv', '/account/export.json', '/account/report.pdf'];

let h: Harness;
let browser: Browser;
let page: Page;
let patient: Awaited<ReturnType<Harness['addPatient']>>;
/** Account routes a check visited. */
const visited = new Set<string>();

before(async () => {
  h = await startHarness();
  browser = await launchChromium();
  patient = await h.addPatient();
});
after(async () => {
  await browser?.close();
  await h.close();
  removeCertificates();
});

async function newPage(): Promise<Page> {
  const context = await browser.newContext({
    ignoreHTTPSErrors: true,
    // The pages follow Accept-Language; these tests read them in German.
    locale: 'de-DE',
    viewport: { width: 1024, height: 800 },
  });
  const p = await context.newPage();
  p.on('request', (r) => {
    const u = new URL(r.url());
    if (r.isNavigationRequest() && r.method() === 'GET' && u.pathname.startsWith('/account/')) {
      visited.add(u.pathname);
    }
  });
  return p;
}

/** Opens `path` and checks it; `status` is the answer expected. */
async function check(path: string, label: string, status = 200): Promise<void> {
  const res = await page.goto(`${h.url}${path}`);
  assert.equal(res?.status(), status, `${label}: ${path}`);
  await assertAccessible(page, label);
}

async function submit(): Promise<void> {
  await Promise.all([page.waitForNavigation(), page.locator('button[type=submit]').last().click()]);
}

function addReadings(): void {
  const nowMs = h.clock.now().getTime();
  const start = new Date(nowMs - 14 * DAY);
  const cgm = cgmSeries({ deviceKey: CGM, sessionStart: start, count: 14 * 288, intervalMinutes: 5 });
  const bg = bgSeries({ deviceKey: BGM, start, days: 14, perDay: 4 });
  ingest(h.services.store, [...cgm, ...bg], { now: new Date(nowMs) });
  for (const key of [CGM, BGM]) {
    assignDevice(h.services.store, key, patient.patientId, nowMs, { fromMs: nowMs - 15 * DAY });
  }
}

describe('patient pages pass axe-core (WCAG 2.1 AA) in Chromium', () => {
  it('login, with an error, and TOTP entry', async () => {
    page = await newPage();
    await check('/account/login', 'login');
    await page.fill('input[name=username]', patient.username);
    await page.fill('input[name=password]', 'wrong password');
    await submit();
    assert.match(await page.locator('.error').innerText(), /Anmeldung fehlgeschlagen/);
    await assertAccessible(page, 'login failed');
    await page.fill('input[name=username]', patient.username);
    await page.fill('input[name=password]', patient.password);
    await submit();
    assert.match(page.url(), /\/account\/login\/totp$/);
    await assertAccessible(page, 'TOTP entry');
    await page.fill('input[name=code]', await h.totp(patient.totpSecret));
    await submit();
    assert.match(page.url(), /\/account\/pairings$/);
  });

  it('pairings, readings and devices without data; export', async () => {
    await check('/account/', 'account home (redirect to pairings, none yet)');
    assert.match(page.url(), /\/account\/pairings$/);
    await check('/account/readings', 'readings without data');
    await check('/account/devices', 'devices, none assigned');
    await check('/account/export', 'export');
  });

  it('in English through the language switch, and back', async () => {
    await check('/account/readings', 'readings (German)');
    const switchNav = page.getByRole('navigation', { name: 'Sprache' });
    await Promise.all([page.waitForNavigation(), switchNav.getByRole('link', { name: 'English' }).click()]);
    assert.equal(await page.locator('html').getAttribute('lang'), 'en');
    assert.equal(await page.locator('h1').innerText(), 'My readings');
    await assertAccessible(page, 'readings (English)');
    await check('/account/pairings', 'pairings (English, by the cookie)');
    assert.equal(await page.locator('html').getAttribute('lang'), 'en');
    await check('/account/pairings?lang=de', 'pairings (German again)');
    assert.equal(await page.locator('html').getAttribute('lang'), 'de');
  });

  it('consent of a pairing started through /authorize, then pairings and audit', async () => {
    const c = h.clients[0]!;
    const { params } = await parParams(c);
    const par = await post(h, '/par', c, params);
    assert.equal(par.status, 201, par.text);
    await check(authorizePath(c, par.json().request_uri as string), 'consent');
    assert.match(page.url(), /\/account\/consent\?tx=/);
    await page.locator('input[name=miv]').first().check();
    // The redirect to the DiGA leaves the test's network (and is no page of ours): its URL is the outcome.
    const toDiga = (r: Request) => r.url().startsWith(c.redirectUri);
    const [callback] = await Promise.all([
      page.waitForEvent('requestfailed', toDiga),
      page.locator('button[value=allow]').click(),
    ]);
    assert.ok(new URL(callback.url()).searchParams.get('code'), callback.url());
    await page.waitForURL((u) => u.protocol === 'chrome-error:');
    await check('/account/pairings', 'pairings, one active');
    await check('/account/audit', 'audit trail');
  });

  it('readings with data (mg/dL, on a phone, mmol/L, one device) and devices', async () => {
    addReadings();
    await check('/account/readings', 'readings');
    await page.setViewportSize({ width: 390, height: 844 });
    await check('/account/readings', 'readings on a phone');
    await page.setViewportSize({ width: 1024, height: 800 });
    await check('/account/readings?unit=mmoll', 'readings in mmol/L');
    await check(`/account/readings?device=${encodeURIComponent(BGM)}`, 'readings of the meter');
    await check('/account/devices', 'devices');
  });

  it('error pages: unknown device (404), unknown page (404), expired transaction (400), /authorize', async () => {
    await check('/account/readings?device=nope', 'device not found', 404);
    await check('/account/no-such-page', 'page not found', 404);
    await check('/account/consent?tx=expired', 'transaction expired', 400);
    await check('/authorize?client_id=nobody', '/authorize error', 400);
  });

  it('TOTP enrolment after a reset', async () => {
    const p = await h.addPatient();
    setTotpSecret(h.services.store, p.patientId, null, h.clock.now().getTime());
    page = await newPage();
    await page.goto(`${h.url}/account/login`);
    await page.fill('input[name=username]', p.username);
    await page.fill('input[name=password]', p.password);
    await submit();
    assert.match(page.url(), /\/account\/enroll$/);
    await assertAccessible(page, 'TOTP enrolment');
  });

  it('maintenance (503)', async () => {
    const now = () => h.clock.now().getTime();
    const w = addWindow(
      h.services.store,
      { cause: 'update', areas: ['account'], security: false, startMs: now(), endMs: null },
      now(),
    );
    startWindow(h.services.store, w.id, now());
    h.clock.advance(1_001);
    try {
      await check('/account/login', 'maintenance', 503);
    } finally {
      endWindow(h.services.store, w.id, now());
      h.clock.advance(1_001);
    }
  });

  it('checked every page the server has under /account', () => {
    const pages = getRoutes(h.app, '/account/').filter((r) => !DOWNLOADS.includes(r));
    assert.ok(pages.length >= 10, pages.join(' '));
    const missed = pages.filter((r) => !visited.has(r));
    assert.deepEqual(missed, [], `account pages without an accessibility check: ${missed.join(', ')}`);
  });
});

describe('operator pages pass axe-core (WCAG 2.1 AA) in Chromium', () => {
  it('status page (with data and events) and login page', async (t) => {
    const fx = operatorFixture();
    t.after(() => fx.cleanup());
    const probes = new OperatorProbes();
    probes.events.push({ atMs: Date.now(), level: 'warn', component: 'sync', message: 'sync alarm raised' });
    const metrics = new GatewayMetrics({ processMetrics: false });
    const app = await buildOperatorServer({ config: fx.config, store: fx.store, probes, metrics });
    const url = await app.listen({ host: '127.0.0.1', port: 0 });
    t.after(() => app.close());
    const opContext = await browser.newContext();
    t.after(() => opContext.close());
    const op = await opContext.newPage();
    assert.equal((await op.goto(`${url}/`))?.status(), 200);
    await assertAccessible(op, 'operator status page');

    const passwordHash = await hashPassword('correct horse battery');
    const config = {
      ...fx.config,
      operator: { ...fx.config.operator, login: { username: 'ops', passwordHash } },
    };
    const withLogin = await buildOperatorServer({ config, store: fx.store, probes, metrics });
    const loginUrl = await withLogin.listen({ host: '127.0.0.1', port: 0 });
    t.after(() => withLogin.close());
    assert.equal((await op.goto(`${loginUrl}/login`))?.status(), 200);
    await assertAccessible(op, 'operator login');
    await op.fill('input[name=username]', 'ops');
    await op.fill('input[name=password]', 'wrong');
    await Promise.all([op.waitForNavigation(), op.click('button[type=submit]')]);
    await assertAccessible(op, 'operator login failed');
    await op.fill('input[name=username]', 'ops');
    await op.fill('input[name=password]', 'correct horse battery');
    await Promise.all([op.waitForNavigation(), op.click('button[type=submit]')]);
    assert.match(await op.title(), /status/);
    await assertAccessible(op, 'operator status page, logged in');
  });
});
