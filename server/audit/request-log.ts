// HDDT self-logged monitoring (spec/hddt.md §4.5): one JSON line per request/response (request-log-line.ts), in
// daily files `requests-YYYY-MM-DD.jsonl` (UTC days), kept `retentionDays` and then deleted, each deletion
// recorded in the database. Lines are chained by an HMAC under a key in the database, and the head (sequence,
// checksum, size per day) is recorded there too (gateway/store/request-log-head.ts; at most once a second and at
// every stop), so edits, lines cut off the end and deleted files show in `hddt-gateway logs verify`.
//
// The log cannot fill the disk: past `maxTotalBytes` over all daily files it stops writing request lines and
// counts them instead (one `dropped` line a minute, an alarm), until retention deletes a day; old days are never
// deleted early, HDDT wants 30 days audit-proof. A write that fails (disk full) keeps up to `maxQueuedLines`
// lines for the next attempt and counts the rest the same way; nothing throws into the server.
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import {
  markRequestLogDayPruned,
  recordRequestLogDays,
  requestLogKey,
  type RequestLogDayHead,
} from '../../gateway/store/request-log-head.ts';
import type { Store } from '../../gateway/store/store.ts';
import { appendWhole, fileSize, logFileOf, logFiles } from './log-files.ts';
import { encodeLine, GENESIS, type DroppedInfo, type RequestLogFields } from './request-log-line.ts';
import { resumePoint } from './request-log-resume.ts';
import { REQUEST_LOG_DEFAULTS } from './request-log-settings.ts';

export { logFiles } from './log-files.ts';
export { GENESIS, type RequestLogFields, type RequestLogLine } from './request-log-line.ts';

const DAY_MS = 86_400_000;
const RETRY_MS = 1_000;
const REPEAT_ALARM_MS = 60_000;
/** The head is recorded at most this often (a commit costs ~50 µs), at every new day, at prune and at close. */
const HEAD_INTERVAL_MS = 1_000;

export type DropReason = DroppedInfo['reason'];

export interface RequestLogAlarm {
  reason: DropReason | 'write_failed';
  /** true when the condition starts (or goes on: repeated at most once a minute), false when it ends. */
  active: boolean;
  message: string;
}

export interface RequestLogOptions {
  dir: string;
  /** Holds the HMAC key and the recorded head. */
  store: Store;
  retentionDays: number;
  /** Cap over all daily files (default REQUEST_LOG_DEFAULTS). */
  maxTotalBytes?: number;
  /** Lines kept in memory while writes fail. */
  maxQueuedLines?: number;
  now?: () => Date;
  onAlarm?: (alarm: RequestLogAlarm) => void;
  /** Called for every line not written (metrics). */
  onDrop?: (reason: DropReason) => void;
}

export interface RequestLogStatus {
  totalBytes: number;
  capped: boolean;
  writeFailing: boolean;
  queued: number;
  seq: number;
}

const dayOf = (ms: number) => new Date(ms).toISOString().slice(0, 10);

export class RequestLog {
  private readonly dir: string;
  private readonly store: Store;
  private readonly key: Buffer;
  private readonly retentionDays: number;
  private readonly maxTotalBytes: number;
  private readonly maxQueuedLines: number;
  private readonly now: () => Date;
  private readonly onAlarm: (alarm: RequestLogAlarm) => void;
  private readonly onDrop: (reason: DropReason) => void;
  private seq = 0;
  private prev = GENESIS;
  private current: RequestLogDayHead | undefined;
  private readonly unrecorded = new Map<string, RequestLogDayHead>();
  private totalBytes = 0;
  private queue: RequestLogFields[] = [];
  private readonly drops = new Map<DropReason, { count: number; sinceMs: number }>();
  private capped = false;
  private failingSinceMs: number | null = null;
  private lastFailAlarmMs = 0;
  private lastRecordMs = 0;
  private lastSummaryMs = 0;
  private prunedThrough = '';
  private scheduled = false;
  private closed = false;

  constructor(opts: RequestLogOptions) {
    this.dir = opts.dir;
    this.store = opts.store;
    this.retentionDays = opts.retentionDays;
    this.maxTotalBytes = opts.maxTotalBytes ?? REQUEST_LOG_DEFAULTS.maxTotalBytes;
    this.maxQueuedLines = opts.maxQueuedLines ?? REQUEST_LOG_DEFAULTS.maxQueuedLines;
    this.now = opts.now ?? (() => new Date());
    this.onAlarm = opts.onAlarm ?? (() => undefined);
    this.onDrop = opts.onDrop ?? (() => undefined);
    this.key = requestLogKey(this.store);
    this.resume();
    this.prune();
    if (this.totalBytes >= this.maxTotalBytes) this.enterCap();
  }

