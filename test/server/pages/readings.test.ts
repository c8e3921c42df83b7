// The patient's readings and devices pages on a real gateway (HTTPS, SQLite, real ingest, login with TOTP):
// only the patient's own readings (a CGM handed to another patient shows neither of them the other's
// values), the metrics equal those of $hddt-cgm-summary for the same 14 days, LO/HI and the sensor gap are
// visible, no script anywhere, the devices with since/until; nothing before login.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { bgSeries, cgmSeries } from '../../../firmware-bridge/synthetic-readings.ts';
import { ingest } from '../../../gateway/ingest/pipeline.ts';
import type { Reading } from '../../../gateway/readings/reading.ts';
import { assignDevice } from '../../../gateway/store/assignments.ts';
import {
  csrfOf,
  location,
  pair,
  removeCertificates,
  request,
  startHarness,
  type Browser,
  type Harness,
} from '../oauth/harness.ts';

const DAY = 86_400_000;
const HOUR = 3_600_000;
const CGM = 'ble:5e:00:00:00:00:01';
const BGM_A = 'ble:5e:00:00:00:00:02';
const BGM_B = 'ble:5e:00:00:00:00:03';

let h: Harness;
let nowMs: number;
/** The CGM changes hands here (a chunk boundary). */
let handoverMs: number;
let a: Awaited<ReturnType<typeof pair>>;
let bBrowser: Browser;

/** 14 days of 5-minute CGM values ending now, a 40-minute sensor gap and a LO 10 h ago (before the handover). */
function cgmReadings(): Reading[] {
  const start = nowMs - 14 * DAY;
  const all = cgmSeries({
    deviceKey: CGM,
    sessionStart: new Date(start),
    count: 14 * 288,
    intervalMinutes: 5,
  });
  const gapFrom = nowMs - 12 * HOUR;
  const lo = Math.floor((nowMs - 10 * HOUR) / 300_000) * 300_000;
  return all
    .filter((r) => {
      const t = Date.parse(r.effectiveAt);
      return t < gapFrom || t >= gapFrom + 40 * 60_000;
    })
    .map((r) => {
      const t = Date.parse(r.effectiveAt);
      return t >= lo && t < lo + 300_000 ? { ...r, value: 40, flag: 'low' as const } : r;
    });
}

async function login(b: Browser, p: { username: string; password: string; totpSecret: string }) {
  const form = await b.get('/account/login');
  const r1 = await b.post('/account/login', {
    _csrf: csrfOf(form.text),
    username: p.username,
    password: p.password,
  });
  const totp = await b.get(location(r1));
  const r2 = await b.post('/account/login/totp', {
    _csrf: csrfOf(totp.text),
    code: await h.totp(p.totpSecret),
  });
  assert.equal(location(r2), '/account/pairings');
}

before(async () => {
  h = await startHarness();
  a = await pair(h, h.clients[0]!, ['bloodGlucose', 'cgm']);
  const b = await h.addPatient();
  bBrowser = h.browser();
  await login(bBrowser, b);
  nowMs = h.clock.now().getTime();
  handoverMs = Math.floor((nowMs - 6 * HOUR) / HOUR) * HOUR;
  const { store } = h.services;
  const bgA = bgSeries({ deviceKey: BGM_A, start: new Date(nowMs - 14 * DAY), days: 14, perDay: 4 });
  // The meter's last reading of A is "HI" (above its range).
  bgA[bgA.length - 1] = { ...bgA[bgA.length - 1]!, value: 600, flag: 'high' };
  const bgB = bgSeries({ deviceKey: BGM_B, start: new Date(nowMs - 2 * DAY), days: 2, perDay: 2 });
  ingest(store, [...cgmReadings(), ...bgA, ...bgB], { now: new Date(nowMs) });
  assignDevice(store, CGM, a.patient.patientId, nowMs, { fromMs: nowMs - 15 * DAY });
  assignDevice(store, BGM_A, a.patient.patientId, nowMs, { fromMs: nowMs - 15 * DAY });
  assignDevice(store, BGM_B, b.patientId, nowMs, { fromMs: nowMs - 15 * DAY });
  // The CGM goes to B at the handover: its later values are B's, never A's.
  assignDevice(store, CGM, b.patientId, handoverMs);
});

