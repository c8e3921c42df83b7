// The DiGA's own access log (HDDT §4.5): the writer (fields, UTC day files, modes, retention, bad folders), the
// lines (interface names as the gateway gives them, errors, masking, network errors), and a run of the client
// against the real gateway in which every line of the DiGA's log has its twin in the gateway's request log.
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { AccessLines, maskSecrets } from '../../diga-client/access-line.ts';
import { AccessLog, accessLogFileOf, accessLogFiles, readAccessLog } from '../../diga-client/access-log.ts';
import { loginAndConsent } from '../../diga-client/browser.ts';
import { DigaClient } from '../../diga-client/client.ts';
import { DigaClientError } from '../../diga-client/errors.ts';
import { MtlsHttp, type Exchange } from '../../diga-client/http.ts';
import { accessLogDirOf } from '../../diga-client/settings.ts';
import type { StoredTokens } from '../../diga-client/tokens.ts';
import type { MonitoringFields } from '../../lib/request-log-fields.ts';
import { logFiles } from '../../server/audit/log-files.ts';
import type { RequestLogLine } from '../../server/audit/request-log-line.ts';
import { unpair } from '../../server/oauth/pairing.ts';
import { removeCertificates } from '../server/oauth/harness.ts';
import { bgReadings, HOUR, startClientFixture, type ClientFixture } from './fixture.ts';

const DAY = 86_400_000;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const FIELDS = [
  'client_id',
  'data_volume_bytes',
  'error_code',
  'error_description',
  'event_type',
  'interface_id',
  'message',
  'pairing_id',
  'partner_id',
  'response_time_ms',
  'status',
  'timestamp',
  'transaction_id',
];

const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), 'diga-access-log-'));

function fields(timestamp: string, over: Partial<MonitoringFields> = {}): MonitoringFields {
  return {
    timestamp,
    transaction_id: '6f1c2b0e-8a4d-4c1e-9f3a-2b7d5e6a1c90',
    pairing_id: null,
    partner_id: 'ddr.example',
    client_id: 'urn:diga:bfarm:10001',
    interface_id: 'oauth:par',
    event_type: 'Connection',
    status: 201,
    error_code: null,
    error_description: null,
    response_time_ms: 3.5,
    data_volume_bytes: 120,
    message: 'POST oauth:par',
    ...over,
  };
}

