// The patient's own export (GDPR Art. 15/20) through the running gateway: CSV and FHIR Bundle downloads
// round-trip to the stored readings, hold only what the patient's devices recorded inside the patient's
// assignment periods, equal what the FHIR API serves, and each download is an entry of the privacy trail.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { parse } from 'csv-parse/sync';
import { decodeSampledData, type SampledData } from '../../../gateway/hddt/cgm-metrics.ts';
import { privacyAuditRowsAfter } from '../../../gateway/store/oauth-audit.ts';
import { listReadings, type StoredReading } from '../../../gateway/store/readings.ts';
import { getResource } from '../../../gateway/store/resources.ts';
import { patientRef, verifyPrivacyTrail } from '../../../server/audit/privacy-trail.ts';
import { removeAccount } from '../../../server/pages/accounts.ts';
import { CSV_HEADER } from '../../../server/export/readings-csv.ts';
import { localIso } from '../../../server/export/local-time.ts';
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
import { BG_KEY, CGM_KEY, download, seedExportData, type ExportData } from './export-fixture.ts';

let h: Harness;
let data: ExportData;
let alice: Awaited<ReturnType<typeof pair>>;
let bob: { browser: Browser; patientId: string };

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
  alice = await pair(h, h.clients[0]!, ['bloodGlucose', 'cgm']);
  const b = await h.addPatient();
  data = seedExportData(h, alice.patient.patientId, b.patientId);
  bob = { browser: await login(b), patientId: b.patientId };
});

after(async () => {
  await new Promise((r) => setTimeout(r, 200));
  await h.close();
  removeCertificates();
});

/** The stored readings of a device inside [fromMs, untilMs). */
function storedIn(key: string, fromMs: number, untilMs = Infinity): StoredReading[] {
  return listReadings(h.services.store, key).filter((r) => {
    const t = Date.parse(r.effectiveAt);
    return t >= fromMs && t < untilMs;
  });
}

type CsvRow = Record<(typeof CSV_HEADER)[number], string>;

async function csvOf(b: Browser): Promise<CsvRow[]> {
  const r = await download(h, b, '/account/export.csv');
  assert.equal(r.status, 200);
  assert.match(String(r.headers['content-type']), /^text\/csv; charset=utf-8/);
  assert.match(
    String(r.headers['content-disposition']),
    /^attachment; filename="glucose-readings-\d{4}-\d\d-\d\d\.csv"$/,
  );
  assert.equal(r.headers['cache-control'], 'no-store');
  const text = r.body.toString('utf8');
  assert.ok(text.startsWith(`${CSV_HEADER.join(',')}\r\n`));
  return parse(text, { columns: true, skip_empty_lines: false }) as CsvRow[];
}

function expectedFlags(r: StoredReading): string {
  const f =
    r.flag === 'low'
      ? ['LO']
      : r.flag === 'high'
        ? ['HI']
        : r.flag === 'error'
          ? [`ERROR:${r.flagReason}`]
          : [];
  if (r.controlSolution) f.push('CONTROL');
  return f.join(';');
}

