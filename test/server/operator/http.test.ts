import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { once } from 'node:events';
import net from 'node:net';
import Fastify from 'fastify';
import fastifyFormbody from '@fastify/formbody';
import { pino } from 'pino';
import { ConfigError } from '../../../config/load.ts';
import { storePort } from '../../../gateway/ingest/port.ts';
import { outboxStats } from '../../../gateway/store/outbox.ts';
import { addPatient, assignDevice } from '../../../gateway/store/patients.ts';
import { buildOperatorServer } from '../../../server/operator/app.ts';
import { hashPassword } from '../../../server/operator/auth.ts';
import { createOperatorComponent } from '../../../wiring/operator.ts';
import { httpMetrics } from '../../../server/operator/http-metrics.ts';
import { tapLogger } from '../../../server/operator/log-tap.ts';
import { GatewayMetrics } from '../../../server/operator/metrics.ts';
import { OperatorProbes } from '../../../server/operator/probes.ts';
import type { StatusSnapshot } from '../../../server/operator/status.ts';
import { BIN, runCli, spawnCli } from '../../helpers/cli.ts';
import { BGM_KEY, CGM_KEY, CGM_SAMPLES, operatorFixture, type Fixture } from './fixture.ts';

const ANSI = new RegExp(String.fromCharCode(27) + '\\[');

let fx: Fixture;
before(() => {
  fx = operatorFixture();
});
after(() => fx.cleanup());

async function serve(fixture: Fixture, probes = new OperatorProbes(), metrics = new GatewayMetrics()) {
  metrics.bind({ config: fixture.config, store: fixture.store, probes });
  const app = await buildOperatorServer({ config: fixture.config, store: fixture.store, probes, metrics });
  const url = await app.listen({ host: '127.0.0.1', port: 0 });
  return { app, url, probes, metrics };
}

