// Operator API for system clients over real mTLS: client_credentials at /token for configured system clients
// only (pinned certificates, own scopes, no refresh token, nothing in the HDDT metadata), every endpoint's
// happy path, scope enforcement, per-request certificate pinning, and the wall between the two APIs: a system
// token never reads the FHIR API, a DiGA token never reaches the operator API.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { decodeJwt } from 'jose';
import { ConfigError, loadConfig } from '../../../config/load.ts';
import { upsertDevice } from '../../../gateway/store/devices.ts';
import { patientOfDevice } from '../../../gateway/store/patients.ts';
import { attachOutbox, patientHandle } from '../../../gateway/sync/outbox-writer.ts';
import type { AddressInfo } from 'node:net';
import { pino } from 'pino';
import { openStore } from '../../../gateway/store/store.ts';
import { buildServer } from '../../../server/app.ts';
import { makeClientCertificate } from '../../../server/dev-certs.ts';
import { createServices } from '../../../server/start.ts';
import { AccessTokenError, verifyAccessToken } from '../../../server/oauth/access.ts';
import { SystemClients } from '../../../server/oauth/system-clients.ts';
import { OPERATOR_SCOPES } from '../../../server/oauth/operator-scopes.ts';
import {
  csrfOf,
  pair,
  post,
  removeCertificates,
  request,
  startHarness,
  type Harness,
  type HttpResult,
} from '../oauth/harness.ts';

type Cred = { cert: string; key: string };

let h: Harness;
let certDir: string;
let backend: Cred;
let monitor: Cred;
/** The pinned certificate of lapsed.example, which expired yesterday. */
let lapsed: Cred;
let detachOutbox: () => void;

before(async () => {
  certDir = fs.mkdtempSync(path.join(os.tmpdir(), 'hddt-operator-api-'));
  const b = await makeClientCertificate('backend');
  const m = await makeClientCertificate('monitor');
  backend = { cert: b.certPem, key: b.keyPem };
  monitor = { cert: m.certPem, key: m.keyPem };
  fs.writeFileSync(path.join(certDir, 'backend.pem'), backend.cert);
  fs.writeFileSync(path.join(certDir, 'monitor.pem'), monitor.cert);
  const l = await makeClientCertificate('lapsed', 365, new Date(Date.now() - 366 * 86_400_000));
  lapsed = { cert: l.certPem, key: l.keyPem };
  fs.writeFileSync(path.join(certDir, 'lapsed.pem'), lapsed.cert);
  h = await startHarness({
    server: {
      operatorApi: {
        accessTokenSeconds: 300,
        clients: [
          {
            clientId: 'backend.example',
            name: 'Manufacturer backend',
            certificateFile: path.join(certDir, 'backend.pem'),
            scopes: [...OPERATOR_SCOPES],
          },
          {
            clientId: 'monitor.example',
            certificateFile: path.join(certDir, 'monitor.pem'),
            scopes: ['operator/outbox.read', 'operator/pairings.read'],
          },
          {
            clientId: 'lapsed.example',
            certificateFile: path.join(certDir, 'lapsed.pem'),
            scopes: ['operator/outbox.read'],
          },
        ],
      },
    },
  });
  // As on a hub with sync on: assignments are queued upward in their own transaction.
  detachOutbox = attachOutbox(h.services.store, { now: () => h.clock.now().getTime() });
  const seen = h.clock.now().getTime();
  upsertDevice(
    h.services.store,
    {
      key: 'ble:c0:ff:ee:00:00:01',
      transport: 'ble',
      kind: 'cgm',
      manufacturer: 'Acme',
      serialNumber: 'CGM1',
    },
    seen,
  );
  upsertDevice(
    h.services.store,
    { key: 'serial:onetouch:ABC123', transport: 'serial', kind: 'bgm', model: 'Ultra 2' },
    seen,
  );
});

after(async () => {
  detachOutbox();
  await new Promise((r) => setTimeout(r, 200)); // let the FHIR request log land before the dir goes
  await h.close();
  removeCertificates();
  fs.rmSync(certDir, { recursive: true, force: true });
});

function expectError(r: HttpResult, status: number, error: string) {
  assert.equal(r.status, status, r.text);
  assert.equal(r.json().error, error, r.text);
}

