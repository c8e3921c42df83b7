// Every response of the HTTPS server (FHIR, errors, OAuth metadata) carries exactly the security headers
// @fastify/helmet gives with the server's options, though the server works them out once at start.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import Fastify from 'fastify';
import fastifyHelmet from '@fastify/helmet';
import { HELMET_OPTIONS } from '../../server/app.ts';
import { buildDataset } from './fhir/fixture.ts';
import { startHarness, type Harness } from './fhir/harness.ts';

const ds = buildDataset({ days: 1 });
let h: Harness;
let expected: Record<string, string>;

before(async () => {
  h = await startHarness(ds);
  // what the plugin itself sets on a plain fastify response, minus fastify's own headers
  const probe = Fastify();
  await probe.register(fastifyHelmet, HELMET_OPTIONS);
  probe.get('/', async () => '');
  const res = await probe.inject('/');
  await probe.close();
  const own = new Set(['content-type', 'content-length', 'date', 'connection', 'keep-alive']);
  expected = Object.fromEntries(
    Object.entries(res.headers)
      .filter(([k]) => !own.has(k))
      .map(([k, v]) => [k, String(v)]),
  );
});

after(async () => {
  await h.close();
  ds.cleanup();
});

test('FHIR responses, errors and OAuth metadata carry the helmet headers', async () => {
  assert.match(expected['strict-transport-security'] ?? '', /max-age=31536000; includeSubDomains/);
  assert.match(expected['content-security-policy'] ?? '', /frame-ancestors 'none'/);
  assert.equal(expected['x-content-type-options'], 'nosniff');
  const token = await h.token(ds.patients.a, ['bloodGlucose', 'cgm']);
  const responses = [
    await h.request('/fhir/metadata'),
    await h.request('/fhir/Observation?_count=2', { token }),
    await h.request('/fhir/Observation?_count=2'),
    await h.request('/fhir/Nothing'),
    await h.request('/.well-known/oauth-authorization-server'),
  ];
  for (const res of responses) {
    for (const [name, value] of Object.entries(expected)) {
      assert.equal(res.headers[name], value, `${name} on a ${res.status}`);
    }
  }
  assert.deepEqual(
    responses.map((r) => r.status),
    [200, 200, 401, 404, 200],
  );
});