after(async () => {
  await h.close();
  removeCertificates();
});

const rowsOf = (page: string, section: string) => {
  const part = page.slice(page.indexOf(`<section id="${section}">`));
  return [...part.slice(0, part.indexOf('</section>')).matchAll(/<tr data-t="(\d+)">(.*?)<\/tr>/g)].map(
    (m) => ({ t: Number(m[1]), cells: m[2]! }),
  );
};
/** Cells: time, CGM value, meter value, note. */
const cgmRows = <T extends { cells: string }>(rows: T[]) =>
  rows.filter((r) => /^<td>[^<]+<\/td><td>[^<]+<\/td><td><\/td>/.test(r.cells));
const meterRows = <T extends { cells: string }>(rows: T[]) =>
  rows.filter((r) => /^<td>[^<]+<\/td><td><\/td><td>\d/.test(r.cells));
const metric = (page: string, key: string) =>
  Number(new RegExp(`data-metric="${key}" data-value="([^"]+)"`).exec(page)?.[1]);

async function summary(fromMs: number, toMs: number) {
  const body = {
    resourceType: 'Parameters',
    parameter: [
      { name: 'effectivePeriodStart', valueDateTime: new Date(fromMs).toISOString() },
      { name: 'effectivePeriodEnd', valueDateTime: new Date(toMs).toISOString() },
    ],
  };
  const c = h.clients[0]!;
  const r = await request(`${h.url}/fhir/Observation/$hddt-cgm-summary`, {
    method: 'POST',
    headers: { authorization: `Bearer ${a.access_token}`, 'content-type': 'application/fhir+json' },
    body: JSON.stringify(body),
    ca: h.ca,
    cert: c.cert,
    key: c.key,
  });
  assert.equal(r.status, 200, r.text.slice(0, 300));
  const entries = (r.json().entry as Array<{ resource: Record<string, any> }>).map((e) => e.resource); // eslint-disable-line @typescript-eslint/no-explicit-any
  return (code: string) => entries.find((e) => e.code?.coding?.[0]?.code === code)!;
}

