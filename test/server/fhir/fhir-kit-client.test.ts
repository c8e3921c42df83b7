// A FHIR client nobody here wrote (fhir-kit-client) walks every page of a 30-day CGM + blood glucose data
// set over mutual TLS and gets every resource of its patient exactly once (and nothing of the other).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import https from 'node:https';
import { Client } from 'fhir-kit-client';
import { listResources } from '../../../gateway/store/resources.ts';
import { devicesOfPatient } from '../../../gateway/store/patients.ts';
import { validateR4 } from '../../helpers/fhir-validate.ts';
import { buildDataset, type Dataset } from './fixture.ts';
import { startHarness, type Harness } from './harness.ts';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;

let ds: Dataset;
let h: Harness;
const realFetch = globalThis.fetch;

/** fetch over node:https with the DiGA's client certificate (Node's built-in fetch cannot present one). */
function mtlsFetch(agent: https.Agent): typeof fetch {
  return async (input, init) => {
    const req = new Request(input as Request, init);
    const body = req.body ? Buffer.from(await req.arrayBuffer()) : undefined;
    return new Promise<Response>((resolve, reject) => {
      const r = https.request(
        req.url,
        { method: req.method, headers: Object.fromEntries(req.headers), agent },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => {
            const headers = new Headers();
            for (const [k, v] of Object.entries(res.headers)) if (typeof v === 'string') headers.set(k, v);
            resolve(new Response(Buffer.concat(chunks), { status: res.statusCode, headers }));
          });
          res.on('error', reject);
        },
      );
      r.on('error', reject);
      if (body) r.write(body);
      r.end();
    });
  };
}

before(async () => {
  ds = buildDataset({ days: 30 });
  h = await startHarness(ds);
  globalThis.fetch = mtlsFetch(h.agent(0));
});
after(async () => {
  globalThis.fetch = realFetch;
  await h?.close();
  ds?.cleanup();
});

async function walk(client: Client, resourceType: string, searchParams: Record<string, string | number>) {
  const matches: Json[] = [];
  const included: Json[] = [];
  let bundle = (await client.search({ resourceType, searchParams })) as Json;
  let pages = 0;
  while (bundle) {
    pages++;
    assert.equal(bundle.resourceType, 'Bundle');
    for (const e of bundle.entry ?? []) (e.search.mode === 'match' ? matches : included).push(e.resource);
    bundle = (await client.nextPage({ bundle })) as Json;
  }
  return { matches, included, pages };
}

test('fhir-kit-client pages through 30 days and sees every resource of the patient exactly once', async () => {
  const token = await h.token(ds.patients.a, ['bloodGlucose', 'cgm']);
  const client = new Client({ baseUrl: h.base, bearerToken: token });
  const meta = (await client.capabilityStatement()) as Json;
  assert.equal(meta.fhirVersion, '4.0.1');

  const own = new Set(devicesOfPatient(ds.store, ds.patients.a));
  const expected = (type: string) =>
    listResources(ds.store, type)
      .filter((r) => own.has(r.device_key))
      .map((r) => r.id)
      .sort();

  const obs = await walk(client, 'Observation', {
    date: `ge${ds.start.toISOString()}`,
    _count: 100,
    _include: 'Observation:device',
    '_include:iterate': 'DeviceMetric:source',
  });
  const ids = obs.matches.map((o) => o.id);
  assert.equal(new Set(ids).size, ids.length, 'no resource twice');
  assert.deepEqual([...ids].sort(), expected('Observation'));
  // 30 days × 24 CGM chunks + 30 × 8 blood glucose readings
  assert.equal(ids.length, 30 * 24 + 30 * 8);
  assert.equal(obs.pages, Math.ceil(ids.length / 100));
  for (const o of obs.matches) validateR4(o);

  const includedIds = new Set(obs.included.map((r) => `${r.resourceType}/${r.id}`));
  for (const id of expected('DeviceMetric')) assert.ok(includedIds.has(`DeviceMetric/${id}`));
  for (const id of expected('Device')) assert.ok(includedIds.has(`Device/${id}`));

  for (const type of ['Device', 'DeviceMetric']) {
    const all = await walk(client, type, { _count: 2 });
    const got = all.matches.map((r) => r.id);
    assert.equal(new Set(got).size, got.length);
    assert.deepEqual([...got].sort(), expected(type));
    for (const r of all.matches) validateR4(r);
  }
});
