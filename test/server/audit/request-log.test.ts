import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { listRequestLogDays } from '../../../gateway/store/request-log-head.ts';
import { openStore, type Store } from '../../../gateway/store/store.ts';
import { logFiles } from '../../../server/audit/log-files.ts';
import {
  RequestLog,
  type RequestLogAlarm,
  type RequestLogFields,
  type RequestLogOptions,
} from '../../../server/audit/request-log.ts';
import { queryLogs, verifyLogs } from '../../../server/audit/request-log-verify.ts';
import { tempDir } from '../../helpers/tmp.ts';

const DAY = 86_400_000;
const T0 = Date.parse('2025-10-01T10:00:00Z');

function fields(ms: number, i: number, over: Partial<RequestLogFields> = {}): RequestLogFields {
  return {
    timestamp: new Date(ms).toISOString(),
    transaction_id: `req-${i}`,
    pairing_id: 'a'.repeat(64),
    partner_id: 'hub.example',
    client_id: i % 2 ? 'urn:diga:bfarm:10001' : 'urn:diga:bfarm:10002',
    interface_id: i % 3 ? 'fhir:Observation:search-type' : 'oauth:token',
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

interface Fixture {
  dir: string;
  store: Store;
  clock: { ms: number };
  open(opts?: Partial<RequestLogOptions>): RequestLog;
  /** Writes `days` days of 10 lines each, the clock moving along; returns the next line number. */
  fill(days: number, startMs?: number, first?: number): number;
  verify(): ReturnType<typeof verifyLogs>;
}

function fixture(t: { after: (fn: () => void) => void }): Fixture {
  const tmp = tempDir('reqlog-');
  const store = openStore({ path: path.join(tmp.dir, 'hddt.sqlite') });
  t.after(() => {
    store.close();
    tmp.cleanup();
  });
  const dir = path.join(tmp.dir, 'logs');
  const clock = { ms: T0 };
  const open = (opts: Partial<RequestLogOptions> = {}) =>
    new RequestLog({ dir, store, retentionDays: 30, now: () => new Date(clock.ms), ...opts });
  return {
    dir,
    store,
    clock,
    open,
    fill(days, startMs = T0, first = 0) {
      const log = open();
      let i = first;
      for (let d = 0; d < days; d++) {
        for (let k = 0; k < 10; k++) {
          clock.ms = startMs + d * DAY + k * 60_000;
          log.append(fields(clock.ms, i++));
        }
        log.flush();
      }
      log.close();
      return i;
    },
    verify: () => verifyLogs(dir, store, { retentionDays: 30 }),
  };
}

const linesOf = (file: string) => fs.readFileSync(file, 'utf8').trim().split('\n');

test('a clean log over daily files verifies; each line carries seq, both checksums and the HDDT fields', (t) => {
  const f = fixture(t);
  f.fill(3);
  assert.deepEqual(
    logFiles(f.dir).map((x) => x.day),
    ['2025-10-01', '2025-10-02', '2025-10-03'],
  );
  assert.deepEqual(f.verify(), {
    ok: true,
    files: 3,
    lines: 30,
    prunedDays: 0,
    unrecordedLines: 0,
    lastSeq: 30,
  });
  const line = JSON.parse(linesOf(logFiles(f.dir)[1]!.file)[0]!);
  assert.equal(line.seq, 11);
  assert.match(line.prev_checksum, /^[0-9a-f]{64}$/);
  assert.match(line.checksum, /^[0-9a-f]{64}$/);
  assert.equal(line.partner_id, 'hub.example');
  assert.deepEqual(
    listRequestLogDays(f.store).map((r) => [r.day, r.first_seq, r.last_seq]),
    [
      ['2025-10-01', 1, 10],
      ['2025-10-02', 11, 20],
      ['2025-10-03', 21, 30],
    ],
  );
});

test('tampering: an edited line with the chain recomputed is found (the key is not in the files)', (t) => {
  const f = fixture(t);
  f.fill(2);
  const file = logFiles(f.dir)[0]!.file;
  // What defeated the plain SHA-256 chain: edit a line, then recompute every checksum after it.
  let prev = '0'.repeat(64);
  const forged = linesOf(file).map((text, i) => {
    const o = JSON.parse(text);
    if (i === 3) o.status = 200;
    if (i === 3) o.message = 'edited';
    delete o.checksum;
    o.prev_checksum = prev;
    const body = JSON.stringify(o);
    const checksum = createHash('sha256').update(body).digest('hex');
    prev = checksum;
    return `${body.slice(0, -1)},"checksum":"${checksum}"}`;
  });
  fs.writeFileSync(file, `${forged.join('\n')}\n`);
  const r = f.verify();
  assert.equal(r.ok, false);
  assert.equal(r.error!.file, file);
  assert.equal(r.error!.line, 1);
  assert.match(r.error!.reason, /checksum does not match the content/);
});

test('tampering: an edited line without recomputing, reordered lines and garbage are found', (t) => {
  const f = fixture(t);
  f.fill(2);
  const file = logFiles(f.dir)[1]!.file;
  const original = fs.readFileSync(file, 'utf8');
  const lines = original.trim().split('\n');
  const tamper = (text: string, reason: RegExp, line: number) => {
    fs.writeFileSync(file, text);
    const r = f.verify();
    assert.equal(r.ok, false, text.slice(0, 80));
    assert.match(r.error!.reason, reason);
    assert.equal(r.error!.line, line);
    fs.writeFileSync(file, original);
  };
  tamper(original.replace('"status":200', '"status":201'), /checksum does not match/, 2);
  tamper([lines[1], lines[0], ...lines.slice(2)].join('\n') + '\n', /out of order|missing before/, 1);
  tamper([lines[0], ...lines.slice(2)].join('\n') + '\n', /1 lines missing before sequence 13/, 2);
  tamper(original + 'garbage\n', /not a log line/, 11);
  assert.equal(f.verify().ok, true);
});

test('tampering: the last line deleted is found (the head in the database is ahead of the file)', (t) => {
  const f = fixture(t);
  f.fill(2);
  const file = logFiles(f.dir)[1]!.file;
  const lines = linesOf(file);
  fs.writeFileSync(file, `${lines.slice(0, -1).join('\n')}\n`);
  const r = f.verify();
  assert.equal(r.ok, false);
  assert.equal(r.error!.file, file);
  assert.match(
    r.error!.reason,
    /1 lines missing at the end: the database recorded sequence 20, the file ends at 19/,
  );
  // the end of an older file too: the next file no longer chains to it
  fs.writeFileSync(file, `${lines.join('\n')}\n`);
  const first = logFiles(f.dir)[0]!.file;
  fs.writeFileSync(first, `${linesOf(first).slice(0, -2).join('\n')}\n`);
  assert.match(f.verify().error!.reason, /2 lines missing at the end/);
});

test('tampering: a deleted daily file is found, the newest as well as one in the middle', (t) => {
  const f = fixture(t);
  f.fill(3);
  const [, middle, newest] = logFiles(f.dir);
  const keep = fs.readFileSync(middle!.file);
  fs.rmSync(middle!.file);
  let r = f.verify();
  assert.equal(r.ok, false);
  assert.match(
    r.error!.reason,
    /the file of 2025-10-02 is missing \(lines 11-20 recorded; retention did not delete it\)/,
  );
  fs.writeFileSync(middle!.file, keep);
  fs.rmSync(newest!.file);
  r = f.verify();
  assert.equal(r.ok, false);
  assert.match(r.error!.reason, /the file of 2025-10-03 is missing/);
});

test('a restart continues the chain from the recorded head', (t) => {
  const f = fixture(t);
  const next = f.fill(2);
  f.fill(1, T0 + 2 * DAY, next); // a new RequestLog on the same folder and database
  f.fill(1, T0 + 2 * DAY + 3_600_000, next + 10); // and one more on the same day
  assert.deepEqual(f.verify(), {
    ok: true,
    files: 3,
    lines: 40,
    prunedDays: 0,
    unrecordedLines: 0,
    lastSeq: 40,
  });
});

test('retention deletes old days and records it: verify reports them as deleted, not as tampering', (t) => {
  const f = fixture(t);
  f.fill(3);
  f.clock.ms = T0 + 32 * DAY;
  const log = f.open(); // opening prunes
  assert.deepEqual(
    logFiles(f.dir).map((x) => x.day),
    ['2025-10-03'],
  );
  log.append(fields(f.clock.ms, 99));
  log.close();
  const r = f.verify();
  assert.deepEqual(r, { ok: true, files: 2, lines: 11, prunedDays: 2, unrecordedLines: 0, lastSeq: 31 });
  // the first remaining line still has to chain to the last line of the deleted days
  const file = logFiles(f.dir)[0]!.file;
  fs.writeFileSync(file, `${linesOf(file).slice(1).join('\n')}\n`);
  assert.match(f.verify().error!.reason, /1 lines missing before sequence 22 \(after 20\)/);
});

test('a day recorded as deleted by retention while it was inside the retention period is reported', (t) => {
  const f = fixture(t);
  f.fill(3);
  // prune with a clock 32 days on, then verify as if the retention were 40 days
  f.clock.ms = T0 + 32 * DAY;
  f.open().close();
  const r = verifyLogs(f.dir, f.store, { retentionDays: 40 });
  assert.equal(r.ok, false);
  assert.match(r.error!.reason, /recorded as deleted by retention inside the retention period/);
});

test('lines written after the last recorded head (stop between write and record) verify on their HMAC', (t) => {
  const f = fixture(t);
  f.fill(1);
  // roll the recorded head back 3 lines, as if the process had died before recording the last batch
  const file = logFiles(f.dir)[0]!.file;
  const seventh = JSON.parse(linesOf(file)[6]!);
  f.store.db
    .prepare('UPDATE request_log_days SET last_seq = 7, last_checksum = ? WHERE day = ?')
    .run(seventh.checksum, '2025-10-01');
  assert.deepEqual(f.verify(), {
    ok: true,
    files: 1,
    lines: 10,
    prunedDays: 0,
    unrecordedLines: 3,
    lastSeq: 10,
  });
  // and the writer continues after the file's last line, not after the older head
  f.fill(1, T0 + 3_600_000, 10);
  assert.equal(f.verify().lastSeq, 20);
  assert.equal(f.verify().ok, true);
});

test('a log checked against another database (another key) fails', (t) => {
  const f = fixture(t);
  f.fill(1);
  const other = openStore({ path: path.join(path.dirname(f.dir), 'other.sqlite') });
  t.after(() => other.close());
  other.secret('request-log-hmac-key', 32);
  const r = verifyLogs(f.dir, other);
  assert.equal(r.ok, false);
  assert.match(r.error!.reason, /checksum does not match/);
});

test('query filters by period, client, interface, status and transaction', (t) => {
  const f = fixture(t);
  f.fill(3);
  assert.equal([...queryLogs(f.dir, {})].length, 30);
  assert.equal([...queryLogs(f.dir, { fromMs: T0 + DAY, toMs: T0 + 2 * DAY - 1 })].length, 10);
  const client = [...queryLogs(f.dir, { client: 'urn:diga:bfarm:10001' })];
  assert.ok(client.length === 15 && client.every((l) => l.client_id === 'urn:diga:bfarm:10001'));
  assert.equal([...queryLogs(f.dir, { status: 404 })].length, 6);
  assert.equal([...queryLogs(f.dir, { interfaceId: 'oauth:token' })].length, 10);
  assert.deepEqual(
    [...queryLogs(f.dir, { transactionId: 'req-7' })].map((l) => l.seq),
    [8],
  );
});

test('at the cap: request lines are counted, not written; an alarm; the count is written; retention ends it', (t) => {
  const f = fixture(t);
  f.fill(1); // 10 lines on 2025-10-01
  const size = fs.statSync(logFiles(f.dir)[0]!.file).size;
  const alarms: RequestLogAlarm[] = [];
  const drops: string[] = [];
  f.clock.ms = T0 + DAY;
  const log = f.open({
    maxTotalBytes: Math.round(size * 1.5),
    onAlarm: (a) => alarms.push(a),
    onDrop: (r) => drops.push(r),
  });
  for (let i = 0; i < 20; i++) log.append(fields(f.clock.ms + i, 100 + i));
  log.flush();
  for (let i = 0; i < 30; i++) log.append(fields(f.clock.ms + 100 + i, 200 + i));
  assert.ok(log.status().capped);
  assert.equal(alarms.filter((a) => a.reason === 'cap' && a.active).length, 1, JSON.stringify(alarms));
  assert.match(alarms[0]!.message, /at its cap/);
  const written = linesOf(logFiles(f.dir)[1]!.file).length;
  assert.ok(written >= 4 && written <= 6, `${written} lines fit under the cap`);
  assert.equal(drops.length, 50 - written);
  // once a minute (and at close) the count is written, past the cap
  f.clock.ms += 60_000;
  log.tick();
  log.flush();
  const day2 = linesOf(logFiles(f.dir)[1]!.file).map((l) => JSON.parse(l));
  const counted = day2.at(-1);
  assert.equal(counted.interface_id, 'request-log');
  assert.equal(counted.event_type, 'Audit');
  assert.deepEqual(
    { reason: counted.dropped.reason, count: counted.dropped.count },
    { reason: 'cap', count: 50 - written },
  );
  assert.equal(f.verify().ok, true);
  // 31 days later retention deletes 2025-10-01: under the cap again, lines are written again
  f.clock.ms = T0 + 31 * DAY + 1000;
  log.tick();
  assert.equal(log.status().capped, false);
  assert.ok(alarms.some((a) => a.reason === 'cap' && !a.active && /below its cap/.test(a.message)));
  log.append(fields(f.clock.ms, 999));
  log.close();
  assert.equal(
    [...queryLogs(f.dir, { transactionId: 'req-999' })].length,
    1,
    'written after the cap was lifted',
  );
  const r = f.verify();
  assert.equal(r.ok, true, JSON.stringify(r.error));
  assert.equal(r.prunedDays, 1);
});

test('a failed write is no exception: lines stay queued (bounded), the rest counted, all written once it works', async (t) => {
  const f = fixture(t);
  f.clock.ms = Date.now();
  const alarms: RequestLogAlarm[] = [];
  const log = f.open({ maxQueuedLines: 5, onAlarm: (a) => alarms.push(a) });
  // a file where the folder should be: neither the folder nor a daily file can be made
  fs.rmSync(f.dir, { recursive: true, force: true });
  fs.writeFileSync(f.dir, '');
  for (let i = 0; i < 3; i++) log.append(fields(f.clock.ms + i, i));
  await new Promise((r) => setImmediate(r));
  assert.equal(alarms.length, 1);
  assert.equal(alarms[0]!.reason, 'write_failed');
  assert.match(alarms[0]!.message, /EEXIST|ENOTDIR/);
  for (let i = 3; i < 10; i++) log.append(fields(f.clock.ms + i, i));
  assert.deepEqual(
    { queued: log.status().queued, failing: log.status().writeFailing },
    { queued: 5, failing: true },
  );
  fs.rmSync(f.dir);
  log.flush(); // the retry (the writer waits a second between attempts)
  assert.ok(alarms.some((a) => a.reason === 'write_failed' && !a.active));
  log.close();
  const lines = [...queryLogs(f.dir, {})];
  assert.deepEqual(
    lines.slice(0, 5).map((l) => l.transaction_id),
    ['req-0', 'req-1', 'req-2', 'req-3', 'req-4'],
    'the queued lines, in order',
  );
  const counted = lines.find((l) => l.dropped);
  assert.deepEqual(counted?.dropped?.reason, 'queue_full');
  assert.equal(counted?.dropped?.count, 5);
  assert.equal(f.verify().ok, true);
});

test('an incomplete last line (the process died during a write) is cut at start, and that is logged', (t) => {
  const f = fixture(t);
  f.fill(1);
  const file = logFiles(f.dir)[0]!.file;
  const partial = '{"timestamp":"2025-10-01T10:10:00.000Z","transac';
  fs.appendFileSync(file, partial);
  assert.match(f.verify().error!.reason, /incomplete/);
  const log = f.open();
  log.close();
  const last = JSON.parse(linesOf(file).at(-1)!);
  assert.equal(
    last.message,
    `removed ${partial.length} bytes of an incomplete last line of 2025-10-01 (the gateway stopped during a write)`,
  );
  assert.equal(f.verify().ok, true);
});

test('a day whose head was never recorded (stopped right after its first lines) continues and is recorded', (t) => {
  const f = fixture(t);
  f.fill(2);
  f.store.db.prepare('DELETE FROM request_log_days WHERE day = ?').run('2025-10-02');
  assert.equal(f.verify().unrecordedLines, 10);
  f.fill(1, T0 + DAY + 3_600_000, 20); // same day, a new start
  assert.deepEqual(
    listRequestLogDays(f.store).map((r) => [r.day, r.first_seq, r.last_seq]),
    [
      ['2025-10-01', 1, 10],
      ['2025-10-02', 11, 30],
    ],
  );
  assert.deepEqual(f.verify(), {
    ok: true,
    files: 2,
    lines: 30,
    prunedDays: 0,
    unrecordedLines: 0,
    lastSeq: 30,
  });
});

test('a log folder removed while the gateway runs is made again with the next line', (t) => {
  const f = fixture(t);
  f.clock.ms = Date.now();
  const log = f.open();
  log.append(fields(f.clock.ms, 1));
  log.flush();
  fs.rmSync(f.dir, { recursive: true });
  log.append(fields(f.clock.ms + 1, 2));
  log.close();
  assert.deepEqual(
    [...queryLogs(f.dir, {})].map((l) => [l.seq, l.transaction_id]),
    [[2, 'req-2']],
  );
  // the removal itself is what verify reports
  assert.match(f.verify().error!.reason, /1 lines missing before sequence 2 \(after 0\)/);
});