describe('readings page', () => {
  it('needs a login, like the other account pages', async () => {
    for (const p of ['/account/readings', '/account/devices', '/account/readings?unit=mmoll']) {
      const r = await h.browser().get(p);
      assert.equal(r.status, 303, p);
      assert.match(location(r), /^\/account\/login/);
    }
  });

  it("shows only the patient's own readings: the CGM's values after the handover are B's", async () => {
    const pa = await a.browser.get('/account/readings');
    assert.equal(pa.status, 200);
    assert.ok(!/<script/i.test(pa.text), 'no script');
    const dayA = rowsOf(pa.text, 'day');
    const cgmA = cgmRows(dayA);
    assert.ok(cgmA.length > 100, `A has CGM values in the last 24 h: ${cgmA.length}`);
    assert.ok(
      cgmA.every((r) => r.t < handoverMs),
      'none of A after the handover',
    );
    assert.ok(cgmA.every((r) => r.t >= nowMs - DAY));
    const pb = await bBrowser.get('/account/readings');
    const cgmB = cgmRows(rowsOf(pb.text, 'day'));
    assert.ok(cgmB.length > 50, `B has the CGM after the handover: ${cgmB.length}`);
    assert.ok(
      cgmB.every((r) => r.t >= handoverMs),
      'none of B before the handover',
    );
    // 5-minute slots: the last 24 h of A are every slot from then to the handover but the gap's
    const expected = (handoverMs - (nowMs - DAY)) / 300_000 - 8;
    assert.ok(Math.abs(cgmA.length - expected) <= 1, `${cgmA.length} vs ${expected}`);
    // B's meter is B's alone
    const meterB = meterRows(rowsOf(pb.text, 'fortnight'));
    const meterA = meterRows(rowsOf(pa.text, 'fortnight'));
    assert.equal(meterB.length, 4);
    assert.equal(meterA.length, 14 * 4);
  });

  it('shows the sensor gap as a break, the LO value and the HI meter reading', async () => {
    const page = (await a.browser.get('/account/readings')).text;
    const day = page.slice(page.indexOf('<section id="day">'), page.indexOf('<section id="fortnight">'));
    assert.equal((day.match(/class="cgm-line"/g) ?? []).length, 2, 'the gap splits the line');
    assert.match(day, /data-kind="gap">Sensorlücke /);
    assert.match(day, /class="mark mark-lo" data-source="cgm"/);
    assert.match(day, /LO: unter dem Messbereich/);
    assert.match(page, /class="mark mark-hi" data-source="bg"/);
    for (const cls of ['chart-24h', 'chart-14d', 'chart-agp']) {
      assert.match(page, new RegExp(`<svg class="chart ${cls}" role="img" aria-label="[^"]+"`), cls);
    }
    assert.equal((page.match(/<details class="chart-values">/g) ?? []).length, 3, 'a table per chart');
    assert.match(page, /<a href="\/account\/readings">Meine Werte<\/a>/);
  });

  it('has the metrics of $hddt-cgm-summary for the same 14 days', async () => {
    const page = (await a.browser.get('/account/readings')).text;
    const s = await summary(nowMs - 14 * DAY, nowMs);
    assert.equal(metric(page, 'meanMgdl'), s('97507-8').valueQuantity.value);
    assert.equal(metric(page, 'gmiPercent'), s('97506-0').valueQuantity.value);
    assert.equal(metric(page, 'cvPercent'), s('104638-2').valueQuantity.value);
    assert.equal(metric(page, 'daysOfWear'), s('104636-6').valueQuantity.value);
    assert.equal(metric(page, 'sensorActivePercent'), s('104637-4').valueQuantity.value);
    const tir = s('106793-3').component.map(
      (c: { valueQuantity: { value: number } }) => c.valueQuantity.value,
    );
    const keys = ['veryLow', 'low', 'target', 'high', 'veryHigh'];
    assert.deepEqual(
      keys.map((k) => metric(page, `tir-${k}`)),
      tir,
    );
    assert.ok(metric(page, 'sensorActivePercent') < 100, 'the handover and the gap are missing samples');
    const mmol = (await a.browser.get('/account/readings?unit=mmoll')).text;
    assert.equal(metric(mmol, 'meanMmoll'), s('105273-7').valueQuantity.value);
    assert.match(mmol, /Sensor \(mmol\/L\)/);
  });

  it('per device: the meter alone has no CGM metrics; a device never assigned is a 404', async () => {
    const meter = await a.browser.get(`/account/readings?device=${encodeURIComponent(BGM_A)}`);
    assert.equal(meter.status, 200);
    assert.ok(!meter.text.includes('data-metric="meanMgdl"'));
    assert.ok(!meter.text.includes('class="cgm-line"'));
    assert.match(meter.text, /class="bg-dot"/);
    const cgm = await a.browser.get(`/account/readings?device=${encodeURIComponent(CGM)}`);
    assert.match(cgm.text, /aria-current="page"><strong>Glukko Inc\. GCGMA98765/);
    assert.ok(!cgm.text.includes('class="bg-dot"'));
    const other = await a.browser.get(`/account/readings?device=${encodeURIComponent(BGM_B)}`);
    assert.equal(other.status, 404);
    assert.match(other.text, /data-error="not_found"/);
    assert.equal((await a.browser.get('/account/readings?unit=kg')).status, 400);
  });

  it('lists the devices with since and until', async () => {
    const page = await a.browser.get('/account/devices');
    assert.equal(page.status, 200);
    assert.ok(!/<script/i.test(page.text));
    const rows = [...page.text.matchAll(/<tr data-device="([^"]+)" data-from="(\d+)" data-until="(\d*)">/g)];
    assert.deepEqual(
      rows.map((r) => [r[1], Number(r[2]), r[3] === '' ? null : Number(r[3])]).sort(),
      [
        [BGM_A, nowMs - 15 * DAY, null],
        [CGM, nowMs - 15 * DAY, handoverMs],
      ].sort(),
    );
    assert.match(page.text, /Glukosesensor \(CGM\)/);
    assert.match(page.text, /heute \(weiter zugeordnet\)/);
    const b = await bBrowser.get('/account/devices');
    assert.ok(b.text.includes(`data-device="${CGM}" data-from="${handoverMs}" data-until=""`));
    assert.ok(!b.text.includes(BGM_A));
  });
});