function systemToken(clientId: string, cred: Cred | null, extra: Record<string, string> = {}) {
  return post(h, '/token', cred, { grant_type: 'client_credentials', client_id: clientId, ...extra });
}

async function tokenOf(clientId: string, cred: Cred, scope?: string): Promise<string> {
  const r = await systemToken(clientId, cred, scope === undefined ? {} : { scope });
  assert.equal(r.status, 200, r.text);
  return r.json().access_token as string;
}

function api(
  pathAndQuery: string,
  token: string | null,
  cred: Cred | null,
  opts: { method?: string; body?: unknown } = {},
) {
  const headers: Record<string, string> = {};
  if (token !== null) headers.authorization = `Bearer ${token}`;
  if (opts.body !== undefined) headers['content-type'] = 'application/json';
  return request(`${h.url}/operator-api${pathAndQuery}`, {
    method: opts.method ?? 'GET',
    headers,
    body: opts.body === undefined ? undefined : JSON.stringify(opts.body),
    ca: h.ca,
    cert: cred?.cert,
    key: cred?.key,
  });
}

describe('client_credentials at /token', () => {
  it('issues a system client an operator token: all its scopes, no refresh token, audience = operator API', async () => {
    const r = await systemToken('backend.example', backend);
    assert.equal(r.status, 200, r.text);
    assert.equal(r.headers['cache-control'], 'no-store');
    const body = r.json();
    assert.deepEqual(Object.keys(body).sort(), ['access_token', 'expires_in', 'scope', 'token_type']);
    assert.equal(body.token_type, 'Bearer');
    assert.equal(body.expires_in, 300);
    assert.equal(body.scope, OPERATOR_SCOPES.join(' '));
    const claims = decodeJwt(body.access_token as string);
    assert.equal(claims.aud, `${h.url}/operator-api`);
    assert.equal(claims.sub, 'backend.example');
    assert.equal(claims.grant_id, undefined);
  });

  it('narrows to a requested subset of the allowed scopes', async () => {
    const r = await systemToken('monitor.example', monitor, { scope: 'operator/outbox.read' });
    assert.equal(r.status, 200, r.text);
    assert.equal(r.json().scope, 'operator/outbox.read');
  });

  it('a scope beyond the client’s configuration → 400 invalid_scope', async () => {
    expectError(
      await systemToken('monitor.example', monitor, { scope: 'operator/devices.read' }),
      400,
      'invalid_scope',
    );
    expectError(
      await systemToken('backend.example', backend, { scope: 'patient/Observation.rs' }),
      400,
      'invalid_scope',
    );
  });

  it('pins the certificate: another certificate, an unknown one or none → 401 invalid_client', async () => {
    expectError(await systemToken('backend.example', monitor), 401, 'invalid_client');
    expectError(await systemToken('backend.example', h.stranger), 401, 'invalid_client');
    expectError(await systemToken('backend.example', null), 401, 'invalid_client');
    // A DiGA's certificate does not make a system client either.
    expectError(await systemToken('backend.example', h.clients[0]!), 401, 'invalid_client');
  });

  it('an expired certificate, even the pinned one → 401 invalid_client', async () => {
    const r = await systemToken('lapsed.example', lapsed);
    expectError(r, 401, 'invalid_client');
    assert.match(r.json().error_description as string, /has expired/);
  });

  it('system clients get no other grant type → 400 unauthorized_client', async () => {
    for (const grant_type of ['authorization_code', 'refresh_token', 'password']) {
      const r = await post(h, '/token', backend, {
        grant_type,
        client_id: 'backend.example',
        code: 'x',
        refresh_token: 'x',
      });
      expectError(r, 400, 'unauthorized_client');
    }
  });

  it('DiGA clients still get unauthorized_client for client_credentials', async () => {
    const c = h.clients[0]!;
    expectError(await systemToken(c.clientId, c), 400, 'unauthorized_client');
  });

  it('an unknown client_id with a system certificate → 401 invalid_client', async () => {
    expectError(await systemToken('nobody.example', backend), 401, 'invalid_client');
  });

  it('the HDDT metadata does not announce client_credentials or operator scopes', async () => {
    const r = await request(`${h.url}/.well-known/oauth-authorization-server`, { ca: h.ca });
    const md = r.json();
    assert.deepEqual(md.grant_types_supported, ['authorization_code', 'refresh_token']);
    assert.ok(!JSON.stringify(md).includes('operator'));
  });
});

