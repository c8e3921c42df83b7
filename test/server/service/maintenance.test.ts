// HDDT §4.6 on the running server: the public status feed, and during a maintenance window 503 with
// Retry-After from each affected API in its own error language (FHIR: an OperationOutcome, OAuth:
// temporarily_unavailable, patient pages: HTML), while what the window leaves out keeps serving.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { addWindow, endWindow, startWindow } from '../../../gateway/store/maintenance.ts';
import { RECENT_MS } from '../../../server/service/maintenance-board.ts';
import { buildDataset } from '../fhir/fixture.ts';
import { startHarness, type Harness } from '../fhir/harness.ts';

const ds = buildDataset({ days: 1 });
let h: Harness;

before(async () => {
  h = await startHarness(ds);
});

after(async () => {
  await h.close();
  ds.cleanup();
});

const now = () => h.clock.now().getTime();
/** A token fresh at the server's (advancing) clock. */
async function read(): Promise<number> {
  const token = await h.token(ds.patients.a, ['bloodGlucose', 'cgm']);
  return (await h.request('/fhir/Observation?_count=1', { token })).status;
}

/** The board re-reads the store at most once a second (of the server's clock). */
const tick = () => h.clock.advance(1_001);

async function feed() {
  const res = await h.request('/service/status', { cert: null });
  assert.equal(res.status, 200);
  assert.match(String(res.headers['content-type']), /^application\/json/);
  return res.json();
}

test('the feed answers without a client certificate: operational, next update, no maintenance', async () => {
  const f = await feed();
  assert.equal(f.status, 'operational');
  assert.deepEqual(f.maintenance, []);
  assert.equal(Date.parse(f.next_update) - now(), 15 * 60_000);
});

test('an announced window is listed with its endpoints; the API still serves; next_update is its start', async () => {
  const start = now() + 8 * 86_400_000;
  const w = addWindow(
    ds.store,
    { cause: 'database upgrade', areas: ['fhir'], security: false, startMs: start, endMs: start + 3_600_000 },
    now(),
  );
  h.clock.advance(10 * 60_000);
  const f = await feed();
  assert.equal(f.status, 'operational');
  const listed = f.maintenance.find((x: { id: string }) => x.id === w.id);
  assert.equal(listed.state, 'planned');
  assert.equal(listed.cause, 'database upgrade');
  assert.deepEqual(listed.affected_endpoints, [`${h.url}/fhir`]);
  assert.equal(Date.parse(listed.start), start);
  assert.equal(Date.parse(listed.end), start + 3_600_000);
  assert.equal(listed.security, false);
  assert.equal(await read(), 200);
  endWindow(ds.store, w.id, now());
});

test('during maintenance the FHIR API answers 503, Retry-After and a transient OperationOutcome', async () => {
  const w = addWindow(
    ds.store,
    { cause: 'security patch', areas: ['fhir'], security: true, startMs: now(), endMs: now() + 600_000 },
    now(),
  );
  assert.ok(startWindow(ds.store, w.id, now()));
  tick();
  const res = await h.request('/fhir/Observation?_count=1');
  assert.equal(res.status, 503);
  const ra = Number(res.headers['retry-after']);
  assert.ok(ra > 500 && ra <= 600, `Retry-After ${ra}`);
  const oo = res.json();
  assert.equal(oo.resourceType, 'OperationOutcome');
  assert.equal(oo.issue[0].code, 'transient');
  assert.match(oo.issue[0].diagnostics, /maintenance.*security patch/i);
  const xml = await h.request('/fhir/metadata', { headers: { accept: 'application/fhir+xml' } });
  assert.equal(xml.status, 503);
  assert.match(xml.body, /<OperationOutcome[\s\S]*transient/);
  // what the window leaves out keeps answering
  assert.equal((await h.request('/.well-known/oauth-authorization-server')).status, 200);
  const form = { 'content-type': 'application/x-www-form-urlencoded' };
  const tokenRes = await h.request('/token', { method: 'POST', headers: form, body: 'grant_type=x' });
  assert.equal(tokenRes.status, 401, 'the token endpoint is not in the window: invalid_client as usual');
  const f = await feed();
  assert.equal(f.status, 'maintenance');
  assert.equal(f.maintenance.find((x: { id: string }) => x.id === w.id).state, 'in_progress');

  assert.ok(endWindow(ds.store, w.id, now()));
  tick();
  assert.equal(await read(), 200);
  const ended = (await feed()).maintenance.find((x: { id: string }) => x.id === w.id);
  assert.equal(ended.state, 'completed');
  assert.equal(Date.parse(ended.end), now() - 1_001);
});

test('OAuth endpoints answer temporarily_unavailable and patient pages a 503 page; the metadata stays', async () => {
  const w = addWindow(
    ds.store,
    { cause: 'key rotation', areas: ['oauth', 'account'], security: true, startMs: now(), endMs: null },
    now(),
  );
  startWindow(ds.store, w.id, now());
  tick();
  const form = { 'content-type': 'application/x-www-form-urlencoded' };
  const res = await h.request('/token', { method: 'POST', headers: form, body: 'grant_type=refresh_token' });
  assert.equal(res.status, 503);
  assert.equal(res.json().error, 'temporarily_unavailable');
  assert.match(res.json().error_description, /maintenance/i);
  assert.equal(res.headers['retry-after'], '300', 'no planned end: five minutes');
  assert.equal(res.headers['cache-control'], 'no-store');
  const pageRes = await h.request('/account/login', { cert: null });
  assert.equal(pageRes.status, 503);
  assert.match(pageRes.body, /data-error="maintenance"/);
  assert.match(pageRes.body, /Wartung/);
  assert.equal((await h.request('/.well-known/oauth-authorization-server')).status, 200);
  assert.equal(await read(), 200);
  endWindow(ds.store, w.id, now());
  tick();
  assert.equal((await h.request('/account/login', { cert: null })).status, 200);
});

test('ended windows leave the feed after a week', async () => {
  h.clock.advance(RECENT_MS + 1_000);
  assert.deepEqual((await feed()).maintenance, []);
});

test('the metadata points at the service documentation, which answers without a certificate', async () => {
  const md = (await h.request('/.well-known/oauth-authorization-server')).json();
  assert.equal(md.service_documentation, `${h.url}/service/docs`);
  const docs = await h.request('/service/docs', { cert: null });
  assert.equal(docs.status, 200);
  assert.match(String(docs.headers['content-type']), /^text\/html/);
  assert.match(docs.body, /Client registration/);
  assert.ok(docs.body.includes(`${h.url}/service/status`));
});

test('a client X-Request-ID (a UUID) becomes the request id; anything else is replaced', async () => {
  const id = '0b9c4e1e-5f63-4c1a-9d7e-2f5a8a1c3b77';
  const res = await h.request('/fhir/metadata', { headers: { 'x-request-id': id.toUpperCase() } });
  assert.equal(res.headers['x-request-id'], id);
  const forged = await h.request('/fhir/metadata', { headers: { 'x-request-id': 'not-a-uuid; drop' } });
  assert.match(String(forged.headers['x-request-id']), /^[0-9a-f-]{36}$/);
});
