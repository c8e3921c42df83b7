// FHIR route input goes through the routes' JSON schemas, and the answers stay FHIR's: an id or version that
// cannot exist is an unknown resource (404 OperationOutcome, not 400), and a caller without access hears 401
// before anything about its input.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { buildDataset, type Dataset } from './fixture.ts';
import { startHarness, type Harness } from './harness.ts';

let ds: Dataset;
let h: Harness;
let token: string;

before(async () => {
  ds = buildDataset({ days: 1 });
  h = await startHarness(ds);
  token = await h.token(ds.patients.a, ['bloodGlucose', 'cgm']);
});
after(async () => {
  await h?.close();
  ds?.cleanup();
});

const MALFORMED = [
  '/fhir/Observation/bad$id',
  `/fhir/Observation/${'x'.repeat(65)}`,
  '/fhir/Device/d1/_history/one',
  '/fhir/Device/d1/_history/1234567890',
  `/fhir/DeviceMetric/${'y'.repeat(70)}/_history/1`,
];

test('a malformed id or version is a 404 OperationOutcome naming the resource', async () => {
  for (const path of MALFORMED) {
    const r = await h.request(path, { token });
    assert.equal(r.status, 404, `${path}: ${r.body.slice(0, 200)}`);
    const oo = r.json();
    assert.equal(oo.resourceType, 'OperationOutcome');
    assert.equal(oo.issue[0].code, 'processing');
    assert.match(oo.issue[0].diagnostics, /is not known$/);
  }
});

test('without a token a malformed id is a 401, never a hint about the input', async () => {
  for (const path of MALFORMED) {
    const r = await h.request(path);
    assert.equal(r.status, 401, path);
    assert.match(String(r.headers['www-authenticate']), /^Bearer error="invalid_token"/);
    assert.equal(r.json().resourceType, 'OperationOutcome');
  }
});

test('search parameters keep their own 400s (the schema lets the parser name them)', async () => {
  const r = await h.request('/fhir/Observation?_count=many&_count=2', { token });
  assert.equal(r.status, 400);
  const issue = r.json().issue[0];
  assert.equal(issue.code, 'invalid');
  assert.deepEqual(issue.expression, ['_count']);
  assert.match(issue.diagnostics, /Invalid value 'many' for _count/);
});