describe('operator API endpoints', () => {
  it('GET /devices lists devices and whether they are assigned', async () => {
    const token = await tokenOf('backend.example', backend);
    const r = await api('/devices', token, backend);
    assert.equal(r.status, 200, r.text);
    assert.equal(r.headers['cache-control'], 'no-store');
    const devices = r.json().devices as Array<Record<string, unknown>>;
    assert.deepEqual(
      devices.map((d) => [d.key, d.kind, d.assigned]),
      [
        ['ble:c0:ff:ee:00:00:01', 'cgm', false],
        ['serial:onetouch:ABC123', 'bgm', false],
      ],
    );
    assert.equal(devices[0]!.serialNumber, 'CGM1');
    assert.equal(devices[0]!.lastSeen, h.clock.now().toISOString());
  });

  it('assigns by account name or sync handle, lists and unassigns; the change is queued upward', async () => {
    const token = await tokenOf('backend.example', backend);
    const p = await h.addPatient();
    const handle = patientHandle(h.services.store, p.patientId);
    const cgm = encodeURIComponent('ble:c0:ff:ee:00:00:01');
    const bgm = encodeURIComponent('serial:onetouch:ABC123');

    const put1 = await api(`/assignments/${cgm}`, token, backend, {
      method: 'PUT',
      body: { username: p.username },
    });
    assert.equal(put1.status, 200, put1.text);
    assert.deepEqual(put1.json(), {
      device: 'ble:c0:ff:ee:00:00:01',
      patient: handle,
      assignedAt: h.clock.now().toISOString(),
    });
    assert.equal(patientOfDevice(h.services.store, 'ble:c0:ff:ee:00:00:01'), p.patientId);

    const put2 = await api(`/assignments/${bgm}`, token, backend, {
      method: 'PUT',
      body: { patient: handle },
    });
    assert.equal(put2.status, 200, put2.text);

    const list = await api('/assignments', token, backend);
    assert.equal(list.status, 200);
    assert.deepEqual(
      (list.json().assignments as Array<Record<string, unknown>>).map((a) => [a.device, a.patient]),
      [
        ['ble:c0:ff:ee:00:00:01', handle],
        ['serial:onetouch:ABC123', handle],
      ],
    );
    // Neither the internal id nor the account name leaves through the API.
    assert.ok(!list.text.includes(p.patientId));
    assert.ok(!list.text.includes(p.username));
    const devices = await api('/devices', token, backend);
    assert.ok((devices.json().devices as Array<{ assigned: boolean }>).every((d) => d.assigned));

    const del = await api(`/assignments/${bgm}`, token, backend, { method: 'DELETE' });
    assert.equal(del.status, 204, del.text);
    assert.equal(patientOfDevice(h.services.store, 'serial:onetouch:ABC123'), undefined);
    expectError(await api(`/assignments/${bgm}`, token, backend, { method: 'DELETE' }), 404, 'not_found');

    // Three assignment changes queued for MQTT.
    const outbox = await api('/outbox', token, backend);
    assert.equal(outbox.status, 200, outbox.text);
    assert.equal(outbox.json().depth, 3);
  });

  it('refuses unknown patients and malformed bodies', async () => {
    const token = await tokenOf('backend.example', backend);
    const key = encodeURIComponent('serial:onetouch:ABC123');
    expectError(
      await api(`/assignments/${key}`, token, backend, { method: 'PUT', body: { username: 'nobody-here' } }),
      404,
      'unknown_patient',
    );
    expectError(
      await api(`/assignments/${key}`, token, backend, { method: 'PUT', body: { patient: 'f'.repeat(32) } }),
      404,
      'unknown_patient',
    );
    expectError(
      await api(`/assignments/${key}`, token, backend, { method: 'PUT', body: { patient: 'not-a-handle' } }),
      400,
      'invalid_request',
    );
    expectError(
      await api(`/assignments/${key}`, token, backend, { method: 'PUT', body: {} }),
      400,
      'invalid_request',
    );
    expectError(await api('/nothing-here', token, backend), 404, 'not_found');
  });

  it('GET /outbox reports depth, unsent entries and the age of the oldest', async () => {
    const token = await tokenOf('monitor.example', monitor);
    h.clock.advance(90_000);
    const r = await api('/outbox', token, monitor);
    assert.equal(r.status, 200, r.text);
    const o = r.json();
    assert.equal(o.depth, 3);
    assert.equal(o.unsent, 3);
    assert.equal(o.oldestAgeSeconds, 90);
    assert.equal(typeof o.oldestCreatedAt, 'string');
    assert.ok((o.lastSeq as number) >= 3);
  });

  it('refuses a device the gateway never saw unless preRegister; lists the periods a device went through', async () => {
    const token = await tokenOf('backend.example', backend);
    const [p, q] = [await h.addPatient(), await h.addPatient()];
    const key = encodeURIComponent('ble:00:00:5e:00:53:99');
    expectError(
      await api(`/assignments/${key}`, token, backend, { method: 'PUT', body: { username: p.username } }),
      404,
      'unknown_device',
    );
    assert.equal(patientOfDevice(h.services.store, 'ble:00:00:5e:00:53:99'), undefined, 'nothing assigned');
    const pre = await api(`/assignments/${key}?preRegister=true`, token, backend, {
      method: 'PUT',
      body: { username: p.username },
    });
    assert.equal(pre.status, 200, pre.text);
    h.clock.advance(60_000);
    const again = await api(`/assignments/${key}`, token, backend, {
      method: 'PUT',
      body: { username: q.username },
    });
    assert.equal(again.status, 200, again.text);
    const periods = await api(`/assignments/${key}/periods`, token, backend);
    assert.equal(periods.status, 200, periods.text);
    const handle = (id: string) => patientHandle(h.services.store, id);
    assert.deepEqual(periods.json().periods, [
      { patient: handle(p.patientId), from: null, until: h.clock.now().toISOString() },
      { patient: handle(q.patientId), from: h.clock.now().toISOString(), until: null },
    ]);
  });

  it('GET /pairings counts per DiGA, with ended ones by reason, and no patient identifiers', async () => {
    const a = h.clients[0]!;
    const kept = await pair(h, a);
    const gone = await pair(h, a);
    const page = await gone.browser.get('/account/pairings');
    const r0 = await gone.browser.post('/account/pairings/revoke', {
      _csrf: csrfOf(page.text),
      pairing: gone.sub,
    });
    assert.equal(r0.status, 303);
    const token = await tokenOf('monitor.example', monitor);
    const r = await api('/pairings', token, monitor);
    assert.equal(r.status, 200, r.text);
    const body = r.json() as {
      clients: Array<{
        clientId: string;
        name: string;
        directoryStatus: string;
        active: number;
        ended: Record<string, number>;
      }>;
      total: { active: number; ended: number };
    };
    const entry = body.clients.find((c) => c.clientId === a.clientId)!;
    assert.equal(entry.name, 'Example DiGA 10001');
    assert.equal(entry.directoryStatus, 'active');
    assert.equal(entry.active, 1);
    assert.deepEqual(entry.ended, { patient_revoked: 1 });
    assert.deepEqual(body.total, { active: 1, ended: 1 });
    for (const secret of [kept.sub, gone.sub, kept.patient.username, kept.patient.patientId]) {
      assert.ok(!r.text.includes(secret));
    }
  });
});