/** `name{labels} value` → value, or undefined when the sample is absent. */
function sample(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

test('/healthz is alive; /readyz is ready once the store answers and every enabled part reported', async (t) => {
  const { app, url, probes } = await serve(fx);
  t.after(() => app.close());
  const health = await fetch(`${url}/healthz`);
  assert.equal(health.status, 200);
  assert.equal(await health.text(), 'ok\n');
  assert.equal(health.headers.get('x-content-type-options'), 'nosniff');

  const ready = await fetch(`${url}/readyz`);
  assert.equal(ready.status, 200, await ready.clone().text());

  // An enabled part that has not reported makes the gateway not ready, by name.
  const withBle = operatorFixtureConfig({ ble: { enabled: true } });
  const app2 = await buildOperatorServer({
    config: withBle,
    store: fx.store,
    probes,
    metrics: new GatewayMetrics(),
  });
  t.after(() => app2.close());
  const notReady = await app2.inject({ url: '/readyz', headers: { host: 'localhost' } });
  assert.equal(notReady.statusCode, 503);
  assert.equal(notReady.body, 'not ready: ble\n');
  probes.started.add('ble');
  assert.equal((await app2.inject({ url: '/readyz', headers: { host: 'localhost' } })).statusCode, 200);
});

function operatorFixtureConfig(overrides: Record<string, unknown>) {
  return { ...fx.config, ...overrides } as typeof fx.config;
}

test('/readyz fails when the store is closed', async (t) => {
  const own = operatorFixture();
  t.after(() => own.cleanup());
  const { app, url } = await serve(own);
  t.after(() => app.close());
  own.store.close();
  const res = await fetch(`${url}/readyz`);
  assert.equal(res.status, 503);
  assert.match(await res.text(), /not ready: store/);
});

test('/metrics after ingesting the known data set: readings, outbox, pairings, SQLite size, HTTP and tokens', async (t) => {
  const probes = new OperatorProbes();
  const metrics = new GatewayMetrics();
  const { app, url } = await serve(fx, probes, metrics);
  t.after(() => app.close());

  // A DiGA-side app with the hook, answering like the real routes.
  const diga = Fastify();
  await diga.register(fastifyFormbody);
  await diga.register(httpMetrics, { metrics, probes });
  diga.get('/fhir/Observation/:id', async () => ({ resourceType: 'Observation' }));
  diga.get('/boom', async (_req, reply) => reply.code(500).send({ error: 'x' }));
  diga.post('/token', async (req, reply) => {
    const body = req.body as { code?: string };
    return body.code === 'good'
      ? { access_token: 'a', token_type: 'Bearer' }
      : reply.code(400).send({ error: 'invalid_grant', error_description: 'no' });
  });
  t.after(() => diga.close());
  const form = { 'content-type': 'application/x-www-form-urlencoded' };
  await diga.inject({ url: '/fhir/Observation/abc' });
  await diga.inject({ url: '/fhir/Observation/def' });
  await diga.inject({ url: '/boom' });
  await diga.inject({ url: '/nope' });
  await diga.inject({
    method: 'POST',
    url: '/token',
    headers: form,
    payload: 'grant_type=authorization_code&code=good',
  });
  await diga.inject({
    method: 'POST',
    url: '/token',
    headers: form,
    payload: 'grant_type=refresh_token&code=bad',
  });
  await diga.inject({
    method: 'POST',
    url: '/token',
    headers: form,
    payload: 'grant_type=refresh_token&code=bad',
  });

  const res = await fetch(`${url}/metrics`);
  assert.equal(res.status, 200);
  assert.match(res.headers.get('content-type') ?? '', /^text\/plain/);
  const text = await res.text();

  assert.equal(sample(text, `hddt_readings_stored{device="${CGM_KEY}",kind="cgm"}`), CGM_SAMPLES);
  assert.equal(sample(text, `hddt_readings_stored{device="${BGM_KEY}",kind="bgm"}`), fx.meterReadings);
  const last = sample(text, `hddt_last_reading_timestamp_seconds{device="${CGM_KEY}"}`)!;
  assert.equal(last, (fx.nowMs - 60_000) / 1000);

  const stats = outboxStats(fx.store);
  assert.ok(stats.entries > 0);
  assert.equal(sample(text, 'hddt_outbox_entries'), stats.entries);
  assert.equal(sample(text, 'hddt_outbox_unsent_entries'), stats.unsent);
  assert.ok(sample(text, 'hddt_outbox_oldest_age_seconds')! >= 0);
  assert.equal(sample(text, 'hddt_sync_alarm'), 0);
  assert.equal(sample(text, 'hddt_pairings_active'), 0);
  // The data may still sit in the write-ahead log.
  const bytes =
    sample(text, 'hddt_sqlite_file_bytes{file="db"}')! + sample(text, 'hddt_sqlite_file_bytes{file="wal"}')!;
  assert.ok(bytes > 500_000, `${bytes} bytes`);

  const obs = 'route="/fhir/Observation/:id",method="GET",status="200"';
  assert.equal(sample(text, `hddt_http_requests_total{${obs}}`), 2);
  assert.equal(sample(text, `hddt_http_request_duration_seconds_count{${obs}}`), 2);
  assert.equal(sample(text, `hddt_http_request_duration_seconds_bucket{le="+Inf",${obs}}`), 2);
  assert.equal(sample(text, 'hddt_http_requests_total{route="(unmatched)",method="GET",status="404"}'), 1);
  assert.equal(sample(text, 'hddt_http_requests_total{route="/boom",method="GET",status="500"}'), 1);
  assert.equal(sample(text, 'hddt_oauth_token_grants_total{grant_type="authorization_code"}'), 1);
  assert.equal(
    sample(text, 'hddt_oauth_token_errors_total{grant_type="refresh_token",error="invalid_grant"}'),
    2,
  );
  assert.doesNotMatch(text, /abc|def/, 'no request ids in labels');
  for (const name of [
    'hddt_ble_racp_duration_seconds',
    'hddt_ble_connects_total',
    'hddt_readings_rejected_total',
  ])
    assert.match(text, new RegExp(`# TYPE ${name} `));
  // The 500 went to the recent-errors list.
  assert.equal(probes.events.list()[0].message, 'GET /boom answered 500');
});

test('status page facts: devices, last reading, session, backlog; recent errors from the logger; no patients', async (t) => {
  const probes = new OperatorProbes();
  const lines: string[] = [];
  const log = pino({ level: 'info' }, { write: (l: string) => void lines.push(l) });
  const untap = tapLogger(log, probes.events);
  t.after(untap);
  log.child({ component: 'ble' }).error({ err: new Error('adapter gone') }, 'BLE driver crashed');
  log.child({ component: 'sync' }).warn('sync alarm raised');
  log.child({ component: 'sync' }).info('not recorded');
  assert.equal(lines.length, 3, 'the logger still writes');

  const patient = addPatient(fx.store, 'alice.patient@example.org', Date.now());
  assignDevice(fx.store, CGM_KEY, patient.id, Date.now());

  const { app, url } = await serve(fx, probes);
  t.after(() => app.close());
  const raw = await (await fetch(`${url}/status.json`)).text();
  const page = await (await fetch(`${url}/`)).text();
  for (const body of [raw, page]) {
    assert.doesNotMatch(body, /alice|example\.org/);
    assert.ok(!body.includes(patient.id));
  }
  const s = JSON.parse(raw) as StatusSnapshot;
  assert.equal(s.source, 'live');
  const cgm = s.devices.find((d) => d.key === CGM_KEY)!;
  assert.equal(cgm.readingsStored, CGM_SAMPLES);
  const age = (Date.now() - (fx.nowMs - 60_000)) / 1000;
  assert.ok(Math.abs(cgm.lastReading!.ageSeconds - age) <= 2, `${cgm.lastReading!.ageSeconds} vs ${age}`);
  assert.ok(cgm.session && !cgm.session.expired && cgm.session.expiresAt);
  assert.equal(s.glucose.last24h.cgmSamples, 288);
  assert.equal(s.glucose.last24h.meterReadings, fx.meterReadings24h);
  assert.equal(s.glucose.agp14d.samples, CGM_SAMPLES);
  assert.ok(s.sync.entries > 0);
  assert.deepEqual(
    s.recentEvents.map((e) => [e.level, e.component, e.message]),
    [
      ['warn', 'sync', 'sync alarm raised'],
      ['error', 'ble', 'BLE driver crashed: adapter gone'],
    ],
  );
  // A web page that rebinds its DNS name to 127.0.0.1 gets nothing.
  const rebound = await app.inject({ url: '/status.json', headers: { host: 'attacker.example:9464' } });
  assert.equal(rebound.statusCode, 421);
});

test('a non-loopback host without an operator login is refused with a clear configuration error', async () => {
  const open = operatorFixtureConfig({ operator: { ...fx.config.operator, host: '0.0.0.0' } });
  const probes = new OperatorProbes();
  await assert.rejects(
    buildOperatorServer({ config: open, store: fx.store, probes, metrics: new GatewayMetrics() }),
    (err: Error) =>
      err instanceof ConfigError && /operator\.host.*"0\.0\.0\.0".*operator\.login/.test(err.message),
  );
  const log = pino({ level: 'silent' });
  await assert.rejects(
    createOperatorComponent(probes, new GatewayMetrics()).start({
      config: open,
      store: fx.store,
      port: storePort(fx.store),
      log,
    }),
    ConfigError,
  );
  // The command line says the same and exits 2.
  const r = runCli(['run'], {
    HDDT_DATA_DIR: fx.dir,
    HDDT_OPERATOR__HOST: '0.0.0.0',
    HDDT_OPERATOR__PORT: '0',
  });
  assert.equal(r.status, 2, r.stderr);
  assert.match(r.stderr, /operator\.login/);
});

test('beyond loopback: login form with CSRF, session cookie, HTTP Basic for /metrics, lockout', async (t) => {
  const passwordHash = await hashPassword('correct horse battery');
  const config = operatorFixtureConfig({
    operator: { ...fx.config.operator, host: '0.0.0.0', login: { username: 'ops', passwordHash } },
  });
  const metrics = new GatewayMetrics();
  const probes = new OperatorProbes();
  metrics.bind({ config, store: fx.store, probes });
  const app = await buildOperatorServer({ config, store: fx.store, probes, metrics });
  const url = await app.listen({ host: '127.0.0.1', port: 0 });
  t.after(() => app.close());

  assert.equal((await fetch(`${url}/healthz`)).status, 200, 'liveness stays open');
  const page = await fetch(`${url}/`, { redirect: 'manual' });
  assert.equal(page.status, 303);
  assert.equal(page.headers.get('location'), '/login');
  const m = await fetch(`${url}/metrics`);
  assert.equal(m.status, 401);
  assert.match(m.headers.get('www-authenticate') ?? '', /^Basic /);
  assert.equal((await fetch(`${url}/status.json`)).status, 401);
  const basic = (u: string, p: string) => ({
    authorization: `Basic ${Buffer.from(`${u}:${p}`).toString('base64')}`,
  });
  const ok = await fetch(`${url}/metrics`, { headers: basic('ops', 'correct horse battery') });
  assert.equal(ok.status, 200);
  assert.match(await ok.text(), /hddt_readings_stored/);

  // The form: GET gives a CSRF token and its cookie; a POST without them is refused.
  const form = await fetch(`${url}/login`);
  const csrfCookie = form.headers
    .getSetCookie()
    .map((c) => c.split(';')[0])
    .join('; ');
  const token = /name="_csrf" value="([^"]+)"/.exec(await form.text())![1];
  const post = (body: string, cookie = csrfCookie) =>
    fetch(`${url}/login`, {
      method: 'POST',
      redirect: 'manual',
      headers: { 'content-type': 'application/x-www-form-urlencoded', cookie },
      body,
    });
  assert.equal((await post('username=ops&password=correct+horse+battery', '')).status, 403);
  assert.equal((await post(`_csrf=${encodeURIComponent(token)}&username=ops&password=wrong`)).status, 401);
  const good = await post(`_csrf=${encodeURIComponent(token)}&username=ops&password=correct+horse+battery`);
  assert.equal(good.status, 303);
  const session = good.headers.getSetCookie().find((c) => c.startsWith('hddt_operator='))!;
  assert.match(session, /HttpOnly/i);
  assert.match(session, /SameSite=Strict/i);
  const home = await fetch(`${url}/`, { headers: { cookie: session.split(';')[0] } });
  assert.equal(home.status, 200);
  const html = await home.text();
  assert.match(html, /<polyline class="cgm-line"/);
  assert.match(html, /action="\/logout"/);

  // Repeated failures lock the address out (429), even for the right password.
  for (let i = 0; i < 3; i++) await fetch(`${url}/metrics`, { headers: basic('ops', `wrong${i}`) });
  const locked = await fetch(`${url}/metrics`, { headers: basic('ops', 'also wrong') });
  assert.equal(locked.status, 429);
  assert.ok(Number(locked.headers.get('retry-after')) >= 1);
});

