// PEP over HTTP: per-pairing/per-client rate limits (429 + Retry-After + OperationOutcome), and the request
// log each request leaves (HDDT fields, chained, no secrets). Device tokens: pep-device-token.test.ts.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { logFiles, type RequestLogLine } from '../../../server/audit/request-log.ts';
import { verifyLogs } from '../../../server/audit/request-log-verify.ts';
import { buildDataset, type Dataset } from '../fhir/fixture.ts';
import { startHarness, type Harness } from '../fhir/harness.ts';

let ds: Dataset;
let h: Harness;
let token: string;

before(async () => {
  ds = buildDataset({ days: 1 });
  h = await startHarness(ds, {
    policy: { device: { approvedApps: ['de.example.diga'] } },
    fhir: {
      rateLimit: { perPairing: { max: 5, windowSeconds: 60 }, perClient: { max: 1000, windowSeconds: 60 } },
    },
  });
  token = await h.token(ds.patients.a, ['bloodGlucose', 'cgm']);
});
after(async () => {
  await h?.close();
  ds?.cleanup();
});

test('per-pairing rate limit: 429 with Retry-After and a throttled OperationOutcome', async () => {
  const other = await h.token(ds.patients.b, ['cgm']);
  const statuses: number[] = [];
  let last;
  for (let i = 0; i < 8; i++) {
    last = await h.request('/fhir/DeviceMetric', { token: other });
    statuses.push(last.status);
  }
  assert.deepEqual(statuses, [200, 200, 200, 200, 200, 429, 429, 429]);
  assert.ok(Number(last!.headers['retry-after']) >= 1);
  const oo = last!.json();
  assert.equal(oo.resourceType, 'OperationOutcome');
  assert.equal(oo.issue[0].code, 'throttled');
});

test('every request leaves one chained log line with the HDDT fields and nothing secret', async () => {
  const r = await h.request('/fhir/Observation?_count=3', { token, headers: { 'x-request-id': 'abc' } });
  assert.equal(r.status, 200);
  await h.request('/fhir/Observation/nope', { token });
  await h.request('/fhir/Device', { token: 'not-a-token' }); // a 401 over mTLS
  await h.request('/fhir/metadata');
  await new Promise((res) => setImmediate(res));
  const dir = path.join(h.dataDir, 'logs', 'requests');
  const files = logFiles(dir);
  assert.equal(files.length, 1);
  assert.equal(files[0].day, h.clock.now().toISOString().slice(0, 10));
  const text = fs.readFileSync(files[0].file, 'utf8');
  const lines = text
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as RequestLogLine);
  const fields = [
    'timestamp',
    'transaction_id',
    'pairing_id',
    'partner_id',
    'interface_id',
    'event_type',
    'status',
    'error_code',
    'error_description',
    'response_time_ms',
    'data_volume_bytes',
    'message',
    'checksum',
  ];
  for (const l of lines) for (const f of fields) assert.ok(f in l, f);
  const search = lines.find((l) => l.interface_id === 'fhir:Observation:search-type' && l.status === 200)!;
  assert.equal(search.partner_id, 'localhost', 'the host the operation was served as (issuer)');
  assert.equal(search.client_id, h.certs.clients[0].clientId);
  assert.match(search.pairing_id ?? '', /^[0-9a-f]{64}$/);
  assert.ok(search.data_volume_bytes > 100);
  assert.equal(search.event_type, 'Transfer');
  const missing = lines.find((l) => l.status === 404)!;
  assert.equal(missing.error_code, 'not_found');
  assert.ok(lines.some((l) => l.event_type === 'Heartbeat' && l.interface_id === 'fhir:metadata'));
  assert.ok(lines.some((l) => l.status === 401 && l.event_type === 'Connection'));
  // 429 answers are counted per address and minute (test/server/audit/request-log-plugin.test.ts)
  assert.ok(!lines.some((l) => l.status === 429));
  assert.ok(!text.includes(token), 'no access token');
  assert.ok(!text.includes(ds.patients.a) && !text.includes(ds.patients.b), 'no internal patient ids');
  const chain = verifyLogs(dir, h.services.store);
  assert.deepEqual([chain.ok, chain.lines], [true, lines.length]);
});