describe('operator API access control', () => {
  it('no token, a malformed one or an expired one → 401 invalid_token', async () => {
    const r = await api('/devices', null, backend);
    expectError(r, 401, 'invalid_token');
    assert.match(
      String(r.headers['www-authenticate']),
      /^Bearer realm="operator-api", error="invalid_token"/,
    );
    expectError(await api('/devices', 'abc', backend), 401, 'invalid_token');
    const token = await tokenOf('backend.example', backend);
    h.clock.advance(301_000);
    expectError(await api('/devices', token, backend), 401, 'invalid_token');
  });

  it('a token without the route’s scope → 403 insufficient_scope', async () => {
    const monitorToken = await tokenOf('monitor.example', monitor);
    for (const p of ['/devices', '/assignments']) {
      const r = await api(p, monitorToken, monitor);
      expectError(r, 403, 'insufficient_scope');
      assert.match(String(r.headers['www-authenticate']), /error="insufficient_scope"/);
    }
    const readOnly = await tokenOf(
      'backend.example',
      backend,
      'operator/devices.read operator/assignments.read',
    );
    assert.equal((await api('/assignments', readOnly, backend)).status, 200);
    const key = encodeURIComponent('serial:onetouch:ABC123');
    expectError(
      await api(`/assignments/${key}`, readOnly, backend, { method: 'PUT', body: { username: 'x-y-z' } }),
      403,
      'insufficient_scope',
    );
    expectError(
      await api(`/assignments/${key}`, readOnly, backend, { method: 'DELETE' }),
      403,
      'insufficient_scope',
    );
    expectError(await api('/outbox', readOnly, backend), 403, 'insufficient_scope');
  });

  it('the token only works with its own client’s certificate (pinned per request)', async () => {
    const token = await tokenOf('backend.example', backend);
    expectError(await api('/devices', token, monitor), 401, 'invalid_token');
    expectError(await api('/devices', token, h.stranger), 401, 'invalid_token');
    expectError(await api('/devices', token, null), 401, 'invalid_token');
    assert.equal((await api('/devices', token, backend)).status, 200);
  });

  it('a DiGA access token never reaches the operator API → 401', async () => {
    const a = h.clients[0]!;
    const t = await pair(h, a);
    expectError(await api('/devices', t.access_token, a), 401, 'invalid_token');
    expectError(await api('/pairings', t.access_token, a), 401, 'invalid_token');
  });

  it('a system token never reads patient data through the FHIR API → 401 invalid_token', async () => {
    const token = await tokenOf('backend.example', backend);
    for (const cred of [backend, h.clients[0]!]) {
      const r = await request(`${h.url}/fhir/Observation`, {
        headers: { authorization: `Bearer ${token}`, accept: 'application/fhir+json' },
        ca: h.ca,
        cert: cred.cert,
        key: cred.key,
      });
      assert.equal(r.status, 401, r.text);
      assert.match(String(r.headers['www-authenticate']), /error="invalid_token"/);
    }
    await assert.rejects(
      verifyAccessToken(h.services, token),
      (e: unknown) => e instanceof AccessTokenError && e.reason === 'token_not_for_this_api',
    );
  });

  it('system clients cannot use /par (they are not DiGA)', async () => {
    expectError(await post(h, '/par', backend, { client_id: 'backend.example' }), 401, 'invalid_client');
  });
});

