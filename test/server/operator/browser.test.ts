// The status page in a real browser (the system's Chromium through playwright-core): it renders, the 24 h
// chart has one point per sample of the known data set, the AGP has its bands; a screenshot for people.
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import type { Browser } from 'playwright-core';
import { buildOperatorServer } from '../../../server/operator/app.ts';
import { GatewayMetrics } from '../../../server/operator/metrics.ts';
import { OperatorProbes } from '../../../server/operator/probes.ts';
import { launchChromium } from '../../helpers/chromium.ts';
import { ROOT } from '../../helpers/cli.ts';
import { CGM_KEY, operatorFixture, type Fixture } from './fixture.ts';

let fx: Fixture;
let browser: Browser | undefined;
before(() => {
  fx = operatorFixture();
});
after(async () => {
  await browser?.close();
  fx.cleanup();
});

test('status page in Chromium: devices, 288-point 24 h polyline, AGP bands and target range, screenshot', async (t) => {
  const probes = new OperatorProbes();
  probes.events.push({ atMs: Date.now(), level: 'warn', component: 'sync', message: 'sync alarm raised' });
  const app = await buildOperatorServer({
    config: fx.config,
    store: fx.store,
    probes,
    metrics: new GatewayMetrics({ processMetrics: false }),
  });
  const url = await app.listen({ host: '127.0.0.1', port: 0 });
  t.after(() => app.close());

  browser = await launchChromium();
  const page = await browser.newPage({ viewport: { width: 1200, height: 900 }, javaScriptEnabled: false });
  const res = await page.goto(`${url}/`);
  assert.equal(res?.status(), 200);
  assert.match(await page.title(), /hddt-gateway hub-1/);

  const rows = page.locator('tr.device');
  assert.equal(await rows.count(), 2);
  assert.match(await page.locator(`tr.device[data-key="${CGM_KEY}"]`).innerText(), /expires in/);

  const polylines = page.locator('svg.chart-24h polyline.cgm-line');
  assert.equal(await polylines.count(), 1);
  const points = ((await polylines.getAttribute('points')) ?? '').trim().split(/\s+/);
  assert.equal(points.length, 288);
  assert.equal(await page.locator('svg.chart-24h circle.bg-dot').count(), fx.meterReadings24h);

  const agp = page.locator('svg.chart-agp');
  assert.equal(await agp.locator('polygon.agp-band-5-95').count(), 1);
  assert.equal(await agp.locator('polygon.agp-band-25-75').count(), 1);
  assert.equal(await agp.locator('polyline.agp-median').count(), 1);
  assert.equal(await agp.locator('rect.agp-target').count(), 1);
  // The bands are really drawn: the 5–95 % band is wider than the 25–75 % band, which holds the median.
  const outer = await agp.locator('polygon.agp-band-5-95').boundingBox();
  const inner = await agp.locator('polygon.agp-band-25-75').boundingBox();
  assert.ok(
    outer && inner && outer.height > inner.height && inner.height > 0,
    JSON.stringify({ outer, inner }),
  );

  assert.match(await page.locator('#events').innerText(), /sync alarm raised/);
  assert.match(await page.locator('#outbox-depth').innerText(), /^\d+ entries/);

  const dir = path.join(ROOT, 'test-artifacts');
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, 'status-page.png');
  await page.screenshot({ path: file, fullPage: true });
  assert.ok(fs.statSync(file).size > 10_000);
});
