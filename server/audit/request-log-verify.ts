// `logs verify` and `logs query` over the request log (request-log.ts). Verification recomputes every line's
// HMAC under the key in the database and follows the sequence numbers and previous checksums across all daily
// files and the days retention deleted, then compares each file with the head recorded in the database: an
// edited line (even with the chain recomputed), lines cut off the end and a deleted file each fail; days
// deleted by retention are reported as such, and lines written after the last recorded head (a stop between
// the write and the record) are accepted on their HMAC.
import fs from 'node:fs';
import {
  existingRequestLogKey,
  listRequestLogDays,
  type RequestLogDayRow,
} from '../../gateway/store/request-log-head.ts';
import { openStore, type Store } from '../../gateway/store/store.ts';
import { logFileOf, logFiles, readLines, type LogFile } from './log-files.ts';
import { decodeLine, GENESIS, lineMac, type RequestLogLine } from './request-log-line.ts';

const DAY_MS = 86_400_000;

export interface VerifyOptions {
  /** Retention of the configuration: a day recorded as deleted by retention must be older than this. */
  retentionDays?: number;
}

export interface VerifyResult {
  ok: boolean;
  files: number;
  lines: number;
  /** Days whose files retention deleted, as recorded in the database. */
  prunedDays: number;
  /** Lines past the head recorded in the database (authentic by their HMAC). */
  unrecordedLines: number;
  /** Sequence number of the last line. */
  lastSeq: number;
  /** The first broken place. */
  error?: { file: string; line: number; reason: string };
}

interface Link {
  seq: number;
  checksum: string;
}

class Broken extends Error {
  readonly file: string;
  readonly line: number;

  constructor(file: string, line: number, reason: string) {
    super(reason);
    this.file = file;
    this.line = line;
  }
}

export function verifyLogs(dir: string, store: Store, opts: VerifyOptions = {}): VerifyResult {
  const result = verifyOnce(dir, store, opts);
  // retention may have deleted a day between reading the head and listing the files: look once more
  return result.error?.line === 0 ? verifyOnce(dir, store, opts) : result;
}

/** verifyLogs with the database file opened read-only for the check (CLI, tests of other processes' logs). */
export function verifyLogsAt(dir: string, dbFile: string, opts: VerifyOptions = {}): VerifyResult {
  if (!fs.existsSync(dbFile))
    throw new Error(`no database at ${dbFile}: it holds the request log's key and head`);
  const store = openStore({ path: dbFile, readonly: true });
  try {
    return verifyLogs(dir, store, opts);
  } finally {
    store.close();
  }
}

function verifyOnce(dir: string, store: Store, opts: VerifyOptions): VerifyResult {
  // The head first: lines written while this runs are then past it, never missing from it.
  const rows = listRequestLogDays(store);
  const key = existingRequestLogKey(store);
  const files = logFiles(dir);
  const result: VerifyResult = {
    ok: true,
    files: files.length,
    lines: 0,
    prunedDays: 0,
    unrecordedLines: 0,
    lastSeq: 0,
  };
  try {
    let prev: Link = { seq: 0, checksum: GENESIS };
    const fileByDay = new Map(files.map((f) => [f.day, f]));
    const rowByDay = new Map(rows.map((r) => [r.day, r]));
    const days = [...new Set([...fileByDay.keys(), ...rowByDay.keys()])].sort();
    for (const day of days) {
      const file = fileByDay.get(day);
      const row = rowByDay.get(day);
      if (!file) {
        prev = deletedDay(dir, row!, prev, opts);
        result.prunedDays++;
        continue;
      }
      if (!key)
        throw new Broken(file.file, 1, 'the database holds no request log key: these lines are not its');
      const r = verifyFile(file, key, prev, row);
      result.lines += r.lines;
      result.unrecordedLines += r.last.seq - (row?.last_seq ?? r.firstSeq - 1);
      prev = r.last;
    }
    result.lastSeq = prev.seq;
  } catch (err) {
    if (!(err instanceof Broken)) throw err;
    return { ...result, ok: false, error: { file: err.file, line: err.line, reason: err.message } };
  }
  return result;
}

