import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import {
  logFiles,
  queryLogs,
  RequestLog,
  verifyLogs,
  type RequestLogFields,
} from '../../../server/audit/request-log.ts';
import { runCli } from '../../helpers/cli.ts';
import { tempDir } from '../../helpers/tmp.ts';

const DAY = 86_400_000;
const T0 = Date.parse('2025-10-01T10:00:00Z');

function fields(ms: number, i: number, over: Partial<RequestLogFields> = {}): RequestLogFields {
  return {
    timestamp: new Date(ms).toISOString(),
    transaction_id: `req-${i}`,
    pairing_id: 'a'.repeat(64),
    partner_id: i % 2 ? 'urn:diga:bfarm:10001' : 'urn:diga:bfarm:10002',
    interface_id: 'fhir:Observation:search-type',
    event_type: 'Transfer',
    status: i % 5 === 0 ? 404 : 200,
    error_code: null,
    error_description: null,
    response_time_ms: 1.5,
    data_volume_bytes: 1000 + i,
    message: 'search',
    ...over,
  };
}

/** Writes `days` days of 10 lines each with a clock that moves along. */
function fill(dir: string, days: number, startMs = T0) {
  let now = startMs;
  const log = new RequestLog({ dir, retentionDays: 30, now: () => new Date(now) });
  let i = 0;
  for (let d = 0; d < days; d++) {
    for (let k = 0; k < 10; k++) {
      now = startMs + d * DAY + k * 60_000;
      log.append(fields(now, i++));
    }
    log.flush();
  }
  log.close();
  return { log, count: i };
}

test('daily files, a chain across them that verifies, and any edit, removal or reordering breaks it', (t) => {
  const { dir, cleanup } = tempDir();
  t.after(cleanup);
  fill(dir, 3);
  assert.deepEqual(
    logFiles(dir).map((f) => f.day),
    ['2025-10-01', '2025-10-02', '2025-10-03'],
  );
  assert.deepEqual(verifyLogs(dir), { ok: true, files: 3, lines: 30 });
  const file = logFiles(dir)[1].file;
  const original = fs.readFileSync(file, 'utf8');
  const lines = original.trim().split('\n');
  const tamper = (text: string, reason: RegExp) => {
    fs.writeFileSync(file, text);
    const r = verifyLogs(dir);
    assert.equal(r.ok, false);
    assert.match(r.error!.reason, reason);
    assert.equal(r.error!.file, file);
    fs.writeFileSync(file, original);
  };
  tamper(original.replace('"status":200', '"status":201'), /checksum/);
  tamper([lines[0], ...lines.slice(2)].join('\n') + '\n', /chain/);
  tamper([lines[1], lines[0], ...lines.slice(2)].join('\n') + '\n', /chain/);
  tamper(original + 'garbage\n', /not JSON/);
  assert.equal(verifyLogs(dir).ok, true);
});

test('a restart continues the chain; files older than the retention are deleted', (t) => {
  const { dir, cleanup } = tempDir();
  t.after(cleanup);
  fill(dir, 2);
  fill(dir, 1, T0 + 2 * DAY);
  assert.deepEqual(verifyLogs(dir), { ok: true, files: 3, lines: 30 });
  const later = new RequestLog({ dir, retentionDays: 30, now: () => new Date(T0 + 32 * DAY) });
  const removed = later.prune();
  assert.equal(removed.length, 2);
  assert.deepEqual(
    logFiles(dir).map((f) => f.day),
    ['2025-10-03'],
  );
  // the oldest remaining line's predecessor is gone; the rest still chains
  assert.deepEqual(verifyLogs(dir), { ok: true, files: 1, lines: 10 });
});

test('query filters by period, client and status', (t) => {
  const { dir, cleanup } = tempDir();
  t.after(cleanup);
  fill(dir, 3);
  const all = [...queryLogs(dir, {})];
  assert.equal(all.length, 30);
  const day2 = [...queryLogs(dir, { fromMs: T0 + DAY, toMs: T0 + 2 * DAY - 1 })];
  assert.equal(day2.length, 10);
  const client = [...queryLogs(dir, { client: 'urn:diga:bfarm:10001' })];
  assert.ok(client.length === 15 && client.every((l) => l.partner_id === 'urn:diga:bfarm:10001'));
  const notFound = [...queryLogs(dir, { status: 404 })];
  assert.equal(notFound.length, 6);
});

test('CLI: logs verify and logs query (exit 2 for bad input, 1 for a broken chain)', (t) => {
  const { dir, cleanup } = tempDir();
  t.after(cleanup);
  fill(dir, 2);
  const ok = runCli(['logs', 'verify', '--dir', dir]);
  assert.equal(ok.status, 0, ok.stderr);
  assert.match(ok.stdout, /ok: 20 lines in 2 files/);
  const q = runCli([
    'logs',
    'query',
    '--dir',
    dir,
    '--from',
    '2025-10-02',
    '--to',
    '2025-10-02',
    '--client',
    'urn:diga:bfarm:10001',
    '--status',
    '200',
  ]);
  assert.equal(q.status, 0, q.stderr);
  const lines = q.stdout
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l));
  assert.ok(lines.length > 0);
  for (const l of lines) {
    assert.equal(l.partner_id, 'urn:diga:bfarm:10001');
    assert.equal(l.status, 200);
    assert.equal(l.timestamp.slice(0, 10), '2025-10-02');
  }
  const bad = runCli(['logs', 'query', '--dir', dir, '--from', 'yesterday']);
  assert.equal(bad.status, 2);
  assert.match(bad.stderr, /--from "yesterday" is not an ISO date/);
  const f = logFiles(dir)[0].file;
  fs.writeFileSync(f, fs.readFileSync(f, 'utf8').replace('"message":"search"', '"message":"edited"'));
  const broken = runCli(['logs', 'verify', '--dir', dir]);
  assert.equal(broken.status, 1);
  assert.match(broken.stdout, new RegExp(`broken: ${path.basename(f).replace('.', '\\.')}|broken: .*line 1`));
});

test('a failed write is no uncaught exception: lines stay queued and are written once the folder is back', async (t) => {
  const { dir, cleanup } = tempDir('reqlog-fail-');
  t.after(cleanup);
  const errors: string[] = [];
  const log = new RequestLog({ dir, retentionDays: 30, onError: (e) => errors.push(e.message) });
  fs.rmSync(dir, { recursive: true, force: true });
  const base = {
    transaction_id: 't',
    pairing_id: null,
    partner_id: 'x',
    interface_id: 'fhir',
    event_type: 'Transfer',
    status: 200,
    error_code: null,
    error_description: null,
    response_time_ms: 1,
    data_volume_bytes: 10,
    message: 'GET /fhir/metadata',
  } as const;
  const day = new Date().toISOString().slice(0, 10); // recent: older files are pruned
  log.append({ ...base, timestamp: `${day}T00:00:00.000Z` });
  await new Promise((r) => setImmediate(r));
  assert.equal(errors.length, 1);
  assert.match(errors[0], /ENOENT/);
  fs.mkdirSync(dir);
  log.append({ ...base, timestamp: `${day}T00:00:01.000Z` });
  await new Promise((r) => setImmediate(r));
  const lines = fs
    .readFileSync(path.join(dir, `requests-${day}.jsonl`), 'utf8')
    .trim()
    .split('\n');
  assert.equal(lines.length, 2, 'the queued line was written with the next one, in order');
  assert.equal(JSON.parse(lines[1]).prev_checksum, JSON.parse(lines[0]).checksum);
});
