// Every route of both servers declares its input: the check refuses a route without a schema at build time,
// in child plugins too, and a route that takes nothing (NO_INPUT) drops unknown query members.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import Fastify, { type FastifyInstance } from 'fastify';
import { GatewayError } from '../../../lib/errors.ts';
import { NO_INPUT, requireRouteSchemas } from '../../../server/shared/route-schema.ts';
import { buildDataset } from '../fhir/fixture.ts';
import { startHarness, type Harness } from '../fhir/harness.ts';

const ds = buildDataset({ days: 1 });
let h: Harness;

before(async () => {
  // building the HTTPS server runs the check over all its routes: a route without a schema fails here
  h = await startHarness(ds);
});

after(async () => {
  await h.close();
  ds.cleanup();
});

function checked(): FastifyInstance {
  const app = Fastify() as unknown as FastifyInstance;
  requireRouteSchemas(app);
  return app;
}

test('a route without a schema is refused with ERR_ROUTE_SCHEMA naming it', () => {
  const app = checked();
  assert.throws(
    () => app.get('/open', async () => 'x'),
    (err: unknown) =>
      err instanceof GatewayError && err.code === 'ERR_ROUTE_SCHEMA' && /GET \/open/.test(err.message),
  );
  assert.throws(
    () => app.route({ method: ['PUT', 'DELETE'], url: '/x', schema: {}, handler: async () => '' }),
    /PUT,DELETE \/x declares no schema/,
  );
});

test('routes of child plugins are checked too', async () => {
  const app = checked();
  app.register(
    async (child) => {
      child.post('/inner', async () => 'x');
    },
    { prefix: '/p' },
  );
  await assert.rejects(async () => app.ready(), /POST \/p\/inner declares no schema/);
});

test('NO_INPUT drops unknown query members before the handler sees them', async () => {
  const app = checked();
  app.get('/page', { schema: NO_INPUT }, async (req) => req.query);
  const res = await app.inject('/page?evil=1&other=2');
  assert.equal(res.statusCode, 200);
  assert.deepEqual(res.json(), {});
  await app.close();
});

test('the full server built with the check answers its no-input routes', async () => {
  const meta = await h.request('/.well-known/oauth-authorization-server?x=1');
  assert.equal(meta.status, 200);
  assert.ok(meta.json().issuer);
  const refused = await h.request('/token?x=1');
  assert.equal(refused.status, 405);
});