describe('access log writer', () => {
  it('appends one JSON line per request to the file of its UTC day, 0600 in a 0700 folder', () => {
    const dir = path.join(tmp(), 'nested', 'access-log');
    const log = AccessLog.open({ dir, now: () => Date.parse('2026-05-10T12:00:00Z') });
    log.append(fields('2026-05-10T23:59:59.999Z'));
    log.append(fields('2026-05-10T23:59:59.999Z', { status: 400, error_code: 'invalid_request' }));
    log.append(fields('2026-05-11T00:00:00.000Z'));
    assert.deepEqual(
      accessLogFiles(dir).map((f) => path.basename(f.file)),
      ['access-2026-05-10.jsonl', 'access-2026-05-11.jsonl'],
    );
    assert.equal(fs.statSync(dir).mode & 0o777, 0o700);
    for (const f of accessLogFiles(dir)) assert.equal(fs.statSync(f.file).mode & 0o777, 0o600);
    const lines = readAccessLog(dir);
    assert.equal(lines.length, 3);
    assert.deepEqual(Object.keys(lines[1]!).sort(), FIELDS);
    assert.equal(lines[1]!.error_code, 'invalid_request');
    assert.equal(fs.readFileSync(accessLogFileOf(dir, '2026-05-10'), 'utf8').split('\n').length, 3);
  });

  it('prune keeps the last 30 days (or the configured longer period) and nothing else of the folder is touched', () => {
    const dir = tmp();
    const now = Date.parse('2026-05-31T12:00:00Z');
    for (let d = 0; d <= 40; d++) {
      fs.writeFileSync(accessLogFileOf(dir, new Date(now - d * DAY).toISOString().slice(0, 10)), '{}\n');
    }
    fs.writeFileSync(path.join(dir, 'notes.txt'), 'mine');
    // opening prunes
    const log = AccessLog.open({ dir, now: () => now });
    const days = accessLogFiles(dir).map((f) => f.day);
    assert.equal(days[0], '2026-05-01');
    assert.equal(days.length, 31);
    assert.ok(fs.existsSync(path.join(dir, 'notes.txt')));
    // a day later, the oldest day goes
    assert.deepEqual(log.prune(now + DAY), [accessLogFileOf(dir, '2026-05-01')]);

    const dir45 = tmp();
    for (let d = 0; d <= 50; d++) {
      fs.writeFileSync(accessLogFileOf(dir45, new Date(now - d * DAY).toISOString().slice(0, 10)), '{}\n');
    }
    AccessLog.open({ dir: dir45, retentionDays: 45, now: () => now });
    assert.equal(accessLogFiles(dir45).length, 46);
  });

  it('a new day prunes while writing', () => {
    const dir = tmp();
    let now = Date.parse('2026-05-31T23:59:00Z');
    const log = AccessLog.open({ dir, now: () => now });
    fs.writeFileSync(accessLogFileOf(dir, '2026-05-01'), '{}\n');
    log.append(fields(new Date(now).toISOString()));
    assert.ok(fs.existsSync(accessLogFileOf(dir, '2026-05-01')));
    now += 2 * 60_000;
    log.append(fields(new Date(now).toISOString()));
    assert.ok(!fs.existsSync(accessLogFileOf(dir, '2026-05-01')));
    assert.deepEqual(
      accessLogFiles(dir).map((f) => f.day),
      ['2026-05-31', '2026-06-01'],
    );
  });

  it('refuses a retention below 30 days and a folder it cannot use, as settings errors naming them', () => {
    const dir = tmp();
    for (const days of [7, 29, 30.5]) {
      assert.throws(
        () => AccessLog.open({ dir, retentionDays: days }),
        (e: unknown) =>
          e instanceof DigaClientError && e.reason === 'settings' && /at least 30/.test(e.message),
      );
    }
    const file = path.join(dir, 'a-file');
    fs.writeFileSync(file, '');
    for (const [bad, why] of [
      [file, 'is not a folder'],
      [path.join(file, 'log'), 'cannot be created (ENOTDIR)'],
    ] as const) {
      assert.throws(
        () => AccessLog.open({ dir: bad }),
        (e: unknown) =>
          e instanceof DigaClientError &&
          e.reason === 'settings' &&
          e.message === `access log folder ${bad}: ${why}`,
      );
    }
  });

  it('a line it cannot write is counted and reported, not thrown', () => {
    const dir = tmp();
    const errors: Error[] = [];
    const log = AccessLog.open({
      dir,
      now: () => Date.parse('2026-05-10T12:00:00Z'),
      onError: (e) => errors.push(e),
    });
    fs.rmSync(dir, { recursive: true });
    fs.writeFileSync(dir, 'not a folder');
    log.append(fields('2026-05-10T12:00:00.000Z'));
    assert.equal(log.failures, 1);
    assert.equal(errors.length, 1);
  });
});

const lines = new AccessLines({
  clientId: 'urn:diga:bfarm:10001',
  issuer: 'https://ddr.example:8443',
  fhirBase: 'https://ddr.example:8443/fhir',
  now: () => Date.parse('2026-05-10T12:00:00Z'),
});

function exchange(over: Partial<Exchange>): Exchange {
  return {
    transactionId: '6f1c2b0e-8a4d-4c1e-9f3a-2b7d5e6a1c90',
    method: 'GET',
    url: 'https://ddr.example:8443/fhir/metadata',
    headers: {},
    elapsedMs: 12.3456,
    ...over,
  };
}

const response = (status: number, text: string, headers: Record<string, string> = {}) => ({
  status,
  headers,
  text,
  bytes: Buffer.byteLength(text),
});

