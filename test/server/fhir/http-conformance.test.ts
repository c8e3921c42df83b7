// R4 and HDDT HTTP behaviour over the real mutual-TLS server: absolute URLs only from the configured base
// (a forged Host or X-Forwarded-Host changes nothing), 405 with Allow for wrong methods, vread of every type,
// the spec table's `valueQuantity`, and POST _search with the flat JSON body HDDT's CGM page shows.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mappingFromConfig } from '../../../gateway/hddt/mapping.ts';
import { refreshTimeDependent } from '../../../gateway/ingest/refresh.ts';
import { validateR4 } from '../../helpers/fhir-validate.ts';
import { buildDataset, type Dataset } from './fixture.ts';
import { startHarness, type Harness, type Response } from './harness.ts';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;

let ds: Dataset;
let h: Harness;
let token: string;

before(async () => {
  ds = buildDataset({ days: 3 });
  h = await startHarness(ds);
  token = await h.token(ds.patients.a, ['bloodGlucose', 'cgm']);
});
after(async () => {
  await h?.close();
  ds?.cleanup();
});

const get = (path: string, headers: Record<string, string> = {}) =>
  h.request(`/fhir${path}`, { token, headers });
const postSearch = (type: string, contentType: string, body: string) =>
  h.request(`/fhir/${type}/_search`, {
    method: 'POST',
    token,
    headers: { 'content-type': contentType },
    body,
  });
const ids = (r: Response) => {
  assert.equal(r.status, 200, r.body.slice(0, 300));
  return ((r.json().entry ?? []) as Json[])
    .filter((e) => e.search.mode === 'match')
    .map((e) => e.resource.id);
};

function outcome(r: Response, status: number): Json {
  assert.equal(r.status, status, r.body.slice(0, 300));
  const oo = r.json();
  assert.equal(oo.resourceType, 'OperationOutcome');
  validateR4(oo);
  return oo;
}

const FORGED: Array<Record<string, string>> = [
  { host: 'evil.example' },
  { host: 'evil.example:8443', 'x-forwarded-host': 'evil.example', 'x-forwarded-proto': 'http' },
  { 'x-forwarded-host': 'evil.example', forwarded: 'host=evil.example;proto=https' },
];

test('links, fullUrls and implementation.url come from the configured base, whatever Host or X-Forwarded-Host say', async () => {
  const cgm = (await get('/Observation?code=99504-3&_count=1')).json().entry[0].resource;
  for (const headers of FORGED) {
    const what = JSON.stringify(headers);
    const search = await get('/Observation?_count=2&_include=Observation:device', headers);
    assert.equal(search.status, 200, what);
    const b = search.json();
    assert.ok(
      b.link.some((l: Json) => l.relation === 'next'),
      what,
    );
    for (const l of b.link) assert.ok(l.url.startsWith(`${h.base}/Observation?`), `${what}: ${l.url}`);
    for (const e of b.entry) assert.ok(e.fullUrl.startsWith(`${h.base}/`), `${what}: ${e.fullUrl}`);
    const meta = await h.request('/fhir/metadata', { cert: null, headers });
    assert.equal(meta.json().implementation.url, h.base, what);
    const summary = await h.request('/fhir/Observation/$hddt-cgm-summary', {
      method: 'POST',
      token,
      headers: { ...headers, 'content-type': 'application/fhir+json' },
      body: JSON.stringify({
        resourceType: 'Parameters',
        parameter: [{ name: 'related', valueBoolean: true }],
      }),
    });
    assert.equal(summary.status, 200, what);
    const device = summary.json().entry.find((e: Json) => e.resource.resourceType === 'Device');
    assert.ok(device.fullUrl.startsWith(`${h.base}/Device/`), device.fullUrl);
    const errors = [
      await get('/Observation/doesnotexist', headers),
      await get(`/Observation/${cgm.id}/_history/0`, headers),
      await h.request(`/fhir/Observation/${cgm.id}`, { method: 'PUT', token, headers }),
    ];
    for (const r of [search, meta, summary, ...errors]) {
      assert.ok(!r.body.includes('evil.example'), `${what}: ${r.body.slice(0, 200)}`);
      for (const v of Object.values(r.headers)) assert.ok(!String(v).includes('evil.example'), what);
    }
  }
});

