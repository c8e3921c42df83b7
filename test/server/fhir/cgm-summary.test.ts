// $hddt-cgm-summary over HTTP: the summary Bundle (R4-valid, HL7 CGM codes, values matching the stored
// samples), related Devices, and the HDDT OperationOutcome codes for every error.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { cgmSeries } from '../../../firmware-bridge/synthetic-readings.ts';
import { cgmMetrics } from '../../../gateway/hddt/cgm-metrics.ts';
import { toXml } from '../../../server/fhir/format.ts';
import { validateR4 } from '../../helpers/fhir-validate.ts';
import { buildDataset, type Dataset } from './fixture.ts';
import { startHarness, type Harness } from './harness.ts';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;
const DAY = 86_400_000;

let ds: Dataset;
let h: Harness;
let token: string;

before(async () => {
  ds = buildDataset({ days: 10 });
  h = await startHarness(ds);
  token = await h.token(ds.patients.a, ['bloodGlucose', 'cgm']);
});
after(async () => {
  await h?.close();
  ds?.cleanup();
});

const call = (body: unknown, opts: { token?: string; cert?: number; contentType?: string } = {}) =>
  h.request('/fhir/Observation/$hddt-cgm-summary', {
    method: 'POST',
    token: opts.token ?? token,
    cert: opts.cert ?? 0,
    headers: { 'content-type': opts.contentType ?? 'application/fhir+json' },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });

const params = (...p: Array<Record<string, unknown>>) => ({ resourceType: 'Parameters', parameter: p });
const byCode = (b: Json, code: string) =>
  b.entry.map((e: Json) => e.resource).find((r: Json) => r.code?.coding?.[0]?.code === code);

test('the default period (7 days back from now) yields the HL7 CGM summary members with the stored values', async () => {
  const r = await call(params({ name: 'related', valueBoolean: true }));
  assert.equal(r.status, 200, r.body.slice(0, 300));
  const b = r.json();
  validateR4(b);
  for (const e of b.entry) validateR4(e.resource);
  assert.equal(b.type, 'collection');
  assert.deepEqual(b.meta.profile, ['https://gematik.de/fhir/hddt/StructureDefinition/hddt-cgm-summary']);
  const summary = byCode(b, '107931-8');
  assert.equal(summary.hasMember.length, 7);
  const fullUrls = new Set(b.entry.map((e: Json) => e.fullUrl));
  for (const m of summary.hasMember) assert.ok(fullUrls.has(m.reference));
  // Same samples the gateway stored: patient A's CGM, seed 1, sessions every 14 days from the start.
  const from = ds.end.getTime() - 7 * DAY;
  const minutes = (ds.end.getTime() - ds.start.getTime()) / 60_000;
  const readings = cgmSeries({ deviceKey: ds.devices.cgmA, sessionStart: ds.start, count: minutes, seed: 1 });
  const expected = cgmMetrics({
    samples: readings.map((x) => ({ t: Date.parse(x.effectiveAt), mgdl: x.value! })),
    fromMs: from,
    toMs: ds.end.getTime(),
    intervalMs: 60_000,
  })!;
  assert.equal(byCode(b, '97507-8').valueQuantity.value, expected.meanMgdl);
  assert.equal(byCode(b, '105273-7').valueQuantity.value, expected.meanMmoll);
  assert.equal(byCode(b, '97506-0').valueQuantity.value, expected.gmiPercent);
  assert.equal(byCode(b, '104638-2').valueQuantity.value, expected.cvPercent);
  assert.equal(byCode(b, '104636-6').valueQuantity.value, expected.daysOfWear);
  // 7 days of data in a 7-day period (from 02:00 Berlin time, so 8 Berlin calendar days): 7 days of wear
  assert.equal(expected.daysOfWear, 7);
  assert.equal(byCode(b, '104637-4').valueQuantity.value, 100);
  const tir = byCode(b, '106793-3').component.map((c: Json) => [
    c.code.coding[0].code,
    c.valueQuantity.value,
  ]);
  assert.deepEqual(tir, [
    ['104642-4', expected.timesInRanges.veryLow],
    ['104641-6', expected.timesInRanges.low],
    ['97510-2', expected.timesInRanges.target],
    ['104640-8', expected.timesInRanges.high],
    ['104639-0', expected.timesInRanges.veryHigh],
  ]);
  // pseudonymous subject: the Pairing ID, never the internal patient id
  assert.match(summary.subject.reference, /^Patient\/[0-9a-f]{64}$/);
  assert.ok(!r.body.includes(ds.patients.a));
  const devices = b.entry.filter((e: Json) => e.resource.resourceType === 'Device');
  assert.equal(devices.length, 1);
  assert.equal(devices[0].resource.type.coding[0].code, '700585005');
});