describe('revoking a system client token (RFC 7009 /revoke, tls_client_auth)', () => {
  const revoke = (clientId: string, cred: Cred | null, token: string) =>
    post(h, '/revoke', cred, { client_id: clientId, token, token_type_hint: 'access_token' });

  it('a revoked token is refused at once on every operator API request; other tokens keep working', async () => {
    const token = await tokenOf('backend.example', backend);
    const other = await tokenOf('backend.example', backend);
    assert.equal((await api('/devices', token, backend)).status, 200);
    const r = await revoke('backend.example', backend, token);
    assert.equal(r.status, 200, r.text);
    assert.equal(r.text, '');
    assert.equal(r.headers['cache-control'], 'no-store');
    for (const p of ['/devices', '/assignments', '/outbox']) {
      const denied = await api(p, token, backend);
      expectError(denied, 401, 'invalid_token');
      assert.match(denied.json().error_description as string, /revoked/);
    }
    assert.equal((await api('/devices', other, backend)).status, 200);
    // Revoking again changes nothing and still answers 200.
    assert.equal((await revoke('backend.example', backend, token)).status, 200);
  });

  it('the revocation is in the store: a second server on the same database refuses the token too', async () => {
    const token = await tokenOf('backend.example', backend);
    assert.equal((await revoke('backend.example', backend, token)).status, 200);
    const store = openStore({ path: path.join(h.dir, 'hddt.sqlite') });
    const services = await createServices(h.services.config, {
      store,
      clock: h.clock,
      logger: pino({ level: 'silent' }),
    });
    const app = await buildServer(services, {
      tls: { cert: h.certs.serverCertPem, key: h.certs.serverKeyPem },
    });
    try {
      await app.listen({ host: '127.0.0.1', port: 0 });
      const port = (app.server.address() as AddressInfo).port;
      const r = await request(`https://localhost:${port}/operator-api/devices`, {
        headers: { authorization: `Bearer ${token}` },
        ca: h.ca,
        cert: backend.cert,
        key: backend.key,
      });
      expectError(r, 401, 'invalid_token');
      const fresh = await tokenOf('backend.example', backend);
      const ok = await request(`https://localhost:${port}/operator-api/devices`, {
        headers: { authorization: `Bearer ${fresh}` },
        ca: h.ca,
        cert: backend.cert,
        key: backend.key,
      });
      assert.equal(ok.status, 200, ok.text);
    } finally {
      await app.close();
      services.directory.stop();
      store.close();
    }
  });

  it("only the client's own tokens: another system client's revocation is a 200 that revokes nothing", async () => {
    const token = await tokenOf('backend.example', backend);
    assert.equal((await revoke('monitor.example', monitor, token)).status, 200);
    assert.equal((await api('/devices', token, backend)).status, 200);
  });

  it('unknown, malformed and DiGA tokens → 200 (RFC 7009 §2.2), nothing revoked', async () => {
    const t = await pair(h, h.clients[0]!);
    for (const token of ['x', 'a.b.c', t.access_token, t.refresh_token]) {
      const r = await revoke('backend.example', backend, token);
      assert.equal(r.status, 200, r.text);
    }
    // The DiGA's pairing is untouched by a system client's /revoke.
    assert.equal((await verifyAccessToken(h.services, t.access_token)).pairingId, t.sub);
  });

  it('client authentication: the pinned, valid certificate, nothing else → else 401 invalid_client', async () => {
    const token = await tokenOf('backend.example', backend);
    expectError(await revoke('backend.example', monitor, token), 401, 'invalid_client');
    expectError(await revoke('backend.example', null, token), 401, 'invalid_client');
    expectError(await revoke('lapsed.example', lapsed, token), 401, 'invalid_client');
    expectError(
      await post(h, '/revoke', backend, { client_id: 'backend.example', token, client_secret: 's' }),
      400,
      'invalid_request',
    );
    expectError(await post(h, '/revoke', backend, { client_id: 'backend.example' }), 400, 'invalid_request');
    assert.equal((await api('/devices', token, backend)).status, 200);
  });
});