describe('patient export', () => {
  it('needs a login: each download sends the browser to the login form', async () => {
    for (const p of ['/account/export', '/account/export.csv', '/account/export.json']) {
      const r = await h.browser().get(p);
      assert.equal(r.status, 303, p);
      assert.match(location(r), /^\/account\/login/);
    }
  });

  it('the export page links the three downloads; the navigation links the page', async () => {
    const r = await alice.browser.get('/account/export');
    assert.equal(r.status, 200);
    for (const href of ['/account/export.csv', '/account/export.json', '/account/report.pdf'])
      assert.ok(r.text.includes(`href="${href}"`), href);
    assert.ok((await alice.browser.get('/account/audit')).text.includes('href="/account/export"'));
  });

  it('CSV: one row per stored reading inside the periods, value and unit as measured, flags', async () => {
    const rows = await csvOf(alice.browser);
    const expected = [
      ...storedIn(CGM_KEY, 0).map((r) => ({ key: CGM_KEY, r })),
      ...storedIn(BG_KEY, 0, data.handoverMs).map((r) => ({ key: BG_KEY, r })),
    ];
    assert.equal(rows.length, 180 + 6);
    assert.equal(rows.length, expected.length);
    const got = new Map(rows.map((row) => [`${row.device}|${row.time_utc}`, row]));
    for (const { key, r } of expected) {
      const row = got.get(`${key}|${r.effectiveAt}`);
      assert.ok(row, `${key} ${r.effectiveAt}`);
      assert.equal(row.value, r.value === null ? '' : String(r.value));
      assert.equal(row.unit, r.unit);
      assert.equal(row.flags, expectedFlags(r));
      assert.equal(row.device_time, r.deviceTime);
      assert.equal(row.time_local, localIso(Date.parse(r.effectiveAt), 'Europe/Berlin'));
    }
    const meter = rows.filter((row) => row.device === BG_KEY);
    // quoting survived the parser; the formula-like manufacturer is defused
    assert.equal(meter[0]!.manufacturer, `'=Glukko, "Inc."`);
    assert.equal(meter[0]!.model, 'Check\nplus');
    assert.deepEqual(
      meter.map((m) => m.flags),
      ['', 'LO', 'HI', 'ERROR:strip-error', 'CONTROL', ''],
    );
    assert.ok(rows.some((row) => row.flags === 'ERROR:sensor-malfunction' && row.device === CGM_KEY));
  });

  it('CSV of the next patient of the meter holds only the readings after the hand-over', async () => {
    const rows = await csvOf(bob.browser);
    const expected = storedIn(BG_KEY, data.handoverMs);
    assert.equal(rows.length, 6);
    assert.deepEqual(
      rows.map((r) => r.time_utc),
      expected.map((r) => r.effectiveAt),
    );
  });
});

interface Entry {
  fullUrl: string;
  resource: Record<string, unknown> & { resourceType: string; id: string };
}

async function bundleOf(b: Browser): Promise<{ bundle: Record<string, unknown>; entries: Entry[] }> {
  const r = await download(h, b, '/account/export.json');
  assert.equal(r.status, 200);
  assert.match(String(r.headers['content-type']), /^application\/fhir\+json/);
  assert.match(
    String(r.headers['content-disposition']),
    /^attachment; filename="glucose-fhir-[\d-]+\.json"$/,
  );
  assert.equal(r.headers['cache-control'], 'no-store');
  const bundle = JSON.parse(r.body.toString('utf8')) as Record<string, unknown>;
  return { bundle, entries: (bundle.entry as Entry[] | undefined) ?? [] };
}

const ofType = (entries: Entry[], type: string) => entries.filter((e) => e.resource.resourceType === type);

/** Every resource of a type the FHIR API serves this token (one page is enough for this data set). */
async function fhirIds(token: string, type: string): Promise<string[]> {
  const c = h.clients[0]!;
  const r = await request(`${h.url}/fhir/${type}?_count=500`, {
    headers: { authorization: `Bearer ${token}`, accept: 'application/fhir+json' },
    ca: h.ca,
    cert: c.cert,
    key: c.key,
  });
  assert.equal(r.status, 200, r.text);
  const entries = (r.json().entry as Entry[] | undefined) ?? [];
  return entries.map((e) => e.resource.id).sort();
}