test('an explicit period and XML Parameters; related=false has no Device', async () => {
  const p = params(
    { name: 'effectivePeriodStart', valueDateTime: '2025-10-23T00:00:00Z' },
    { name: 'effectivePeriodEnd', valueDateTime: '2025-10-31T00:00:00Z' },
    { name: 'related', valueBoolean: false },
  );
  const r = await call(toXml(p), { contentType: 'application/fhir+xml' });
  assert.equal(r.status, 200, r.body.slice(0, 300));
  const b = r.json();
  assert.ok(b.entry.every((e: Json) => e.resource.resourceType === 'Observation'));
  assert.equal(byCode(b, '107931-8').effectivePeriod.start, '2025-10-23T00:00:00.000Z');
  // 8 days touch 9 Berlin calendar days (the last hour falls on 31 October there): days of wear are the
  // period's days with data, never more than the period has
  assert.equal(h.config.timezone, 'Europe/Berlin');
  assert.equal(byCode(b, '104636-6').valueQuantity.value, 8);
});

test('errors are OperationOutcomes with the HDDT codes', async () => {
  const cases: Array<[unknown, number, string, string]> = [
    [params({ name: 'foo', valueString: 'x' }), 400, 'MSG_PARAM_UNKNOWN', 'error'],
    [
      params({ name: 'effectivePeriodStart', valueDateTime: '2025-13-01T00:00:00Z' }),
      400,
      'MSG_PARAM_INVALID',
      'error',
    ],
    [
      params({ name: 'effectivePeriodStart', valueDateTime: '2025-10-01' }),
      400,
      'MSG_PARAM_INVALID',
      'error',
    ],
    [
      params(
        { name: 'effectivePeriodStart', valueDateTime: '2025-10-30T00:00:00Z' },
        { name: 'effectivePeriodEnd', valueDateTime: '2025-10-31T00:00:00Z' },
      ),
      400,
      'MSG_PARAM_INVALID',
      'error',
    ],
    [params({ name: 'related', valueString: 'yes' }), 400, 'MSG_PARAM_INVALID', 'error'],
    [{ resourceType: 'Bundle' }, 400, 'MSG_BAD_SYNTAX', 'error'],
    ['{not json', 400, 'MSG_BAD_SYNTAX', 'error'],
    [
      params(
        { name: 'effectivePeriodStart', valueDateTime: '2020-01-01T00:00:00Z' },
        { name: 'effectivePeriodEnd', valueDateTime: '2020-02-01T00:00:00Z' },
      ),
      404,
      'MSG_NO_MATCH',
      'information',
    ],
  ];
  for (const [body, status, code, severity] of cases) {
    const r = await call(body);
    assert.equal(r.status, status, `${code}: ${r.body}`);
    const oo = r.json();
    validateR4(oo);
    assert.equal(
      oo.issue[0].details.coding[0].system,
      'http://terminology.hl7.org/CodeSystem/operation-outcome',
    );
    assert.equal(oo.issue[0].details.coding[0].code, code);
    assert.equal(oo.issue[0].severity, severity);
  }
});

test('a token without the CGM MIV cannot run the operation (404, never 403)', async () => {
  const bgOnly = await h.token(ds.patients.a, ['bloodGlucose'], { client: 1 });
  const r = await call(params(), { token: bgOnly, cert: 1 });
  assert.equal(r.status, 404);
  assert.equal(r.json().resourceType, 'OperationOutcome');
});