  /** Continues the chain where it stopped (request-log-resume.ts). */
  private resume(): void {
    const point = resumePoint(this.dir, this.store, this.key);
    [this.seq, this.prev, this.current, this.totalBytes] = [
      point.seq,
      point.prev,
      point.current,
      point.totalBytes,
    ];
    if (point.current && point.unrecorded) this.unrecorded.set(point.current.day, { ...point.current });
    if (point.cut) {
      const { bytes, day } = point.cut;
      this.queue.push(
        this.auditLine(
          `removed ${bytes} bytes of an incomplete last line of ${day} (the gateway stopped during a write)`,
        ),
      );
    }
  }

  /** Queues one line; lines are chained and written together once per event-loop turn. */
  append(fields: RequestLogFields): void {
    if (this.closed) return;
    if (this.capped) return this.drop('cap');
    if (this.queue.length >= this.maxQueuedLines) return this.drop('queue_full');
    this.queue.push(fields);
    this.schedule();
  }

  private schedule(): void {
    if (this.scheduled || this.closed) return;
    this.scheduled = true;
    const run = () => {
      if (!this.closed) this.flush();
    };
    if (this.failingSinceMs === null) setImmediate(run);
    else setTimeout(run, RETRY_MS).unref();
  }

  private drop(reason: DropReason): void {
    let d = this.drops.get(reason);
    if (!d) {
      d = { count: 0, sinceMs: this.now().getTime() };
      // the first count of what is dropped is written a minute later
      if (this.drops.size === 0) this.lastSummaryMs = d.sinceMs;
      this.drops.set(reason, d);
    }
    d.count++;
    this.onDrop(reason);
  }

  private enterCap(): void {
    if (this.capped) return;
    this.capped = true;
    this.onAlarm({
      reason: 'cap',
      active: true,
      message:
        `request log at its cap: ${this.totalBytes} bytes in daily files (maxTotalBytes ${this.maxTotalBytes}); ` +
        'request lines are counted, not written, until retention deletes the oldest day',
    });
  }

  /** Chains and writes what is queued; a failed write keeps the unwritten lines queued. */
  flush(): void {
    this.scheduled = false;
    if (this.queue.length === 0) return;
    const groups = this.chain(this.queue.splice(0));
    let wrote = false;
    for (let g = 0; g < groups.length; g++) {
      const group = groups[g]!;
      const file = logFileOf(this.dir, group.day);
      try {
        // made here, not once: a folder removed while running comes back with the next line
        fs.mkdirSync(this.dir, { recursive: true, mode: 0o700 });
        appendWhole(file, group.text);
      } catch (err) {
        this.queue = [...groups.slice(g).flatMap((x) => x.fields), ...this.queue];
        this.writeFailed(err as Error);
        return;
      }
      wrote = true;
      this.seq = group.lastSeq;
      this.prev = group.checksum;
      this.totalBytes += group.bytes;
      const sameDay = this.current?.day === group.day;
      this.current = {
        day: group.day,
        firstSeq: sameDay ? this.current!.firstSeq : group.firstSeq,
        lastSeq: group.lastSeq,
        lastChecksum: group.checksum,
        bytes: fileSize(file),
      };
      this.unrecorded.set(group.day, { ...this.current });
      if (!sameDay) this.prune();
    }
    if (wrote) this.written();
  }

  /** Sequence numbers and checksums for a batch, in runs of one day each; lines past the cap are dropped. */
  private chain(batch: RequestLogFields[]) {
    const groups: Array<{
      day: string;
      text: string;
      bytes: number;
      fields: RequestLogFields[];
      firstSeq: number;
      lastSeq: number;
      checksum: string;
    }> = [];
    let [seq, prev, day, bytes] = [this.seq, this.prev, this.current?.day ?? '', 0];
    for (const f of batch) {
      // the counts of what was dropped are written past the cap: at most one line a minute
      if (!f.dropped && this.totalBytes + bytes >= this.maxTotalBytes) {
        this.enterCap();
        this.drop('cap');
        continue;
      }
      const lineDay = f.timestamp.slice(0, 10);
      if (lineDay > day) day = lineDay; // a clock stepping back does not reopen yesterday's file
      seq++;
      const { text, checksum } = encodeLine(this.key, seq, prev, f);
      prev = checksum;
      const size = Buffer.byteLength(text, 'utf8');
      bytes += size;
      let g = groups.at(-1);
      if (!g || g.day !== day) {
        g = { day, text: '', bytes: 0, fields: [], firstSeq: seq, lastSeq: seq, checksum };
        groups.push(g);
      }
      g.text += text;
      g.bytes += size;
      g.fields.push(f);
      g.lastSeq = seq;
      g.checksum = checksum;
    }
    return groups;
  }