test('405 with Allow and an OperationOutcome for wrong methods on known resources and the operation', async () => {
  const obs = (await get('/Observation?_count=1')).json().entry[0].resource;
  const device = (await get('/Device?_count=1')).json().entry[0].resource;
  const metric = (await get('/DeviceMetric?_count=1')).json().entry[0].resource;
  const cases: Array<[string, string, string]> = [
    ['GET', '/Observation/$hddt-cgm-summary', 'POST'],
    ['PUT', '/Observation/$hddt-cgm-summary', 'POST'],
    ['GET', '/Observation/_search', 'POST'],
    ['DELETE', '/Device/_search', 'POST'],
    ['POST', '/metadata', 'GET, HEAD'],
    ['OPTIONS', '/metadata', 'GET, HEAD'],
    ['OPTIONS', '/Observation', 'GET, HEAD'],
  ];
  for (const [type, id] of [
    ['Observation', obs.id],
    ['Device', device.id],
    ['DeviceMetric', metric.id],
  ]) {
    for (const m of ['POST', 'PUT', 'DELETE', 'PATCH']) cases.push([m, `/${type}`, 'GET, HEAD']);
    for (const m of ['POST', 'PUT', 'DELETE', 'PATCH']) cases.push([m, `/${type}/${id}`, 'GET, HEAD']);
    cases.push(['DELETE', `/${type}/${id}/_history/1`, 'GET, HEAD']);
  }
  for (const [method, path, allow] of cases) {
    const r = await h.request(`/fhir${path}`, {
      method,
      token,
      headers: { 'content-type': 'application/fhir+json' },
      body: ['POST', 'PUT', 'PATCH'].includes(method) ? JSON.stringify(obs) : undefined,
    });
    const what = `${method} ${path}`;
    const oo = outcome(r, 405);
    assert.equal(r.headers.allow, allow, what);
    assert.equal(oo.issue[0].severity, 'error', what);
    assert.equal(oo.issue[0].code, 'not-supported', what);
    assert.match(oo.issue[0].diagnostics, new RegExp(`^Method ${method} is not allowed`), what);
  }
  // what Allow promises works; the resource was not changed by any of it
  assert.equal((await h.request(`/fhir/Observation/${obs.id}`, { method: 'HEAD', token })).status, 200);
  assert.deepEqual((await get(`/Observation/${obs.id}`)).json(), obs);
  // deny by default: without a token the answer is 401, not a hint at the method
  const anonymous = await h.request(`/fhir/Observation/${obs.id}`, { method: 'DELETE' });
  outcome(anonymous, 401);
  // unknown paths stay 404
  outcome(await h.request('/fhir/Patient/1', { method: 'DELETE', token }), 404);
});

test('an open hour of an active CGM session without samples is served as temp-unknown, and found as the current chunk', async () => {
  // The data set ends at the clock's time, 00:00; at 00:10 the sensor has sent nothing for this hour yet.
  refreshTimeDependent(h.services.store, ds.end.getTime() + 10 * 60_000, mappingFromConfig(h.config));
  const current = await get('/Observation?code=99504-3&_sort=-date&_count=1');
  assert.equal(current.status, 200);
  validateR4(current.json());
  const chunk = current.json().entry[0].resource;
  assert.equal(chunk.status, 'preliminary');
  assert.deepEqual(chunk.effectivePeriod, {
    start: ds.end.toISOString().replace('.000', ''),
    end: '2025-11-01T01:00:00Z',
  });
  assert.equal(chunk.valueSampledData, undefined);
  assert.deepEqual(chunk.dataAbsentReason.coding, [
    {
      system: 'http://terminology.hl7.org/CodeSystem/data-absent-reason',
      code: 'temp-unknown',
      display: 'Temporarily Unknown',
    },
  ]);
  const byId = await get(`/Observation/${chunk.id}`);
  assert.deepEqual(byId.json(), chunk);
  validateR4(byId.json());
  // with its DeviceMetric, like any chunk
  const withDevice = await get(`/Observation?_id=${chunk.id}&_include=Observation:device`);
  assert.ok(withDevice.json().entry.some((e: Json) => e.resource.resourceType === 'DeviceMetric'));
});

