// The AGP report download through the running gateway: a PDF of exactly one A4 page, rendered to PNG with
// poppler's pdftoppm (kept in test-artifacts/pages/), whose text (pdftotext) holds the period, the metrics
// as $hddt-cgm-summary computes them and the five ranges; a patient without CGM data gets the page too.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { cgmSeries } from '../../../firmware-bridge/synthetic-readings.ts';
import { ingest } from '../../../gateway/ingest/pipeline.ts';
import { assignDevice } from '../../../gateway/store/assignments.ts';
import { privacyAuditRowsAfter } from '../../../gateway/store/oauth-audit.ts';
import { agpReportData } from '../../../server/export/agp-report.ts';
import { formatOne, localDate, RANGES } from '../../../server/export/report-pdf.ts';
import {
  csrfOf,
  location,
  removeCertificates,
  startHarness,
  type Browser,
  type Harness,
} from '../oauth/harness.ts';
import { download } from './export-fixture.ts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const OUT = path.join(ROOT, 'test-artifacts', 'pages');
const DAY = 86_400_000;
const CGM_KEY = 'ble:c0:ff:ee:00:00:36';

let h: Harness;
let work: string;

async function login(p: { username: string; password: string; totpSecret: string }): Promise<Browser> {
  const b = h.browser();
  const page = await b.get('/account/login');
  const r1 = await b.post('/account/login', { _csrf: csrfOf(page.text), ...p });
  const totp = await b.get(location(r1));
  const r2 = await b.post('/account/login/totp', {
    _csrf: csrfOf(totp.text),
    code: await h.totp(p.totpSecret),
  });
  assert.equal(location(r2), '/account/pairings');
  return b;
}

before(async () => {
  h = await startHarness();
  work = fs.mkdtempSync(path.join(h.dir, 'report-'));
  fs.mkdirSync(OUT, { recursive: true });
});

after(async () => {
  await h.close();
  removeCertificates();
});

/** Downloads the report, renders it with poppler; returns its text and the PNG pages. */
async function report(b: Browser, name: string) {
  const r = await download(h, b, '/account/report.pdf');
  assert.equal(r.status, 200);
  assert.equal(r.headers['content-type'], 'application/pdf');
  assert.match(
    String(r.headers['content-disposition']),
    /^attachment; filename="glucose-agp-report-[\d-]+\.pdf"$/,
  );
  assert.equal(r.headers['cache-control'], 'no-store');
  assert.equal(r.body.subarray(0, 5).toString('latin1'), '%PDF-');
  const file = path.join(work, `${name}.pdf`);
  fs.writeFileSync(file, r.body);
  const info = execFileSync('pdfinfo', [file], { encoding: 'utf8' });
  const text = execFileSync('pdftotext', ['-layout', file, '-'], { encoding: 'utf8' });
  for (const f of fs.readdirSync(OUT)) if (f.startsWith(`${name}-`)) fs.rmSync(path.join(OUT, f));
  execFileSync('pdftoppm', ['-png', '-r', '72', file, path.join(OUT, name)]);
  const pngs = fs.readdirSync(OUT).filter((f) => f.startsWith(`${name}-`) && f.endsWith('.png'));
  return { info, text, pngs };
}

describe('AGP report (PDF)', () => {
  it('needs a login', async () => {
    const r = await h.browser().get('/account/report.pdf');
    assert.equal(r.status, 303);
    assert.match(location(r), /^\/account\/login/);
  });

  it('is one A4 page with the metrics, the ranges, the AGP and 14 daily profiles', async () => {
    const p = await h.addPatient('agp-patient');
    const nowMs = h.clock.now().getTime();
    const start = new Date(Math.floor((nowMs - 15 * DAY) / 60_000) * 60_000);
    const readings = cgmSeries({
      deviceKey: CGM_KEY,
      sessionStart: start,
      count: (15 * DAY) / 300_000,
      intervalMinutes: 5,
      seed: 3,
    });
    ingest(h.services.store, readings, { now: new Date(nowMs) });
    assignDevice(h.services.store, CGM_KEY, p.patientId, nowMs);
    const b = await login(p);
    const trail = privacyAuditRowsAfter(h.services.store, 0, 100_000).length;
    const { info, text, pngs } = await report(b, 'report-agp');
    assert.match(info, /^Pages:\s+1$/m);
    assert.match(info, /^Page size:\s+595\.28 x 841\.89 pts \(A4\)/m);
    assert.deepEqual(pngs, ['report-agp-1.png']);
    const png = fs.readFileSync(path.join(OUT, pngs[0]!));
    assert.equal(png.subarray(1, 4).toString('latin1'), 'PNG');
    // The metrics as the summary functions compute them for the same period.
    const data = agpReportData(h.services.store, p.patientId, nowMs, 'Europe/Berlin');
    const m = data.metrics!;
    assert.ok(m.count > 3000, String(m.count));
    for (const s of [
      'AGP-Bericht',
      'Konto: agp-patient',
      `Zeitraum: ${localDate(data.fromMs, data.zone)} – ${localDate(nowMs, data.zone)} (14 Tage)`,
      `Mittlere Glukose`,
      `${formatOne(m.meanMgdl)} mg/dL (${formatOne(m.meanMmoll)} mmol/L)`,
      `${formatOne(m.gmiPercent)} %`,
      `${formatOne(m.cvPercent)} % (Ziel: höchstens 36 %)`,
      `${m.daysOfWear} von 14`,
      `${formatOne(m.sensorActivePercent)} %`,
      'Ambulantes Glukoseprofil (AGP)',
      'Tägliche Glukoseprofile',
    ]) {
      assert.ok(text.includes(s), `missing ${JSON.stringify(s)} in:\n${text}`);
    }
    for (const r of RANGES) {
      assert.ok(text.includes(r.label), r.label);
      assert.ok(text.includes(`${formatOne(m.timesInRanges[r.key])} %`), r.key);
    }
    // 14 day labels (weekday and date)
    assert.equal((text.match(/\b(Mo|Di|Mi|Do|Fr|Sa|So) \d\d\.\d\d\./g) ?? []).length, 14);
    const rows = privacyAuditRowsAfter(h.services.store, 0, 100_000).slice(trail);
    assert.deepEqual(
      rows.map((r) => [r.event, r.reason]),
      [['export', 'pdf']],
    );
  });

  it('without CGM data it is still one page, saying so', async () => {
    const b = await login(await h.addPatient('no-cgm-patient'));
    const { info, text, pngs } = await report(b, 'report-empty');
    assert.match(info, /^Pages:\s+1$/m);
    assert.equal(pngs.length, 1);
    assert.ok(text.includes('Keine CGM-Daten in diesem Zeitraum.'), text);
  });
});