test('hddt-gateway status reads the database without a running gateway (--json and text, no colour off a TTY)', () => {
  const env = { HDDT_DATA_DIR: fx.dir, HDDT_TIMEZONE: 'Europe/Berlin' };
  const j = runCli(['status', '--json', '--offline'], env);
  assert.equal(j.status, 0, j.stderr);
  const s = JSON.parse(j.stdout) as StatusSnapshot;
  assert.equal(s.source, 'database');
  assert.equal(s.devices.find((d) => d.key === CGM_KEY)!.readingsStored, CGM_SAMPLES);
  assert.equal(s.glucose.agp14d.samples, CGM_SAMPLES);

  const text = runCli(['status', '--offline'], env);
  assert.equal(text.status, 0, text.stderr);
  assert.match(text.stdout, new RegExp(`${CGM_KEY.replace(/[:.]/g, '\\$&')}`));
  assert.match(text.stdout, new RegExp(`${CGM_SAMPLES} stored`));
  assert.doesNotMatch(text.stdout, ANSI, 'no ANSI colour when stdout is not a terminal');
  const forced = runCli(['status', '--offline'], { ...env, FORCE_COLOR: '1' });
  assert.match(forced.stdout, ANSI);
  const noColor = runCli(['status', '--offline'], { ...env, FORCE_COLOR: '1', NO_COLOR: '1' });
  assert.doesNotMatch(noColor.stdout, ANSI);

  const missing = runCli(['status'], { HDDT_DATA_DIR: `${fx.dir}/nowhere`, HDDT_OPERATOR__ENABLED: 'false' });
  assert.equal(missing.status, 2);
  assert.match(missing.stderr, /no database at/);
});