  private writeFailed(err: Error): void {
    const nowMs = this.now().getTime();
    if (this.failingSinceMs === null || nowMs - this.lastFailAlarmMs >= REPEAT_ALARM_MS) {
      this.failingSinceMs ??= nowMs;
      this.lastFailAlarmMs = nowMs;
      this.onAlarm({
        reason: 'write_failed',
        active: true,
        message: `request log write failed (${err.message}); ${this.queue.length} lines kept for retry, at most ${this.maxQueuedLines}`,
      });
    }
    this.schedule();
  }

  /** After a successful write: record the head, end a write failure. */
  private written(): void {
    if (this.now().getTime() - this.lastRecordMs >= HEAD_INTERVAL_MS) this.recordHeads();
    if (this.failingSinceMs !== null) {
      this.failingSinceMs = null;
      this.onAlarm({ reason: 'write_failed', active: false, message: 'request log writes again' });
    }
    if (this.queue.length > 0) this.schedule();
  }

  private recordHeads(): void {
    if (this.unrecorded.size === 0) return;
    try {
      this.lastRecordMs = this.now().getTime();
      recordRequestLogDays(this.store, [...this.unrecorded.values()], this.lastRecordMs);
      this.unrecorded.clear();
    } catch (err) {
      // the file is ahead of the recorded head, which verify accepts; tried again after the next write
      const nowMs = this.now().getTime();
      if (nowMs - this.lastFailAlarmMs >= REPEAT_ALARM_MS) {
        this.lastFailAlarmMs = nowMs;
        this.onAlarm({
          reason: 'write_failed',
          active: true,
          message: `request log head not recorded in the database (${(err as Error).message})`,
        });
      }
    }
  }

  /** Housekeeping, once a second from the server: retention at a new day, the minute's count of drops. */
  tick(): void {
    const nowMs = this.now().getTime();
    if (dayOf(nowMs) !== this.prunedThrough) this.prune();
    if (this.drops.size > 0 && nowMs - this.lastSummaryMs >= 60_000) this.queueDropCounts();
    if (this.failingSinceMs === null) this.recordHeads();
  }

  private queueDropCounts(): void {
    const now = this.now();
    this.lastSummaryMs = now.getTime();
    const lines = [...this.drops].map(([reason, d]) => {
      const what = reason === 'cap' ? 'the log reached its cap' : 'writes failed and the queue was full';
      return {
        ...this.auditLine(`${d.count} request lines not written: ${what}`),
        error_code: `log_${reason}`,
        dropped: {
          reason,
          count: d.count,
          period_start: new Date(d.sinceMs).toISOString(),
          period_end: now.toISOString(),
        },
      };
    });
    this.drops.clear();
    this.queue.unshift(...lines);
    this.schedule();
  }

  private auditLine(message: string): RequestLogFields {
    return {
      timestamp: this.now().toISOString(),
      transaction_id: randomUUID(),
      pairing_id: null,
      partner_id: null,
      client_id: null,
      interface_id: 'request-log',
      event_type: 'Audit',
      status: 0,
      error_code: null,
      error_description: null,
      response_time_ms: 0,
      data_volume_bytes: 0,
      message,
    };
  }

  /** Deletes the files of days past the retention period, recording each deletion first. */
  prune(): string[] {
    const nowMs = this.now().getTime();
    const cutoff = dayOf(nowMs - this.retentionDays * DAY_MS);
    const removed: string[] = [];
    this.recordHeads();
    for (const f of logFiles(this.dir)) {
      if (f.day >= cutoff) break;
      try {
        markRequestLogDayPruned(this.store, f.day, nowMs);
        const size = fileSize(f.file);
        fs.rmSync(f.file, { force: true });
        this.totalBytes -= size;
        removed.push(f.file);
      } catch {
        break; // recorded or deleted next time; the file stays until then
      }
    }
    this.prunedThrough = dayOf(nowMs);
    if (this.capped && this.totalBytes < this.maxTotalBytes) {
      this.capped = false;
      this.onAlarm({
        reason: 'cap',
        active: false,
        message: `request log below its cap again (${this.totalBytes} bytes): request lines are written again`,
      });
    }
    return removed;
  }

  status(): RequestLogStatus {
    return {
      totalBytes: this.totalBytes,
      capped: this.capped,
      writeFailing: this.failingSinceMs !== null,
      queued: this.queue.length,
      seq: this.seq,
    };
  }

  /** Writes what is queued and the counts of what was dropped; later appends are ignored. */
  close(): void {
    if (this.closed) return;
    if (this.drops.size > 0) this.queueDropCounts();
    this.flush();
    this.recordHeads();
    this.closed = true;
  }
}