describe('access log lines', () => {
  it("names interfaces as the gateway's request log does", () => {
    const base = 'https://ddr.example:8443';
    const cases: Array<[string, string, string]> = [
      ['GET', '/.well-known/oauth-authorization-server', 'oauth:metadata'],
      ['POST', '/par', 'oauth:par'],
      ['POST', '/token', 'oauth:token'],
      ['POST', '/revoke', 'oauth:revoke'],
      ['GET', '/fhir/metadata', 'fhir:metadata'],
      ['GET', '/fhir/Observation?code=x&_count=5', 'fhir:Observation:search-type'],
      ['POST', '/fhir/DeviceMetric/_search', 'fhir:DeviceMetric:search-type'],
      ['GET', '/fhir/Device/abc-123', 'fhir:Device:read'],
      ['GET', '/fhir/Device/abc-123/_history/2', 'fhir:Device:vread'],
      ['POST', '/fhir/Observation/$hddt-cgm-summary', 'fhir:Observation:$hddt-cgm-summary'],
      ['POST', '/fhir/Observation/%24hddt-cgm-summary', 'fhir:Observation:$hddt-cgm-summary'],
      ['GET', '/fhir', 'fhir'],
      ['GET', '/fhir/observation/x', 'fhir'],
      ['GET', '/elsewhere', 'other'],
      ['GET', 'https://other.example/token', 'other'],
    ];
    for (const [method, p, id] of cases) {
      assert.equal(lines.interfaceOf(method, new URL(p, base).href), id, `${method} ${p}`);
    }
    const moved = new AccessLines({
      clientId: 'urn:diga:bfarm:10001',
      issuer: 'https://ddr.example',
      fhirBase: 'https://api.ddr.example/r4',
      now: Date.now,
    });
    moved.useMetadata({ issuer: 'https://ddr.example', token_endpoint: 'https://ddr.example/oauth2/token' });
    assert.equal(moved.interfaceOf('POST', 'https://ddr.example/oauth2/token'), 'oauth:token');
    assert.equal(
      moved.interfaceOf('GET', 'https://api.ddr.example/r4/Observation'),
      'fhir:Observation:search-type',
    );
  });

  it('a FHIR read: Transfer, the pairing it was made for, bytes and time, no query string or token', () => {
    const l = lines.line(
      exchange({
        url: 'https://ddr.example:8443/fhir/Observation?date=gt2026-05-01&code=http://loinc.org|2339-0',
        headers: { authorization: 'Bearer eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln' },
        pairingId: 'a'.repeat(64),
        response: response(200, '{"resourceType":"Bundle"}'),
      }),
    );
    assert.deepEqual(Object.keys(l).sort(), FIELDS);
    assert.equal(l.timestamp, '2026-05-10T12:00:00.000Z');
    assert.equal(l.interface_id, 'fhir:Observation:search-type');
    assert.equal(l.event_type, 'Transfer');
    assert.equal(l.pairing_id, 'a'.repeat(64));
    assert.equal(l.partner_id, 'ddr.example');
    assert.equal(l.status, 200);
    assert.equal(l.data_volume_bytes, 25);
    assert.equal(l.response_time_ms, 12.35);
    assert.equal(l.message, 'GET fhir:Observation:search-type');
    assert.ok(!JSON.stringify(l).includes('2339') && !JSON.stringify(l).includes('eyJ'));
  });

  it('takes the OAuth error, the challenge of a 401 and an OperationOutcome, masking every secret', () => {
    const body = 'grant_type=refresh_token&refresh_token=rt-SECRET-123456';
    const oauthError = lines.line(
      exchange({
        method: 'POST',
        url: 'https://ddr.example:8443/token',
        body,
        response: response(
          400,
          JSON.stringify({ error: 'invalid_grant', error_description: 'token rt-SECRET-123456 is revoked' }),
        ),
      }),
    );
    assert.equal(oauthError.error_code, 'invalid_grant');
    assert.equal(oauthError.error_description, 'token *** is revoked');
    assert.equal(oauthError.message, 'POST oauth:token grant_type=refresh_token');
    assert.equal(oauthError.event_type, 'Connection');
    assert.equal(oauthError.pairing_id, null);

    const challenge = lines.line(
      exchange({
        url: 'https://ddr.example:8443/fhir/Device/x',
        response: response(401, '', {
          'www-authenticate': 'Bearer error="invalid_token", error_description="The access token expired"',
        }),
      }),
    );
    assert.deepEqual(
      [challenge.error_code, challenge.error_description, challenge.event_type],
      ['invalid_token', 'The access token expired', 'Connection'],
    );

    const outcome = lines.line(
      exchange({
        url: 'https://ddr.example:8443/fhir/Observation?foo=1',
        response: response(
          400,
          JSON.stringify({
            resourceType: 'OperationOutcome',
            issue: [{ severity: 'error', code: 'processing', diagnostics: 'Unknown search parameter foo' }],
          }),
        ),
      }),
    );
    assert.deepEqual(
      [outcome.error_code, outcome.error_description],
      ['processing', 'Unknown search parameter foo'],
    );
    const coded = lines.line(
      exchange({
        response: response(
          404,
          JSON.stringify({
            resourceType: 'OperationOutcome',
            issue: [
              { severity: 'error', code: 'processing', details: { coding: [{ code: 'MSG_NO_MATCH' }] } },
            ],
          }),
        ),
      }),
    );
    assert.equal(coded.error_code, 'MSG_NO_MATCH');
  });

  it('a token response gives its Pairing ID (sub) and nothing else of it', () => {
    const l = lines.line(
      exchange({
        method: 'POST',
        url: 'https://ddr.example:8443/token',
        body: 'grant_type=authorization_code&code=CODE-abcdef&code_verifier=VERIFIER-abcdef&redirect_uri=x',
        response: response(
          200,
          JSON.stringify({ access_token: 'AT-abcdef', refresh_token: 'RT-abcdef', sub: 'b'.repeat(64) }),
        ),
      }),
    );
    assert.equal(l.pairing_id, 'b'.repeat(64));
    assert.equal(l.message, 'POST oauth:token grant_type=authorization_code');
    assert.ok(!/abcdef/.test(JSON.stringify(l)));
  });

  it('masks secret parameters, Bearer values and JWTs in any text', () => {
    assert.equal(
      maskSecrets('see https://x/cb?code=abc123&state=s1 and token=t9; refresh_token=r1&ok=1'),
      'see https://x/cb?code=***&state=*** and token=***; refresh_token=***&ok=1',
    );
    assert.equal(maskSecrets('Authorization: Bearer abc.def'), 'Authorization: Bearer ***');
    assert.equal(maskSecrets('got eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln back'), 'got *** back');
    assert.equal(maskSecrets('password=hunter2 client_assertion=xyz'), 'password=*** client_assertion=***');
    assert.equal(maskSecrets('value s3cr3t-value here', ['s3cr3t-value']), 'value *** here');
  });

  it('a request that gets no response: status 0, network_error, still timed and correlated', async () => {
    const server = net.createServer();
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as net.AddressInfo).port;
    await new Promise<void>((r) => server.close(() => r()));
    const dir = tmp();
    const log = AccessLog.open({ dir });
    const l2 = new AccessLines({
      clientId: 'urn:diga:bfarm:10001',
      issuer: `https://127.0.0.1:${port}`,
      fhirBase: `https://127.0.0.1:${port}/fhir`,
      now: Date.now,
    });
    const http = new MtlsHttp({ ca: '' }, (x) => log.append(l2.line(x)));
    try {
      await assert.rejects(
        http.request(`https://127.0.0.1:${port}/token`, {
          method: 'POST',
          body: 'grant_type=refresh_token&refresh_token=RTvalue123',
        }),
      );
    } finally {
      http.close();
    }
    const [l] = readAccessLog(dir);
    assert.ok(l);
    assert.equal(l.status, 0);
    assert.equal(l.error_code, 'network_error');
    assert.match(l.error_description ?? '', /ECONNREFUSED/);
    assert.equal(l.interface_id, 'oauth:token');
    assert.equal(l.message, 'POST oauth:token grant_type=refresh_token: no response');
    assert.match(l.transaction_id, UUID);
    assert.ok(l.response_time_ms >= 0);
    assert.ok(!fs.readFileSync(accessLogFiles(dir)[0]!.file, 'utf8').includes('RTvalue123'));
  });
});