describe('patient FHIR export', () => {
  it('is a collection Bundle of the stored resources, equal to what the FHIR API serves', async () => {
    const { bundle, entries } = await bundleOf(alice.browser);
    assert.equal(bundle.resourceType, 'Bundle');
    assert.equal(bundle.type, 'collection');
    for (const e of entries) {
      const stored = getResource(h.services.store, e.resource.resourceType, e.resource.id)!;
      assert.deepEqual(e.resource, JSON.parse(stored.json), 'the stored JSON as it is');
      assert.equal(e.fullUrl, `${h.url}/fhir/${e.resource.resourceType}/${e.resource.id}`);
    }
    // 3 hourly CGM chunks + 5 meter Observations; a Device and a DeviceMetric per device
    assert.deepEqual(
      ['Observation', 'Device', 'DeviceMetric'].map((t) => ofType(entries, t).length),
      [8, 2, 2],
    );
    for (const type of ['Observation', 'Device', 'DeviceMetric']) {
      const ids = ofType(entries, type)
        .map((e) => e.resource.id)
        .sort();
      assert.deepEqual(ids, await fhirIds(alice.access_token, type), type);
    }
  });

  it('round-trips to the stored readings: CGM samples and meter readings, times and values', async () => {
    const { entries } = await bundleOf(alice.browser);
    const obs = ofType(entries, 'Observation');
    const samples = obs.flatMap((o) => {
      const sd = o.resource.valueSampledData as SampledData | undefined;
      const start = (o.resource.effectivePeriod as { start: string } | undefined)?.start;
      return sd && start ? decodeSampledData(Date.parse(start), sd) : [];
    });
    const cgm = storedIn(CGM_KEY, 0).filter((r) => r.value !== null);
    assert.equal(samples.length, 179);
    assert.deepEqual(
      samples.map((s) => [s.t, s.mgdl]).sort((x, y) => x[0]! - y[0]!),
      cgm.map((r) => [Date.parse(r.effectiveAt), r.value]),
    );
    const meter = obs.filter((o) => o.resource.effectiveDateTime !== undefined);
    // 6 readings of A's hour, less the control-solution test (no patient Observation)
    const stored = storedIn(BG_KEY, 0, data.handoverMs).filter((r) => !r.controlSolution);
    assert.equal(meter.length, stored.length);
    const byTime = new Map(
      meter.map((o) => [Date.parse(o.resource.effectiveDateTime as string), o.resource]),
    );
    for (const r of stored) {
      const o = byTime.get(Date.parse(r.effectiveAt));
      assert.ok(o, r.effectiveAt);
      const q = o.valueQuantity as { value: number; code: string; comparator?: string } | undefined;
      if (r.flag === 'error') assert.equal(q, undefined);
      else {
        assert.equal(q!.value, r.value);
        assert.equal(q!.code, r.unit);
        assert.equal(q!.comparator, r.flag === 'low' ? '<' : r.flag === 'high' ? '>' : undefined);
      }
    }
  });

  it("excludes the meter's readings after it went to the next patient; they are the next patient's", async () => {
    const times = (entries: Entry[]) =>
      ofType(entries, 'Observation')
        .map((o) => o.resource.effectiveDateTime as string | undefined)
        .filter((t): t is string => t !== undefined)
        .map(Date.parse);
    const a = times((await bundleOf(alice.browser)).entries);
    const b = times((await bundleOf(bob.browser)).entries);
    assert.ok(a.length > 0 && a.every((t) => t < data.handoverMs));
    assert.equal(b.length, 6);
    assert.ok(b.every((t) => t >= data.handoverMs));
  });

  it('an export is an entry of the privacy trail, with its format, visible on the audit page', async () => {
    const before = privacyAuditRowsAfter(h.services.store, 0, 100_000).length;
    await csvOf(alice.browser);
    await bundleOf(alice.browser);
    const rows = privacyAuditRowsAfter(h.services.store, 0, 100_000).slice(before);
    const ref = patientRef(h.services.store, alice.patient.patientId);
    assert.deepEqual(
      rows.map((r) => [r.event, r.reason, r.patient_ref, r.outcome]),
      [
        ['export', 'csv', ref, 'success'],
        ['export', 'fhir', ref, 'success'],
      ],
    );
    const audit = await alice.browser.get('/account/audit');
    assert.ok(audit.text.includes('data-event="export"'));
    assert.ok(audit.text.includes('Datenexport'));
  });

  it('removing an account (`patient remove`) is an entry of the privacy trail too', async () => {
    const p = await h.addPatient();
    const before = privacyAuditRowsAfter(h.services.store, 0, 100_000).length;
    removeAccount(h.services, p.patientId);
    const rows = privacyAuditRowsAfter(h.services.store, 0, 100_000).slice(before);
    assert.deepEqual(
      rows.map((r) => [r.event, r.outcome, r.patient_ref]),
      [['account_removed', 'success', patientRef(h.services.store, p.patientId)]],
    );
    assert.equal(verifyPrivacyTrail(h.services.store).ok, true);
  });
});
