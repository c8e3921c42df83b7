// The operator server's route schemas: /status.json is serialized from its response schema and must carry
// every fact collectStatus() gathers (the CLI's `status` reads it); the login form's schema sends a form
// without user or password back as the form (400); a logout with the CSRF token in a header needs no body.
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { buildOperatorServer } from '../../../server/operator/app.ts';
import { hashPassword } from '../../../server/operator/auth.ts';
import { GatewayMetrics } from '../../../server/operator/metrics.ts';
import { OperatorProbes } from '../../../server/operator/probes.ts';
import { collectStatus } from '../../../server/operator/status.ts';
import { operatorFixture, type Fixture } from './fixture.ts';

let fx: Fixture;
before(() => {
  fx = operatorFixture();
});
after(() => fx.cleanup());

const LOCAL = { host: 'localhost' };

test('/status.json sends exactly the snapshot collectStatus() makes, nulls included', async (t) => {
  const probes = new OperatorProbes();
  probes.started.add('server');
  probes.events.push({ atMs: fx.nowMs - 5_000, level: 'warn', component: null, message: 'a warning' });
  const now = () => fx.nowMs;
  const app = await buildOperatorServer({
    config: fx.config,
    store: fx.store,
    probes,
    metrics: new GatewayMetrics({ processMetrics: false }),
    now,
  });
  t.after(() => app.close());
  const res = await app.inject({ url: '/status.json', headers: LOCAL });
  assert.equal(res.statusCode, 200);
  assert.match(String(res.headers['content-type']), /^application\/json/);
  const expected = collectStatus({ config: fx.config, store: fx.store, probes }, fx.nowMs);
  assert.ok(expected.devices.length >= 2 && expected.devices.some((d) => d.lastReading && d.session));
  assert.ok(
    expected.devices.some((d) => d.session === null),
    'a meter has no sensor session',
  );
  assert.deepEqual(JSON.parse(res.body), JSON.parse(JSON.stringify(expected)));
});

async function loginServer() {
  const passwordHash = await hashPassword('correct horse battery');
  const config = {
    ...fx.config,
    operator: { ...fx.config.operator, host: '0.0.0.0', login: { username: 'ops', passwordHash } },
  } as typeof fx.config;
  const probes = new OperatorProbes();
  const app = await buildOperatorServer({ config, store: fx.store, probes, metrics: new GatewayMetrics() });
  const form = await app.inject({ url: '/login' });
  const cookie = form.cookies.map((c) => `${c.name}=${c.value}`).join('; ');
  const token = /name="_csrf" value="([^"]+)"/.exec(form.body)![1]!;
  return { app, cookie, token };
}

test('a login form without user or password, or with one of them twice, is the form again (400)', async (t) => {
  const { app, cookie, token } = await loginServer();
  t.after(() => app.close());
  const csrf = `_csrf=${encodeURIComponent(token)}`;
  for (const body of [csrf, `${csrf}&username=ops`, `${csrf}&username=ops&username=x&password=p`]) {
    const r = await app.inject({
      method: 'POST',
      url: '/login',
      headers: { 'content-type': 'application/x-www-form-urlencoded', cookie, 'accept-language': 'en' },
      body,
    });
    assert.equal(r.statusCode, 400, body);
    assert.match(r.body, /Enter user and password\./);
    assert.match(String(r.headers['content-type']), /^text\/html/);
  }
  // the CSRF check still comes first
  const forged = await app.inject({
    method: 'POST',
    url: '/login',
    headers: { 'content-type': 'application/x-www-form-urlencoded', cookie },
    body: 'username=ops',
  });
  assert.equal(forged.statusCode, 403);
});

test('logout with the CSRF token in a header and no body', async (t) => {
  const { app, cookie, token } = await loginServer();
  t.after(() => app.close());
  const r = await app.inject({ method: 'POST', url: '/logout', headers: { cookie, 'csrf-token': token } });
  assert.equal(r.statusCode, 303);
  assert.equal(r.headers.location, '/login');
});
