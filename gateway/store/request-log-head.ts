// The recorded head of the HDDT request log (migration 11) and the key its lines are authenticated with. The
// chain itself is made and checked in server/audit/.
import type { Store } from './store.ts';

/** Name of the HMAC key of the request log in the settings table (Store.secret). */
export const REQUEST_LOG_KEY = 'request-log-hmac-key';

export interface RequestLogDayRow {
  day: string;
  first_seq: number;
  last_seq: number;
  last_checksum: string;
  bytes: number;
  updated_ms: number;
  pruned_ms: number | null;
}

export interface RequestLogDayHead {
  day: string;
  firstSeq: number;
  lastSeq: number;
  lastChecksum: string;
  bytes: number;
}

/** The key, made on first use. */
export function requestLogKey(store: Store): Buffer {
  return store.secret(REQUEST_LOG_KEY, 32);
}

/** The key if one was made, without making one (read-only stores, `logs verify`). */
export function existingRequestLogKey(store: Store): Buffer | undefined {
  return store.prepare<{ value: Buffer }>('SELECT value FROM settings WHERE key = ?').get(REQUEST_LOG_KEY)
    ?.value;
}

/** Every recorded day, oldest first; none when the database predates the table. */
export function listRequestLogDays(store: Store): RequestLogDayRow[] {
  const table = store
    .prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'request_log_days'")
    .get();
  if (!table) return [];
  return store.prepare<RequestLogDayRow>('SELECT * FROM request_log_days ORDER BY day').all();
}

/**
 * Records the heads of the days just written. Committed without its own fsync (synchronous NORMAL for this
 * commit, as the outbox's sent mark): it is written after every batch of lines, and a head lost on power loss
 * only leaves the file ahead of it, which `logs verify` accepts (the lines carry their own HMAC).
 */
export function recordRequestLogDays(store: Store, heads: RequestLogDayHead[], nowMs: number): void {
  const previous = store.prepare('PRAGMA synchronous').pluck().get() as number;
  store.prepare('PRAGMA synchronous = NORMAL').run();
  try {
    store.transaction(() => {
      const upsert = store.prepare(
        `INSERT INTO request_log_days (day, first_seq, last_seq, last_checksum, bytes, updated_ms)
         VALUES (@day, @firstSeq, @lastSeq, @lastChecksum, @bytes, @nowMs)
         ON CONFLICT (day) DO UPDATE SET first_seq = MIN(first_seq, excluded.first_seq),
           last_seq = excluded.last_seq, last_checksum = excluded.last_checksum, bytes = excluded.bytes,
           updated_ms = excluded.updated_ms
         WHERE excluded.last_seq >= request_log_days.last_seq`,
      );
      for (const h of heads) upsert.run({ ...h, nowMs });
    });
  } finally {
    store.prepare(`PRAGMA synchronous = ${Number(previous)}`).run();
  }
}

/** Records that retention deleted the file of `day` (before it is deleted: a failed write keeps the file). */
export function markRequestLogDayPruned(store: Store, day: string, nowMs: number): void {
  store
    .prepare('UPDATE request_log_days SET pruned_ms = ? WHERE day = ? AND pruned_ms IS NULL')
    .run(nowMs, day);
}