test('vread serves every type: Observations their current version, Device and DeviceMetric each version', async () => {
  for (const type of ['Observation', 'Device', 'DeviceMetric']) {
    const res = (await get(`/${type}?_count=1`)).json().entry[0].resource;
    const v = await get(`/${type}/${res.id}/_history/${res.meta.versionId}`);
    assert.equal(v.status, 200, `${type}: ${v.body.slice(0, 200)}`);
    assert.deepEqual(v.json(), res);
    assert.equal(v.headers.etag, `W/"${res.meta.versionId}"`);
    outcome(await get(`/${type}/${res.id}/_history/${Number(res.meta.versionId) + 1}`), 404);
  }
  // A chunk with a second version: the hour after the data ends is temp-unknown at first, final once over.
  const mapping = mappingFromConfig(h.config);
  refreshTimeDependent(h.services.store, ds.end.getTime() + 10 * 60_000, mapping);
  refreshTimeDependent(h.services.store, ds.end.getTime() + 70 * 60_000, mapping);
  const after = await get(`/Observation?code=99504-3&date=ge${ds.end.toISOString()}&_count=1`);
  const rerendered = after.json().entry[0].resource;
  assert.equal(rerendered.meta.versionId, '2');
  // its earlier version is not kept, and the answer says so
  const old = outcome(await get(`/Observation/${rerendered.id}/_history/1`), 404);
  assert.match(old.issue[0].diagnostics, /earlier versions of this Observation are not kept/);
});

test('the search parameter valueQuantity (HDDT table) is value-quantity (R4)', async () => {
  for (const q of [
    'gt150',
    'le100|http://unitsofmeasure.org|mg/dL',
    'ap6|http://unitsofmeasure.org|mmol/L',
  ]) {
    const r4 = ids(await get(`/Observation?value-quantity=${encodeURIComponent(q)}&_count=500`));
    const hddt = ids(await get(`/Observation?valueQuantity=${encodeURIComponent(q)}&_count=500`));
    assert.ok(r4.length > 0, q);
    assert.deepEqual(hddt, r4, q);
  }
  const bad = outcome(await get('/Observation?valueQuantity=high'), 400);
  assert.match(bad.issue[0].diagnostics, /Invalid value 'high' for search parameter valueQuantity/);
  // only on Observation
  outcome(await get('/Device?valueQuantity=gt1'), 400);
});

test("POST _search with HDDT's flat JSON body is the same search as the form-encoded one", async () => {
  const same: Array<[string, string, string]> = [
    ['Observation', '{"code":"99504-3"}', 'code=99504-3'],
    ['Observation', '{"code":"41653-7","_count":100}', 'code=41653-7&_count=100'],
    [
      'Observation',
      '{"date":["ge2025-10-31","lt2025-10-31T12:00:00Z"],"valueQuantity":"gt120","_count":"500"}',
      'date=ge2025-10-31&date=lt2025-10-31T12:00:00Z&valueQuantity=gt120&_count=500',
    ],
    ['Device', '{"type":"700585005"}', 'type=700585005'],
  ];
  for (const [type, json, form] of same) {
    const viaForm = ids(await postSearch(type, 'application/x-www-form-urlencoded', form));
    assert.ok(viaForm.length > 0, form);
    for (const contentType of [
      'application/json',
      'application/fhir+json',
      'application/json; charset=utf-8',
    ]) {
      assert.deepEqual(ids(await postSearch(type, contentType, json)), viaForm, `${contentType} ${json}`);
    }
  }
  const refused: Array<[string, RegExp]> = [
    ['{"code":', /not valid JSON/],
    ['["code","99504-3"]', /must be an object of search parameters .*not an array/],
    ['"code=99504-3"', /not a string/],
    [
      '{"code":{"coding":"99504-3"}}',
      /'code' in the JSON body must be a string, a number or an array of them, not an object/,
    ],
    ['{"code":true}', /'code' .* not a boolean/],
    ['{"code":null}', /'code' .* not null/],
    ['{"date":[["ge2025-10-31"]]}', /'date' .* not an array inside the array/],
    ['{"date":[]}', /'date' in the JSON body is an empty array/],
    ['{"foo":"bar"}', /Unknown search parameter foo/],
  ];
  for (const [body, re] of refused) {
    const oo = outcome(await postSearch('Observation', 'application/json', body), 400);
    assert.equal(oo.issue[0].severity, 'error', body);
    assert.match(oo.issue[0].diagnostics, re, body);
  }
});
