// The FHIR API over real mutual TLS with real tokens: every row of HDDT's resource-server error table,
// formats, caching headers, compression, scope isolation, and R4 validity of everything returned.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { SignJWT } from 'jose';
import { randomUUID } from 'node:crypto';
import { revokeGrant } from '../../../gateway/store/oauth-grants.ts';
import { fromXml } from '../../../server/fhir/format.ts';
import { validateR4 } from '../../helpers/fhir-validate.ts';
import { buildDataset, type Dataset } from './fixture.ts';
import { startHarness, type Harness } from './harness.ts';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;

let ds: Dataset;
let h: Harness;
let tokenA: string;
let tokenB: string;
let tokenBgOnly: string;

before(async () => {
  ds = buildDataset({ days: 3 });
  h = await startHarness(ds);
  tokenA = await h.token(ds.patients.a, ['bloodGlucose', 'cgm']);
  tokenB = await h.token(ds.patients.b, ['bloodGlucose', 'cgm']);
  tokenBgOnly = await h.token(ds.patients.a, ['bloodGlucose'], { client: 1 });
});
after(async () => {
  await h?.close();
  ds?.cleanup();
});

const get = (path: string, token = tokenA, headers: Record<string, string> = {}, cert: number | null = 0) =>
  h.request(`/fhir${path}`, { token, headers, cert });

function assertOutcome(body: string, status: number, re?: RegExp) {
  const oo = JSON.parse(body);
  assert.equal(oo.resourceType, 'OperationOutcome', `status ${status}: ${body.slice(0, 200)}`);
  validateR4(oo);
  if (re) assert.match(body, re);
  return oo;
}

async function walkAll(path: string, token = tokenA): Promise<Json[]> {
  const out: Json[] = [];
  let r = await get(path, token);
  for (;;) {
    assert.equal(r.status, 200, r.body.slice(0, 300));
    const b = r.json();
    validateR4(b);
    out.push(...(b.entry ?? []));
    const next = b.link.find((l: Json) => l.relation === 'next');
    if (!next) return out;
    r = await h.request(next.url, { token });
  }
}

test('GET /metadata is public (no token, no client certificate) and a valid R4 CapabilityStatement', async () => {
  const r = await h.request('/fhir/metadata', { cert: null });
  assert.equal(r.status, 200);
  const cs = r.json();
  validateR4(cs);
  assert.equal(cs.fhirVersion, '4.0.1');
  const types = cs.rest[0].resource.map((x: Json) => x.type);
  assert.deepEqual(types, ['Observation', 'Device', 'DeviceMetric', 'Bundle']);
  const obs = cs.rest[0].resource[0];
  assert.deepEqual(
    obs.searchParam.map((p: Json) => p.name),
    ['code', 'date', 'value-quantity', 'valueQuantity', '_id', '_lastUpdated'],
  );
  assert.equal(
    obs.operation[0].definition,
    'https://gematik.de/fhir/hddt/OperationDefinition/hddt-cgm-summary-operation',
  );
  // Every resource carries meta.versionId, and every type serves vread: the statement says so for each.
  for (const res of cs.rest[0].resource.slice(0, 3)) {
    assert.equal(res.versioning, 'versioned', res.type);
    assert.ok(
      res.interaction.some((i: Json) => i.code === 'vread'),
      res.type,
    );
  }
  assert.equal(cs.implementation.url, h.base);
  const xml = await h.request('/fhir/metadata?_format=xml', { cert: null });
  assert.match(xml.headers['content-type'] as string, /^application\/fhir\+xml/);
  assert.equal(fromXml(xml.body).resourceType, 'CapabilityStatement');
});

test('every resource of a full walk (with includes) validates against R4 core', async () => {
  const entries = await walkAll(
    '/Observation?_count=200&_include=Observation:device&_include:iterate=DeviceMetric:source',
  );
  assert.ok(entries.length > 96);
  const seen = new Set<string>();
  for (const e of entries) {
    validateR4(e.resource);
    seen.add(e.resource.resourceType);
  }
  assert.deepEqual([...seen].sort(), ['Device', 'DeviceMetric', 'Observation']);
  for (const type of ['Device', 'DeviceMetric']) {
    for (const e of await walkAll(`/${type}`)) validateR4(e.resource);
  }
});

test('200: a code outside the granted MIV gives an empty Bundle with a warning OperationOutcome', async () => {
  const r = await get('/Observation?code=http://loinc.org|99504-3', tokenBgOnly, {}, 1);
  assert.equal(r.status, 200);
  const b = r.json();
  validateR4(b);
  assert.equal(b.entry.filter((e: Json) => e.search.mode === 'match').length, 0);
  const oo = b.entry.at(-1).resource;
  assert.equal(oo.issue[0].severity, 'warning');
  assert.equal(oo.issue[0].code, 'processing');
  assert.match(oo.issue[0].diagnostics, /Code 99504-3 not in ValueSet/);
});

test('200: a search outside the historic range gives an empty Bundle with a warning', async () => {
  const r = await get('/Observation?date=lt2025-01-01');
  assert.equal(r.status, 200);
  const b = r.json();
  assert.match(JSON.stringify(b.entry.at(-1).resource), /outside the historical time range/);
});