test('hddt-gateway run serves the operator server; status asks it for live facts', async (t) => {
  const own = operatorFixture();
  t.after(() => own.cleanup());
  own.store.close();
  const port = await new Promise<number>((resolve) => {
    const srv = net.createServer().listen(0, '127.0.0.1', () => {
      const p = (srv.address() as net.AddressInfo).port;
      srv.close(() => resolve(p));
    });
  });
  const env = { HDDT_DATA_DIR: own.dir, HDDT_OPERATOR__PORT: String(port) };
  const child = spawnCli(['run'], env);
  t.after(() => {
    if (child.exitCode === null) child.kill('SIGKILL');
  });
  let err = '';
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no start line: ${err}`)), 30_000);
    child.stderr!.on('data', (d) => {
      err += d;
      if (err.includes('gateway running')) {
        clearTimeout(timer);
        resolve();
      }
    });
  });
  assert.match(err, new RegExp(`"url":"http://127\\.0\\.0\\.1:${port}"`));
  assert.equal((await fetch(`http://127.0.0.1:${port}/readyz`)).status, 200);

  const r = spawnSync(process.execPath, [BIN, 'status', '--json'], {
    env: { ...process.env, ...env },
    encoding: 'utf8',
    timeout: 30_000,
  });
  assert.equal(r.status, 0, r.stderr);
  const s = JSON.parse(r.stdout) as StatusSnapshot;
  assert.equal(s.source, 'live');
  assert.equal(s.ready, true);
  assert.equal(s.devices.find((d) => d.key === CGM_KEY)!.readingsStored, CGM_SAMPLES);

  child.kill('SIGTERM');
  const [code] = await once(child, 'exit');
  assert.equal(code, 0);
  assert.doesNotMatch(err, /"level":50/);
});
