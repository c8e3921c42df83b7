// The readings page in a real browser (the system's Chromium through playwright-core) at a phone viewport with
// JavaScript off: log in through the forms (password, TOTP), the three charts are visible and no wider than
// the screen, the tables open without script; a screenshot for people.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import type { Browser } from 'playwright-core';
import { bgSeries, cgmSeries } from '../../../firmware-bridge/synthetic-readings.ts';
import { ingest } from '../../../gateway/ingest/pipeline.ts';
import { assignDevice } from '../../../gateway/store/assignments.ts';
import { launchChromium } from '../../helpers/chromium.ts';
import { ROOT } from '../../helpers/cli.ts';
import { removeCertificates, startHarness, type Harness } from '../oauth/harness.ts';

const DAY = 86_400_000;
const PHONE = { width: 390, height: 844 };

let h: Harness;
let browser: Browser | undefined;

before(async () => {
  h = await startHarness();
});
after(async () => {
  await browser?.close();
  await h.close();
  removeCertificates();
});

test('readings page on a phone (390×844, no JavaScript): charts visible, not wider than the screen', async () => {
  const p = await h.addPatient();
  const nowMs = h.clock.now().getTime();
  const start = new Date(nowMs - 14 * DAY);
  const cgm = cgmSeries({
    deviceKey: 'ble:77:00:00:00:00:01',
    sessionStart: start,
    count: 14 * 288,
    intervalMinutes: 5,
  });
  const bg = bgSeries({ deviceKey: 'ble:77:00:00:00:00:02', start, days: 14, perDay: 4 });
  ingest(h.services.store, [...cgm, ...bg], { now: new Date(nowMs) });
  for (const key of ['ble:77:00:00:00:00:01', 'ble:77:00:00:00:00:02']) {
    assignDevice(h.services.store, key, p.patientId, nowMs, { fromMs: nowMs - 15 * DAY });
  }

  browser = await launchChromium();
  const context = await browser.newContext({
    viewport: PHONE,
    // The pages follow Accept-Language; these tests read them in German.
    locale: 'de-DE',
    deviceScaleFactor: 2,
    isMobile: true,
    javaScriptEnabled: false,
    ignoreHTTPSErrors: true,
  });
  const page = await context.newPage();
  await page.goto(`${h.url}/account/login`);
  await page.fill('input[name=username]', p.username);
  await page.fill('input[name=password]', p.password);
  await page.click('button[type=submit]');
  await page.fill('input[name=code]', await h.totp(p.totpSecret));
  await page.click('button[type=submit]');
  await page.waitForURL(/\/account\/pairings$/);
  await page.click('nav a[href="/account/readings"]');
  await page.waitForURL(/\/account\/readings$/);
  assert.equal(await page.locator('h1').innerText(), 'Meine Werte');
  assert.equal(await page.locator('script').count(), 0);

  for (const cls of ['chart-24h', 'chart-14d', 'chart-agp']) {
    const svg = page.locator(`svg.${cls}`);
    assert.ok(await svg.isVisible(), `${cls} visible`);
    const box = await svg.boundingBox();
    assert.ok(
      box && box.width > 300 && box.x >= 0 && box.x + box.width <= PHONE.width,
      `${cls}: ${JSON.stringify(box)}`,
    );
    assert.ok(box.height > 150, `${cls} is drawn at its aspect ratio: ${box.height}`);
  }
  assert.equal(await page.locator('svg.chart-24h polyline.cgm-line').count(), 1);
  assert.ok((await page.locator('svg.chart-24h circle.bg-dot').count()) >= 3);
  const metrics = await page.locator('table.metrics').boundingBox();
  assert.ok(metrics && metrics.x + metrics.width <= PHONE.width, JSON.stringify(metrics));

  // The text alternative opens without script.
  const table = page.locator('#agp details.chart-values table');
  assert.equal(await table.isVisible(), false);
  await page.locator('#agp details.chart-values summary').click();
  assert.equal(await table.isVisible(), true);
  assert.equal(await table.locator('tbody tr').count(), 96);
  await page.locator('#agp details.chart-values summary').click();

  const dir = path.join(ROOT, 'test-artifacts', 'pages');
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, 'readings.png');
  await page.screenshot({ path: file, fullPage: true });
  assert.ok(fs.statSync(file).size > 20_000);
});
