// The request log over the real HTTPS server: the authorization server's endpoints are logged like FHIR, with
// partner_id = the served host, client_id apart, a UUID per request, pairing_id where known and no secrets;
// requests without a client certificate and 429 answers are counted per address and minute.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import https from 'node:https';
import path from 'node:path';
import { logFiles } from '../../../server/audit/log-files.ts';
import type { RequestLogLine } from '../../../server/audit/request-log-line.ts';
import { verifyLogs } from '../../../server/audit/request-log-verify.ts';
import {
  pair,
  parParams,
  post,
  removeCertificates,
  request,
  startHarness,
  type Harness,
} from '../oauth/harness.ts';

let h: Harness;
const logDir = () => path.join(h.dir, 'logs', 'requests');
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

before(async () => {
  h = await startHarness({
    server: { fhir: { rateLimit: { perPairing: { max: 3, windowSeconds: 60 } } } },
  });
});

after(async () => {
  await h.close();
  removeCertificates();
});

function logText(): string {
  return logFiles(logDir())
    .map((f) => fs.readFileSync(f.file, 'utf8'))
    .join('');
}

function logLines(): RequestLogLine[] {
  return logText()
    .trim()
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as RequestLogLine);
}

/** A request whose Host header names another site (TLS still checks localhost). */
function spoofedHost(p: string, c: { cert: string; key: string }, token: string) {
  return new Promise<{ status: number; text: string }>((resolve, reject) => {
    const req = https.request(
      `${h.url}${p}`,
      {
        headers: { authorization: `Bearer ${token}`, host: 'evil.example' },
        servername: 'localhost',
        ca: h.ca,
        cert: c.cert,
        key: c.key,
        agent: false,
      },
      (res) => {
        let text = '';
        res.on('data', (d: Buffer) => (text += d.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
      },
    );
    req.on('error', reject);
    req.end();
  });
}

const settle = () => new Promise((r) => setImmediate(r));

/** Ends the ManualClock's minute and waits for the server's once-a-second flush of the counts. */
async function endMinute(): Promise<void> {
  h.clock.advance(60_000);
  await new Promise((r) => setTimeout(r, 1_200));
  await settle();
}

test('/par, /authorize, /token, /revoke and FHIR are logged: served host, client, UUID, pairing, no secret', async () => {
  const c = h.clients[0]!;
  const paired = await pair(h, c, ['bloodGlucose']);
  const fhir = await spoofedHost(`/fhir/Observation`, c, paired.access_token);
  assert.equal(fhir.status, 200, fhir.text);
  const meta = await request(`${h.url}/.well-known/oauth-authorization-server`, {
    ca: h.ca,
    cert: c.cert,
    key: c.key,
  });
  assert.equal(meta.status, 200);
  const revoked = await post(h, '/revoke', c, { client_id: c.clientId, token: paired.refresh_token });
  assert.equal(revoked.status, 200);
  const bad = await post(h, '/token', c, {
    grant_type: 'authorization_code',
    client_id: c.clientId,
    code: 'x',
  });
  assert.equal(bad.status, 400);
  await settle();

  const lines = logLines();
  const one = (iface: string, pred: (l: RequestLogLine) => boolean = () => true) => {
    const found = lines.filter((l) => l.interface_id === iface && pred(l));
    assert.ok(found.length > 0, `a line for ${iface}: ${JSON.stringify(lines.map((l) => l.interface_id))}`);
    return found[0]!;
  };
  const par = one('oauth:par');
  assert.deepEqual(
    [par.status, par.partner_id, par.client_id, par.event_type],
    [201, 'localhost', c.clientId, 'Connection'],
  );
  const token = one('oauth:token', (l) => l.status === 200);
  assert.equal(token.pairing_id, paired.sub, 'the pairing of the grant, from the token response');
  assert.equal(token.client_id, c.clientId);
  assert.equal(token.message, 'POST oauth:token grant_type=authorization_code');
  const failed = one('oauth:token', (l) => l.status === 400);
  assert.equal(failed.error_code, 'invalid_request');
  assert.match(failed.error_description ?? '', /redirect_uri is required/);
  assert.equal(one('oauth:revoke').status, 200);
  assert.equal(one('oauth:metadata').event_type, 'Heartbeat');
  const search = one('fhir:Observation:search-type');
  assert.equal(search.partner_id, 'localhost', 'never the Host header the client sent');
  assert.equal(search.pairing_id, paired.sub);
  assert.equal(search.client_id, c.clientId);
  for (const l of lines) {
    assert.match(l.transaction_id, UUID);
    assert.equal(l.partner_id, 'localhost');
  }
  assert.equal(new Set(lines.map((l) => l.transaction_id)).size, lines.length, 'one id per request');

  const text = logText();
  for (const secret of [paired.access_token, paired.refresh_token, paired.code, paired.verifier]) {
    assert.ok(!text.includes(secret), 'no token, code or verifier in the log');
  }
  assert.ok(!text.includes('urn:ietf:params:oauth:request_uri'), 'no request_uri');
  assert.ok(!text.includes(paired.patient.password) && !text.includes(paired.patient.totpSecret));
  assert.ok(!text.includes('evil.example'));

  // /authorize comes from the patient's browser (no client certificate): counted with its address
  await endMinute();
  const counted = logLines().filter((l) => l.aggregate?.interfaces['oauth:authorize']);
  assert.equal(counted.length, 1);
  assert.equal(counted[0]!.aggregate!.kind, 'unauthenticated');
  assert.equal(
    counted[0]!.aggregate!.client_address,
    '127.0.0.0/24',
    "the network, not the patient browser's address",
  );
  assert.equal(verifyLogs(logDir(), h.services.store).ok, true);
});

test('a flood without client certificate and 429 answers: one line per address, minute and kind', async () => {
  await endMinute(); // start in a fresh minute
  const before = logLines().length;
  const c = h.clients[1]!;
  const { params } = await parParams(c);
  const noCert = await Promise.all(
    Array.from({ length: 40 }, (_, i) =>
      i % 2 ? request(`${h.url}/fhir/metadata`, { ca: h.ca }) : post(h, '/par', null, params),
    ),
  );
  assert.ok(
    noCert.every((r) => r.status === 200 || r.status === 401),
    JSON.stringify(noCert.map((r) => r.status)),
  );
  // per-pairing limit of 3 a minute: 3 answered, 7 throttled
  const paired = await pair(h, h.clients[0]!, ['bloodGlucose']);
  const statuses: number[] = [];
  for (let i = 0; i < 10; i++) {
    const r = await request(`${h.url}/fhir/Observation`, {
      headers: { authorization: `Bearer ${paired.access_token}` },
      ca: h.ca,
      cert: h.clients[0]!.cert,
      key: h.clients[0]!.key,
    });
    statuses.push(r.status);
  }
  assert.deepEqual(statuses, [200, 200, 200, 429, 429, 429, 429, 429, 429, 429]);
  await settle();
  const during = logLines().slice(before);
  assert.ok(
    !during.some((l) => l.status === 429 || l.interface_id === 'fhir:metadata'),
    'nothing yet per request',
  );

  await endMinute();
  const added = logLines().slice(before);
  const aggregates = added.filter((l) => l.aggregate);
  const unauth = aggregates.filter((l) => l.aggregate!.kind === 'unauthenticated');
  const throttled = aggregates.filter((l) => l.aggregate!.kind === 'throttled');
  assert.equal(unauth.length, 1, JSON.stringify(unauth));
  assert.equal(throttled.length, 1, JSON.stringify(throttled));
  const u = unauth[0]!;
  // the 40 plus the patient browser's /authorize of the pairing above
  assert.deepEqual(
    { metadata: u.aggregate!.interfaces['fhir:metadata'], par: u.aggregate!.interfaces['oauth:par'] },
    { metadata: 20, par: 20 },
  );
  assert.equal(u.aggregate!.count, 40 + (u.aggregate!.interfaces['oauth:authorize'] ?? 0));
  assert.equal(u.error_code, 'no_client_certificate');
  assert.equal(u.interface_id, 'multiple');
  const t = throttled[0]!;
  assert.deepEqual(
    [t.aggregate!.count, t.status, t.error_code, t.interface_id, t.aggregate!.statuses['429']],
    [7, 429, 'rate_limited', 'fhir', 7],
  );
  assert.equal(t.aggregate!.client_address, '127.0.0.0/24');
  assert.equal(Date.parse(t.aggregate!.period_end) - Date.parse(t.aggregate!.period_start), 60_000);
  assert.equal(
    added.filter((l) => l.interface_id === 'fhir:Observation:search-type' && !l.aggregate).length,
    3,
  );
  assert.equal(verifyLogs(logDir(), h.services.store).ok, true);
});

test('counts still in the minute are written when the server closes', async () => {
  const { startHarness: start } = await import('../oauth/harness.ts');
  const other = await start();
  const dir = path.join(other.dir, 'logs', 'requests');
  for (let i = 0; i < 5; i++)
    assert.equal((await request(`${other.url}/fhir/metadata`, { ca: other.ca })).status, 200);
  await settle();
  assert.equal(logFiles(dir).length, 0, 'nothing written during the minute');
  await other.app.close();
  const lines = fs
    .readFileSync(logFiles(dir)[0]!.file, 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l));
  assert.equal(lines.length, 1);
  assert.equal(lines[0].aggregate.count, 5);
  assert.equal(verifyLogs(dir, other.services.store).ok, true);
  await other.close();
});

test('429 answers of the per-address limit (refused before any route) are counted too', async () => {
  const other = await startHarness({ server: { rateLimit: { max: 3, windowMs: 60_000 } } });
  const c = other.clients[0]!;
  const dir = path.join(other.dir, 'logs', 'requests');
  const statuses: number[] = [];
  for (let i = 0; i < 8; i++) {
    const r = await request(`${other.url}/fhir/metadata`, { ca: other.ca, cert: c.cert, key: c.key });
    statuses.push(r.status);
  }
  assert.deepEqual(statuses, [200, 200, 200, 429, 429, 429, 429, 429]);
  await other.app.close();
  const lines = fs
    .readFileSync(logFiles(dir)[0]!.file, 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as RequestLogLine);
  assert.deepEqual(
    lines.map((l) => [l.interface_id, l.status, l.aggregate?.count ?? 1]),
    [
      ['fhir:metadata', 200, 1],
      ['fhir:metadata', 200, 1],
      ['fhir:metadata', 200, 1],
      ['fhir', 429, 5],
    ],
  );
  assert.equal(verifyLogs(dir, other.services.store).ok, true);
  await other.close();
});