test('400: unknown parameter, malformed date, invalid _include, _revinclude, explicit subject/patient', async () => {
  const cases: Array<[string, RegExp]> = [
    ['/Observation?foo=bar', /Unknown search parameter foo/],
    ['/Observation?date=2025-99-01', /Invalid date/],
    ['/Observation?date=ge2025-10-30T25:00Z', /Invalid date/],
    ['/Observation?_include=Observation:performer', /Invalid _include/],
    ['/Observation?_revinclude=Provenance:target', /_revinclude/],
    ['/Observation?subject=Patient/123', /subject is not allowed/],
    ['/Device?patient=123', /patient is not allowed/],
    ['/Observation?_cursor=garbage', /cursor/],
  ];
  for (const [path, re] of cases) {
    const r = await get(path);
    assert.equal(r.status, 400, path);
    const oo = assertOutcome(r.body, 400, re);
    assert.equal(oo.issue[0].severity, 'error');
  }
});

test('401 invalid_token with WWW-Authenticate: no JWT, wrong issuer, expired, not yet valid, revoked grant', async () => {
  const key = h.services.keys.active();
  const now = Math.floor(h.clock.now().getTime() / 1000);
  const sign = (claims: Record<string, unknown>, issuer = h.config.server.issuer) =>
    new SignJWT({
      scope: 'patient/Device.rs',
      client_id: h.certs.clients[0].clientId,
      grant_id: 'g',
      ...claims,
    })
      .setProtectedHeader({ alg: 'ES256', typ: 'at+jwt', kid: key.kid })
      .setIssuer(issuer)
      .setSubject('p')
      .setJti(randomUUID())
      .setIssuedAt(now)
      .setExpirationTime(now + 60)
      .sign(key.privateKey);
  const cases: Array<[string, RegExp]> = [
    ['', /No access token/],
    ['not-a-jwt', /not a signed JWT/],
    [await sign({}, 'https://evil.example'), /issuer/],
    [await sign({ nbf: now + 600 }), /not yet valid/],
  ];
  for (const [token, re] of cases) {
    const r = await get('/Observation', token);
    assert.equal(r.status, 401);
    const www = r.headers['www-authenticate'] as string;
    assert.match(www, /^Bearer error="invalid_token", error_description="/);
    assert.match(www, re);
    assertOutcome(r.body, 401);
  }
  const shortLived = await h.token(ds.patients.a, ['cgm'], { client: 2 });
  h.clock.advance(3600_000);
  try {
    const r = await h.request('/fhir/Observation', { token: shortLived, cert: 2 });
    assert.equal(r.status, 401);
    assert.match(r.headers['www-authenticate'] as string, /error_description="The access token expired"/);
  } finally {
    h.clock.advance(-3600_000);
  }
  const revoked = await h.token(ds.patients.b, ['cgm'], { client: 2 });
  assert.equal((await h.request('/fhir/Observation?_count=1', { token: revoked, cert: 2 })).status, 200);
  const grantId = JSON.parse(Buffer.from(revoked.split('.')[1], 'base64url').toString()).grant_id;
  revokeGrant(h.services.store, grantId, 'test', h.clock.now().getTime());
  const r = await h.request('/fhir/Observation?_count=1', { token: revoked, cert: 2 });
  assert.equal(r.status, 401);
  assert.match(r.headers['www-authenticate'] as string, /no longer active/);
});

test('401 for a missing or foreign client certificate (mTLS bound to the directory entry)', async () => {
  const none = await get('/Observation', tokenA, {}, null);
  assert.equal(none.status, 401);
  assert.match(none.headers['www-authenticate'] as string, /No TLS client certificate/);
  const foreign = await get('/Observation', tokenA, {}, 1);
  assert.equal(foreign.status, 401);
  assert.match(foreign.headers['www-authenticate'] as string, /not the one registered/);
});

test('404: unknown resource, out-of-scope resource (other patient, other MIV), unknown version; never 403', async () => {
  const bObs = (await get('/Observation?_count=1', tokenB)).json().entry[0].resource;
  const aChunk = (await get('/Observation?code=99504-3&_count=1')).json().entry[0].resource;
  const aCgmDevice = (await get('/Device?type=700585005')).json().entry[0].resource;
  const cases: Array<[string, string, number]> = [
    ['/Observation/doesnotexist', tokenA, 0],
    [`/Observation/${bObs.id}`, tokenA, 0],
    [`/Observation/${aChunk.id}`, tokenBgOnly, 1],
    [`/Device/${aCgmDevice.id}`, tokenBgOnly, 1],
    [`/Device/${aCgmDevice.id}/_history/99`, tokenA, 0],
    ['/Patient/1', tokenA, 0],
  ];
  for (const [path, token, cert] of cases) {
    const r = await get(path, token, {}, cert);
    assert.equal(r.status, 404, path);
    assertOutcome(r.body, 404, /is not known/);
  }
  assert.equal((await get(`/Observation/${aChunk.id}`)).status, 200);
});

test('406 for unsupported Accept, _format or fhirVersion; 415 for unsupported Content-Type', async () => {
  for (const headers of [{ accept: 'text/html' }, { accept: 'application/fhir+json; fhirVersion=3.0' }]) {
    const r = await get('/Observation?_count=1', tokenA, headers);
    assert.equal(r.status, 406, JSON.stringify(headers));
    assertOutcome(r.body, 406, /not-supported/);
  }
  assert.equal((await get('/Observation?_count=1&_format=text/csv')).status, 406);
  assert.equal(
    (await get('/Observation?_count=1', tokenA, { accept: 'application/fhir+json; fhirVersion=4.0' })).status,
    200,
  );
  for (const contentType of ['text/plain', 'application/fhir+xml']) {
    const bad = await h.request('/fhir/Observation/_search', {
      method: 'POST',
      token: tokenA,
      headers: { 'content-type': contentType },
      body: 'code=99504-3',
    });
    assert.equal(bad.status, 415, contentType);
    assertOutcome(bad.body, 415);
  }
  const summary = await h.request('/fhir/Observation/$hddt-cgm-summary', {
    method: 'POST',
    token: tokenA,
    headers: { 'content-type': 'text/plain' },
    body: 'hello',
  });
  assert.equal(summary.status, 415);
});

test('POST _search (form-encoded) equals GET; XML output round-trips', async () => {
  const viaGet = (await get('/Observation?code=41653-7&date=ge2025-10-31&_count=100')).json();
  const viaPost = (
    await h.request('/fhir/Observation/_search', {
      method: 'POST',
      token: tokenA,
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'code=41653-7&date=ge2025-10-31&_count=100',
    })
  ).json();
  assert.deepEqual(
    viaPost.entry.map((e: Json) => e.resource.id),
    viaGet.entry.map((e: Json) => e.resource.id),
  );
  const xml = await get('/Observation?code=41653-7&date=ge2025-10-31&_count=100', tokenA, {
    accept: 'application/fhir+xml',
  });
  assert.equal(xml.status, 200);
  const back = fromXml(xml.body) as Json;
  assert.deepEqual(
    back.entry.map((e: Json) => e.resource.id),
    viaGet.entry.map((e: Json) => e.resource.id),
  );
});

test('reads carry ETag W/"version" and Last-Modified; If-None-Match gives 304; vread of the current version', async () => {
  const device = (await get('/Device?_count=1')).json().entry[0].resource;
  const r = await get(`/Device/${device.id}`);
  assert.equal(r.status, 200);
  assert.equal(r.headers.etag, `W/"${device.meta.versionId}"`);
  assert.equal(r.headers['last-modified'], new Date(device.meta.lastUpdated).toUTCString());
  assert.equal(
    (await get(`/Device/${device.id}`, tokenA, { 'if-none-match': r.headers.etag as string })).status,
    304,
  );
  const v = await get(`/Device/${device.id}/_history/${device.meta.versionId}`);
  assert.equal(v.status, 200);
  assert.equal(v.json().id, device.id);
});

test('gzip and br compression when accepted', async () => {
  for (const enc of ['gzip', 'br']) {
    const r = await get('/Observation?_count=50', tokenA, { 'accept-encoding': enc });
    assert.equal(r.status, 200);
    assert.equal(r.headers['content-encoding'], enc);
    assert.equal(r.json().resourceType, 'Bundle');
  }
  const plain = await get('/Observation?_count=50');
  assert.equal(plain.headers['content-encoding'], undefined);
});

test("isolation over HTTP: A's token never sees B's data; a BG-only token never sees CGM data or CGM devices", async () => {
  const a = await walkAll(
    '/Observation?_count=500&_include=Observation:device&_include:iterate=DeviceMetric:source',
  );
  const b = await walkAll(
    '/Observation?_count=500&_include=Observation:device&_include:iterate=DeviceMetric:source',
    tokenB,
  );
  const ids = (x: Json[]) => new Set(x.map((e) => `${e.resource.resourceType}/${e.resource.id}`));
  const aIds = ids(a);
  for (const id of ids(b)) assert.ok(!aIds.has(id), id);
  const bgOnly: Json[] = [];
  let r = await get(
    '/Observation?_count=500&_include=Observation:device&_include:iterate=DeviceMetric:source',
    tokenBgOnly,
    {},
    1,
  );
  for (;;) {
    const bundle = r.json();
    bgOnly.push(...(bundle.entry ?? []));
    const next = bundle.link.find((l: Json) => l.relation === 'next');
    if (!next) break;
    r = await h.request(next.url, { token: tokenBgOnly, cert: 1 });
  }
  assert.ok(bgOnly.length > 0);
  for (const e of bgOnly) {
    assert.ok(!e.resource.valueSampledData);
    if (e.resource.resourceType === 'Device') assert.equal(e.resource.type.coding[0].code, '337414009');
  }
  const devices = (await get('/Device', tokenBgOnly, {}, 1))
    .json()
    .entry.map((e: Json) => e.resource.type.coding[0].code);
  assert.deepEqual(devices, ['337414009']);
});