function deletedDay(dir: string, row: RequestLogDayRow, prev: Link, opts: VerifyOptions): Link {
  const file = logFileOf(dir, row.day);
  const span = `lines ${row.first_seq}-${row.last_seq}`;
  if (row.pruned_ms === null)
    throw new Broken(
      file,
      0,
      `the file of ${row.day} is missing (${span} recorded; retention did not delete it)`,
    );
  if (opts.retentionDays !== undefined) {
    const cutoff = new Date(row.pruned_ms - opts.retentionDays * DAY_MS).toISOString().slice(0, 10);
    if (row.day >= cutoff)
      throw new Broken(
        file,
        0,
        `the file of ${row.day} is recorded as deleted by retention inside the retention period`,
      );
  }
  if (row.first_seq !== prev.seq + 1)
    throw new Broken(
      file,
      1,
      `${row.first_seq - prev.seq - 1} lines missing before ${row.day} (deleted day, ${span})`,
    );
  return { seq: row.last_seq, checksum: row.last_checksum };
}

function verifyFile(f: LogFile, key: Buffer, start: Link, row: RequestLogDayRow | undefined) {
  let prev = start;
  let atRecorded: string | undefined;
  let firstSeq = 0;
  let count = 0;
  for (const { text, partial } of readLines(f.file)) {
    count++;
    const fail = (reason: string) => new Broken(f.file, count, reason);
    if (partial) throw fail('the last line is incomplete');
    const d = decodeLine(text);
    if (typeof d === 'string') throw fail(d);
    const { line } = d;
    if (lineMac(key, d.body) !== line.checksum)
      throw fail('checksum does not match the content (edited, or not written by this gateway)');
    if (line.seq !== prev.seq + 1) {
      throw fail(
        line.seq > prev.seq
          ? `${line.seq - prev.seq - 1} lines missing before sequence ${line.seq} (after ${prev.seq})`
          : `sequence ${line.seq} out of order (after ${prev.seq})`,
      );
    }
    if (line.prev_checksum !== prev.checksum) throw fail('does not chain to the previous line');
    if (count === 1) firstSeq = line.seq;
    if (row && line.seq === row.last_seq) atRecorded = line.checksum;
    prev = { seq: line.seq, checksum: line.checksum };
  }
  if (row) checkAgainstHead(f, row, { count, firstSeq, last: prev, atRecorded });
  return { lines: count, firstSeq, last: prev };
}

/** The file against the head recorded in the database: the same start, nothing cut off the end. */
function checkAgainstHead(
  f: LogFile,
  row: RequestLogDayRow,
  got: { count: number; firstSeq: number; last: Link; atRecorded: string | undefined },
): void {
  if (got.count === 0 || got.firstSeq !== row.first_seq)
    throw new Broken(
      f.file,
      1,
      `the file starts at sequence ${got.firstSeq}, the database recorded ${row.first_seq}`,
    );
  if (got.last.seq < row.last_seq)
    throw new Broken(
      f.file,
      got.count,
      `${row.last_seq - got.last.seq} lines missing at the end: the database recorded sequence ${row.last_seq}, the file ends at ${got.last.seq}`,
    );
  if (got.atRecorded !== row.last_checksum)
    throw new Broken(
      f.file,
      row.last_seq - got.firstSeq + 1,
      'the line differs from the checksum recorded in the database',
    );
}

export interface LogQuery {
  fromMs?: number;
  toMs?: number;
  /** The DiGA's client_id. */
  client?: string;
  status?: number;
  transactionId?: string;
  interfaceId?: string;
}

/** Lines matching every given filter, oldest first (lines that do not parse are skipped: verify names them). */
export function* queryLogs(dir: string, q: LogQuery): Generator<RequestLogLine> {
  const fromDay = q.fromMs !== undefined ? new Date(q.fromMs).toISOString().slice(0, 10) : '';
  const toDay = q.toMs !== undefined ? new Date(q.toMs).toISOString().slice(0, 10) : '9999';
  for (const f of logFiles(dir)) {
    // a file holds the lines written on its day
    if (f.day < fromDay || f.day > toDay) continue;
    for (const { text } of readLines(f.file)) {
      const d = decodeLine(text);
      if (typeof d === 'string') continue;
      const line = d.line;
      const t = Date.parse(line.timestamp);
      if (q.fromMs !== undefined && t < q.fromMs) continue;
      if (q.toMs !== undefined && t > q.toMs) continue;
      if (q.client !== undefined && line.client_id !== q.client) continue;
      if (q.status !== undefined && line.status !== q.status) continue;
      if (q.transactionId !== undefined && line.transaction_id !== q.transactionId) continue;
      if (q.interfaceId !== undefined && line.interface_id !== q.interfaceId) continue;
      yield line;
    }
  }
}
