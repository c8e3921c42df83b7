// HDDT self-logged monitoring (spec/hddt.md §4.5): one JSON line per request/response with the 13 HDDT
// fields, in daily files `requests-YYYY-MM-DD.jsonl` (UTC days), kept `retentionDays` and then deleted.
// Each line's checksum is SHA-256 over the previous line's checksum and the line itself, so removing,
// reordering or editing a line breaks the chain (`hddt-gateway logs verify`). Never tokens, never patient ids.
import fs from 'node:fs';
import path from 'node:path';
import { createHash } from 'node:crypto';

export interface RequestLogFields {
  timestamp: string;
  transaction_id: string;
  pairing_id: string | null;
  partner_id: string | null;
  interface_id: string;
  event_type: 'Transfer' | 'Connection' | 'Heartbeat';
  status: number;
  error_code: string | null;
  error_description: string | null;
  response_time_ms: number;
  data_volume_bytes: number;
  message: string;
}

export interface RequestLogLine extends RequestLogFields {
  prev_checksum: string;
  checksum: string;
}

export const GENESIS = '0'.repeat(64);
const FILE_RE = /^requests-(\d{4}-\d{2}-\d{2})\.jsonl$/;
const FIELD_ORDER: Array<keyof RequestLogFields> = [
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
];

/** The checksum of a line: over the previous checksum and the fields in a fixed order. */
export function lineChecksum(prev: string, fields: RequestLogFields): string {
  const h = createHash('sha256').update(prev).update('\n');
  h.update(JSON.stringify(FIELD_ORDER.map((k) => fields[k])));
  return h.digest('hex');
}

export function logFiles(dir: string): Array<{ day: string; file: string }> {
  if (!fs.existsSync(dir)) return [];
  return fs
    .readdirSync(dir)
    .map((n) => ({ n, m: FILE_RE.exec(n) }))
    .filter((x): x is { n: string; m: RegExpExecArray } => x.m !== null)
    .map((x) => ({ day: x.m[1], file: path.join(dir, x.n) }))
    .sort((a, b) => a.day.localeCompare(b.day));
}

function lastChecksum(dir: string): string {
  const files = logFiles(dir);
  for (let i = files.length - 1; i >= 0; i--) {
    const lines = fs.readFileSync(files[i].file, 'utf8').split('\n').filter(Boolean);
    const last = lines.at(-1);
    if (last) {
      try {
        return (JSON.parse(last) as RequestLogLine).checksum;
      } catch {
        return GENESIS;
      }
    }
  }
  return GENESIS;
}

export interface RequestLogOptions {
  dir: string;
  retentionDays: number;
  now?: () => Date;
  /** A write that failed (disk full, folder gone): the lines stay queued and are retried with the next. */
  onError?: (err: Error) => void;
}

export class RequestLog {
  private readonly dir: string;
  private readonly retentionDays: number;
  private readonly now: () => Date;
  private prev: string;
  private pending: Array<{ day: string; text: string }> = [];
  private scheduled = false;
  private readonly onError?: (err: Error) => void;
  private currentDay = '';

  constructor(opts: RequestLogOptions) {
    this.dir = opts.dir;
    this.retentionDays = opts.retentionDays;
    this.now = opts.now ?? (() => new Date());
    this.onError = opts.onError;
    fs.mkdirSync(this.dir, { recursive: true, mode: 0o700 });
    this.prev = lastChecksum(this.dir);
  }

  /** Chains and queues one line; lines are written together once per event-loop turn. */
  append(fields: RequestLogFields): RequestLogLine {
    const checksum = lineChecksum(this.prev, fields);
    const line: RequestLogLine = { ...fields, prev_checksum: this.prev, checksum };
    this.prev = checksum;
    const day = fields.timestamp.slice(0, 10);
    this.pending.push({ day, text: `${JSON.stringify(line)}\n` });
    if (!this.scheduled) {
      this.scheduled = true;
      // a failed write must not become an uncaught exception that takes the server down
      setImmediate(() => {
        try {
          this.flush();
        } catch (err) {
          this.onError?.(err as Error);
        }
      });
    }
    return line;
  }