describe('access log against the gateway', () => {
  let f: ClientFixture;
  let client: DigaClient;
  const secrets = new Set<string>();
  const tokens = () => JSON.parse(fs.readFileSync(`${f.stateDir}/tokens.json`, 'utf8')) as StoredTokens;
  const keepTokens = () => {
    const t = tokens();
    secrets.add(t.accessToken).add(t.refreshToken);
  };

  before(async () => {
    f = await startClientFixture();
    const patient = await f.h.addPatient();
    f.assignTo(patient.patientId);
    f.ingest(f.cgm(0, 150));
    f.ingest(bgReadings(new Date(f.H - 24 * HOUR), 1));
    secrets.add(patient.password).add(patient.totpSecret);
    client = await DigaClient.open(f.settings, { now: f.now, sleep: async () => undefined });

    // pairing step by step, so the code, state, verifier and request_uri are known to the test
    const pending = await client.startPairing(['bloodGlucose', 'cgm']);
    const callback = await loginAndConsent(pending.authorizeUrl, patient, {
      ca: fs.readFileSync(f.settings.caFile, 'utf8'),
      now: f.now,
      sleep: async () => undefined,
    });
    for (const v of [
      callback.searchParams.get('code'),
      pending.state,
      pending.verifier,
      new URL(pending.authorizeUrl).searchParams.get('request_uri'),
    ]) {
      assert.ok(v);
      secrets.add(v);
    }
    await client.completePairing(pending, callback);
    keepTokens();
    await client.pollOnce();
    await client.summary();
    // near expiry: the poll refreshes first (rotation)
    f.h.clock.set(tokens().expiresAtMs - 50_000);
    await client.pollOnce();
    keepTokens();
    // the patient revokes: a 401, a refused refresh; then the DiGA revokes too
    unpair(f.h.services, tokens().pairingId, 'patient_revoked');
    await assert.rejects(client.pollOnce(), (e: unknown) => e instanceof DigaClientError);
    await client.revoke();
  });

  after(async () => {
    client?.close();
    await f?.close();
    removeCertificates();
  });

  const digaLog = () => readAccessLog(accessLogDirOf(f.settings)!);

  async function ddrLines(ids: string[]): Promise<Map<string, RequestLogLine>> {
    const dir = path.join(f.h.dir, 'logs', 'requests');
    for (let i = 0; ; i++) {
      const byId = new Map<string, RequestLogLine>();
      for (const file of logFiles(dir)) {
        for (const l of fs.readFileSync(file.file, 'utf8').split('\n').filter(Boolean)) {
          const line = JSON.parse(l) as RequestLogLine;
          byId.set(line.transaction_id, line);
        }
      }
      if (ids.every((id) => byId.has(id)) || i === 40) return byId;
      await new Promise((r) => setTimeout(r, 50)); // the gateway writes once per event-loop turn
    }
  }

  it('logs every OAuth and FHIR request of the run in <state-dir>/access-log, with the HDDT fields', () => {
    const log = digaLog();
    assert.equal(accessLogDirOf(f.settings), path.join(f.stateDir, 'access-log'));
    const ids = new Set(log.map((l) => l.transaction_id));
    assert.equal(ids.size, log.length, 'one transaction id per request');
    for (const l of log) {
      assert.deepEqual(Object.keys(l).sort(), FIELDS);
      assert.match(l.transaction_id, UUID);
      assert.match(l.timestamp, /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
      assert.equal(l.client_id, f.settings.clientId);
      assert.equal(l.partner_id, 'localhost');
    }
    const seen = new Set(log.map((l) => l.interface_id));
    for (const id of [
      'oauth:metadata',
      'fhir:metadata',
      'oauth:par',
      'oauth:token',
      'fhir:Observation:search-type',
      'fhir:Observation:$hddt-cgm-summary',
      'oauth:revoke',
    ]) {
      assert.ok(seen.has(id), `${id} in ${[...seen].join(', ')}`);
    }
    const messages = log.map((l) => l.message);
    assert.ok(messages.includes('POST oauth:token grant_type=authorization_code'));
    assert.ok(messages.includes('POST oauth:token grant_type=refresh_token'));
    assert.ok(log.some((l) => l.status === 401 && l.error_code === 'invalid_token'));
    assert.ok(log.some((l) => l.interface_id === 'oauth:token' && l.error_code === 'invalid_grant'));
  });

  it("every transaction id is in the gateway's request log, with the same status, interface and pairing", async () => {
    const log = digaLog();
    const ddr = await ddrLines(log.map((l) => l.transaction_id));
    const onlyDiga: string[] = [];
    for (const l of log) {
      const d = ddr.get(l.transaction_id);
      assert.ok(d, `${l.transaction_id} (${l.message}) not in the gateway's log`);
      const what = `${l.message} → ${l.status}`;
      assert.equal(d.status, l.status, what);
      // the gateway names a FHIR request refused before its route (401) just `fhir`; the DiGA names it by its URL
      if (d.interface_id === 'fhir' && l.status === 401) assert.match(l.interface_id, /^fhir:/, what);
      else assert.equal(d.interface_id, l.interface_id, what);
      assert.equal(d.event_type, l.event_type, what);
      assert.equal(d.partner_id, l.partner_id, what);
      if (d.client_id !== null) assert.equal(d.client_id, l.client_id, what);
      if (d.pairing_id !== null) assert.equal(l.pairing_id, d.pairing_id, what);
      else if (l.pairing_id !== null) onlyDiga.push(what);
    }
    // The DiGA knows the pairing of a request where the gateway's line has none: revocation, a refused refresh
    assert.deepEqual(onlyDiga.sort(), [
      'POST oauth:revoke → 200',
      'POST oauth:token grant_type=refresh_token → 400',
    ]);
  });

  it('holds no token, code, state, PKCE verifier, request_uri, password or TOTP secret', () => {
    const text = accessLogFiles(accessLogDirOf(f.settings)!)
      .map((x) => fs.readFileSync(x.file, 'utf8'))
      .join('');
    assert.ok(text.length > 0);
    for (const s of secrets) assert.ok(!text.includes(s), `a secret of ${s.length} characters is in the log`);
    assert.ok(!/eyJ|\?|code=|token=/.test(text));
  });
});