describe('system client configuration', () => {
  const base = () => ({ dataDir: certDir, server: { operatorApi: { clients: [] as unknown[] } } });

  it('rejects a DiGA-like client id and an unknown scope in the schema', () => {
    for (const client of [
      {
        clientId: 'urn:diga:bfarm:12345',
        certificateFile: 'backend.pem',
        scopes: ['operator/devices.read'],
      },
      { clientId: 'backend.example', certificateFile: 'backend.pem', scopes: ['patient/Device.rs'] },
    ]) {
      const o = base();
      o.server.operatorApi.clients = [client];
      assert.throws(() => loadConfig({ env: {}, overrides: o }), ConfigError);
    }
  });

  it('an unreadable or non-PEM certificate file stops start-up with a ConfigError naming it', () => {
    fs.writeFileSync(path.join(certDir, 'junk.pem'), 'not a certificate');
    for (const file of ['missing.pem', 'junk.pem']) {
      const o = base();
      o.server.operatorApi.clients = [
        { clientId: 'backend.example', certificateFile: file, scopes: ['operator/devices.read'] },
      ];
      const config = loadConfig({ env: {}, overrides: o });
      assert.throws(
        () => new SystemClients(config),
        (e: unknown) => e instanceof ConfigError && e.message.includes(file),
      );
    }
  });

  it('a renewed certificate file is picked up without a restart', async () => {
    const file = path.join(certDir, 'rotating.pem');
    const first = await makeClientCertificate('rotating');
    const second = await makeClientCertificate('rotating');
    fs.writeFileSync(file, first.certPem);
    const o = base();
    o.server.operatorApi.clients = [
      { clientId: 'rotating.example', certificateFile: file, scopes: ['operator/devices.read'] },
    ];
    const clients = new SystemClients(loadConfig({ env: {}, overrides: o }));
    const der = (pem: string) => Buffer.from(pem.replace(/-----[^-]+-----|\s/g, ''), 'base64');
    const c = clients.get('rotating.example')!;
    assert.equal(c.matchesCertificate(der(first.certPem)), true);
    assert.equal(c.matchesCertificate(der(second.certPem)), false);
    // Overlap during renewal: both certificates in the file.
    fs.writeFileSync(file, first.certPem + second.certPem);
    assert.equal(c.matchesCertificate(der(first.certPem)), true);
    assert.equal(c.matchesCertificate(der(second.certPem)), true);
  });
});