  flush(): void {
    this.scheduled = false;
    const batch = this.pending;
    this.pending = [];
    const byDay = new Map<string, string>();
    for (const p of batch) byDay.set(p.day, (byDay.get(p.day) ?? '') + p.text);
    for (const [day, text] of byDay) {
      try {
        fs.appendFileSync(path.join(this.dir, `requests-${day}.jsonl`), text, { mode: 0o600 });
      } catch (err) {
        // keep this day's and later days' lines, in order, for the next attempt
        this.pending = [...batch.filter((p) => p.day >= day), ...this.pending];
        throw err;
      }
      if (day !== this.currentDay) {
        this.currentDay = day;
        this.prune();
      }
    }
  }

  /** Deletes files of days older than the retention period. */
  prune(): string[] {
    const cutoff = new Date(this.now().getTime() - this.retentionDays * 86_400_000)
      .toISOString()
      .slice(0, 10);
    const removed: string[] = [];
    for (const f of logFiles(this.dir)) {
      if (f.day < cutoff) {
        fs.rmSync(f.file, { force: true });
        removed.push(f.file);
      }
    }
    return removed;
  }

  close(): void {
    if (this.pending.length > 0) this.flush();
  }
}

export interface VerifyResult {
  ok: boolean;
  files: number;
  lines: number;
  /** The first broken place. */
  error?: { file: string; line: number; reason: string };
}

/**
 * Recomputes the chain over all files, oldest first. The oldest line's predecessor may have been deleted
 * by retention; from there on every link must hold, across file boundaries too.
 */
export function verifyLogs(dir: string): VerifyResult {
  const files = logFiles(dir);
  let prev: string | null = null;
  let lines = 0;
  for (const f of files) {
    const text = fs.readFileSync(f.file, 'utf8');
    const rows = text.split('\n');
    if (rows.at(-1) === '') rows.pop();
    for (let i = 0; i < rows.length; i++) {
      const fail = (reason: string): VerifyResult => ({
        ok: false,
        files: files.length,
        lines,
        error: { file: f.file, line: i + 1, reason },
      });
      let line: RequestLogLine;
      try {
        line = JSON.parse(rows[i]) as RequestLogLine;
      } catch {
        return fail('not JSON');
      }
      if (prev !== null && line.prev_checksum !== prev) return fail('does not chain to the previous line');
      if (lineChecksum(line.prev_checksum, line) !== line.checksum)
        return fail('checksum does not match the content');
      if (line.timestamp.slice(0, 10) !== f.day) return fail('line belongs to another day');
      prev = line.checksum;
      lines++;
    }
  }
  return { ok: true, files: files.length, lines };
}

export interface LogQuery {
  fromMs?: number;
  toMs?: number;
  client?: string;
  status?: number;
  transactionId?: string;
  interfaceId?: string;
}

export function* queryLogs(dir: string, q: LogQuery): Generator<RequestLogLine> {
  const fromDay = q.fromMs !== undefined ? new Date(q.fromMs).toISOString().slice(0, 10) : '';
  const toDay = q.toMs !== undefined ? new Date(q.toMs).toISOString().slice(0, 10) : '9999';
  for (const f of logFiles(dir)) {
    if (f.day < fromDay || f.day > toDay) continue;
    for (const row of fs.readFileSync(f.file, 'utf8').split('\n')) {
      if (!row) continue;
      const line = JSON.parse(row) as RequestLogLine;
      const t = Date.parse(line.timestamp);
      if (q.fromMs !== undefined && t < q.fromMs) continue;
      if (q.toMs !== undefined && t > q.toMs) continue;
      if (q.client !== undefined && line.partner_id !== q.client) continue;
      if (q.status !== undefined && line.status !== q.status) continue;
      if (q.transactionId !== undefined && line.transaction_id !== q.transactionId) continue;
      if (q.interfaceId !== undefined && line.interface_id !== q.interfaceId) continue;
      yield line;
    }
  }
}
