// The outbox: changes that must travel upward, in commit order, as rows (gateway/sync encodes them). Rows are
// written inside the transaction of the change (see gateway/sync/outbox-writer.ts), counted as sent once the
// broker's PUBACK moved the sent mark past them, and pruned once the recorder confirmed them end to end (or
// right after PUBACK when end-to-end acks are off).
import type { ResourceRow } from './resources.ts';
import { boundLimit, type Store } from './store.ts';

type Nullable<T> = { [K in keyof T]: T[K] | null };

/** A resource entry's copy of the resource row's columns (null on an assignment entry). */
type ResourceColumns = Nullable<
  Pick<
    ResourceRow,
    | 'version'
    | 'last_updated_ms'
    | 'code'
    | 'effective_start_ms'
    | 'effective_end_ms'
    | 'value'
    | 'unit'
    | 'ref'
    | 'status'
    | 'json'
  >
>;

export interface OutboxRow extends ResourceColumns {
  seq: number;
  created_ms: number;
  kind: 'resource' | 'assignment';
  device_key: string;
  res_type: string | null;
  res_id: string | null;
  patient: string | null;
  at_ms: number | null;
  /** An assignment's period: from, and until (null while open). */
  from_ms: number | null;
  until_ms: number | null;
  sent_ms: number | null;
}

/** Queues a resource version with its search columns (AUTOINCREMENT numbers it). */
export function enqueueResource(store: Store, row: ResourceRow, nowMs: number): void {
  store
    .prepare(
      `INSERT INTO outbox (created_ms, kind, device_key, res_type, res_id, version, last_updated_ms, code,
         effective_start_ms, effective_end_ms, value, unit, ref, status, json)
       VALUES (@created_ms, 'resource', @device_key, @type, @id, @version, @last_updated_ms, @code,
         @effective_start_ms, @effective_end_ms, @value, @unit, @ref, @status, @json)`,
    )
    // The row's columns bound by name, as writeResourceRow binds them.
    .run({ ...row, created_ms: nowMs });
}

/** An assignment period as it travels: the patient as its pseudonymous handle, never the internal id. */
export interface PeriodEntry {
  deviceKey: string;
  patientHandle: string;
  fromMs: number;
  untilMs: number | null;
}

/** Queues an assignment period (opened or closed at `atMs`). */
export function enqueueAssignment(store: Store, period: PeriodEntry, atMs: number, nowMs: number): void {
  store
    .prepare(
      `INSERT INTO outbox (created_ms, kind, device_key, patient, at_ms, from_ms, until_ms)
       VALUES (@created_ms, 'assignment', @device_key, @patient, @at_ms, @from_ms, @until_ms)`,
    )
    .run({
      created_ms: nowMs,
      device_key: period.deviceKey,
      patient: period.patientHandle,
      at_ms: atMs,
      from_ms: period.fromMs,
      until_ms: period.untilMs,
    });
}

/**
 * Unsent entries after `afterSeq`, oldest first. Pass `max(cursor, sentThrough())`: entries at or below the sent
 * mark are sent. (`sent_ms IS NULL` only picks the partial index; see sentThrough for legacy rows.)
 */
export function nextUnsent(store: Store, afterSeq: number, limit: number): OutboxRow[] {
  // Rows as arrays, made into objects here: better-sqlite3 builds row objects key by key, which cost as much as
  // reading the rows (the drain reads every entry once).
  const rows = store
    .prepare<unknown[]>(
      `SELECT seq, created_ms, kind, device_key, res_type, res_id, version, last_updated_ms, code, effective_start_ms,
         effective_end_ms, value, unit, ref, status, json, patient, at_ms, from_ms, until_ms, sent_ms
       FROM outbox WHERE sent_ms IS NULL AND seq > ? ORDER BY seq ${boundLimit()}`,
    )
    .raw(true)
    .all(afterSeq, limit) as RawRow[];
  const out: OutboxRow[] = new Array<OutboxRow>(rows.length);
  for (let i = 0; i < rows.length; i++) {
    const r = rows[i];
    out[i] = {
      seq: r[0],
      created_ms: r[1],
      kind: r[2],
      device_key: r[3],
      res_type: r[4],
      res_id: r[5],
      version: r[6],
      last_updated_ms: r[7],
      code: r[8],
      effective_start_ms: r[9],
      effective_end_ms: r[10],
      value: r[11],
      unit: r[12],
      ref: r[13],
      status: r[14],
      json: r[15],
      patient: r[16],
      at_ms: r[17],
      from_ms: r[18],
      until_ms: r[19],
      sent_ms: r[20],
    };
  }
  return out;
}

type RawRow = [
  number,
  number,
  OutboxRow['kind'],
  string,
  string | null,
  string | null,
  number | null,
  number | null,
  string | null,
  number | null,
  number | null,
  number | null,
  string | null,
  string | null,
  string | null,
  string | null,
  string | null,
  number | null,
  number | null,
  number | null,
  number | null,
];

// What was sent is one number, the sent mark: every entry up to it was acknowledged by the broker (PUBACK).
// One publisher sends the entries in sequence order and advances the mark only over a gap-free run of
// acknowledged batches, and sequence numbers are committed in increasing order, so the sent entries are always
// a prefix of the outbox. Marking a batch is then one small row in `settings`, not a rewrite of every entry row
// (each holds its resource JSON: rewriting them cost more than the whole publish). The per-row `sent_ms` column
// of migration 3 is no longer written; a database from before is converted once by loadSentMark.
const SENT_MARK_KEY = 'sync-outbox-sent-mark';

export interface SentMark {
  /** Every entry with seq <= through was acknowledged by the broker. */
  through: number;
  /** When the mark last moved forward (ms), 0 if never. */
  atMs: number;
}

function readSentMark(store: Store): SentMark | undefined {
  const row = store.prepare<{ value: Buffer }>('SELECT value FROM settings WHERE key = ?').get(SENT_MARK_KEY);
  if (!row) return undefined;
  const v = JSON.parse(row.value.toString('utf8')) as { through: number; at: number };
  return { through: v.through, atMs: v.at };
}

function writeSentMark(store: Store, mark: SentMark): void {
  store
    .prepare(
      'INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value',
    )
    .run(SENT_MARK_KEY, Buffer.from(JSON.stringify({ through: mark.through, at: mark.atMs })));
}

/** A database whose rows carry their own sent_ms (before the sent mark): sent through the first unsent - 1. */
function legacySentThrough(store: Store): number {
  const lo = store
    .prepare<{ lo: number | null }>('SELECT MIN(seq) AS lo FROM outbox WHERE sent_ms IS NULL')
    .get()!.lo;
  return lo === null ? lastSeq(store) : lo - 1;
}

/** The sent mark (read-only: on a database the publisher never converted, derived from the legacy rows). */
export function sentMark(store: Store): SentMark {
  return readSentMark(store) ?? { through: legacySentThrough(store), atMs: 0 };
}

export function sentThrough(store: Store): number {
  return sentMark(store).through;
}

/**
 * The sent mark, stored on first use: legacy rows after it that carry a sent_ms go back in the queue (sent
 * again, at least once), so from here on "unsent" is exactly `seq > through`.
 */
export function loadSentMark(store: Store): SentMark {
  return store.transaction(() => {
    const stored = readSentMark(store);
    if (stored) return stored;
    const mark = { through: legacySentThrough(store), atMs: 0 };
    store.prepare('UPDATE outbox SET sent_ms = NULL WHERE seq > ? AND sent_ms IS NOT NULL').run(mark.through);
    writeSentMark(store, mark);
    return mark;
  });
}

/**
 * Moves the sent mark forward to `through` (never back: see resendAfter). The caller must have the broker's
 * PUBACK for every entry up to `through`. Committed without its own fsync (synchronous NORMAL for this commit
 * only; the next FULL commit syncs it along): losing a mark on power loss costs a resend, which the recorder
 * ignores, while an fsync per PUBACK batch would cap the drain rate.
 */
export function markSent(store: Store, through: number, nowMs: number): void {
  // Prepared once (db.pragma() prepares on every call, three times per mark).
  const previous = store.prepare('PRAGMA synchronous').pluck().get() as number;
  store.prepare('PRAGMA synchronous = NORMAL').run();
  try {
    store.transaction(() => {
      if (through > sentMark(store).through) writeSentMark(store, { through, atMs: nowMs });
    });
  } finally {
    store.prepare(`PRAGMA synchronous = ${Number(previous)}`).run();
  }
}

/** True while some entry waits to be published. */
export function hasUnsent(store: Store): boolean {
  return (
    store
      .prepare('SELECT 1 FROM outbox WHERE sent_ms IS NULL AND seq > ? LIMIT 1')
      .get(sentThrough(store)) !== undefined
  );
}

/** Deletes sent entries up to `seq` (inclusive); returns how many. */
export function deleteSentThrough(store: Store, seq: number): number {
  return store.prepare('DELETE FROM outbox WHERE seq <= ?').run(Math.min(seq, sentThrough(store))).changes;
}

/** Deletes every entry up to `seq`: the recorder confirmed it has them, sent or not. */
export function deleteThrough(store: Store, seq: number): number {
  return store.prepare('DELETE FROM outbox WHERE seq <= ?').run(seq).changes;
}

/** Puts sent-but-unconfirmed entries after `seq` back in the queue (the sent mark back to `seq`); returns how many. */
export function resendAfter(store: Store, seq: number): number {
  return store.transaction(() => {
    const mark = loadSentMark(store);
    if (mark.through <= seq) return 0;
    const n = store
      .prepare<{ n: number }>(
        'SELECT COUNT(*) AS n FROM outbox WHERE sent_ms IS NULL AND seq > ? AND seq <= ?',
      )
      .get(seq, mark.through)!.n;
    writeSentMark(store, { through: seq, atMs: mark.atMs });
    return n;
  });
}

export interface OutboxStats {
  /** All rows: not yet confirmed by the recorder (or, without end-to-end acks, not yet sent). */
  entries: number;
  unsent: number;
  oldestCreatedMs: number | null;
  /** Lowest sequence still held (next sequence when empty). */
  floor: number;
  /** Highest sequence ever assigned (0 when none). */
  lastSeq: number;
}

export function outboxStats(store: Store): OutboxStats {
  // Separate queries: COUNT(*) alone is answered from the smallest index, MIN(seq) from the b-tree's edge.
  const all = {
    n: store.prepare<{ n: number }>('SELECT COUNT(*) AS n FROM outbox').get()!.n,
    lo: store.prepare<{ lo: number | null }>('SELECT MIN(seq) AS lo FROM outbox').get()!.lo,
  };
  const unsent = store
    .prepare<{ n: number }>('SELECT COUNT(*) AS n FROM outbox WHERE sent_ms IS NULL AND seq > ?')
    .get(sentThrough(store))!.n;
  const oldest = store.prepare<{ c: number | null }>('SELECT MIN(created_ms) AS c FROM outbox').get()!.c;
  const last = lastSeq(store);
  return { entries: all.n, unsent, oldestCreatedMs: oldest, floor: all.lo ?? last + 1, lastSeq: last };
}

export function lastSeq(store: Store): number {
  const row = store.prepare<{ seq: number }>("SELECT seq FROM sqlite_sequence WHERE name = 'outbox'").get();
  return row?.seq ?? 0;
}

/** Lowest sequence still held, or the next one to be assigned when the outbox is empty. */
export function outboxFloor(store: Store): number {
  const lo = store.prepare<{ lo: number | null }>('SELECT MIN(seq) AS lo FROM outbox').get()!.lo;
  return lo ?? lastSeq(store) + 1;
}

/** Cap policy "drop-oldest": keeps the newest `maxEntries` and nothing created before `minCreatedMs`. */
export function dropOldest(store: Store, maxEntries: number, minCreatedMs: number): number {
  return store.transaction(() => {
    let dropped = store.prepare('DELETE FROM outbox WHERE created_ms < ?').run(minCreatedMs).changes;
    const n = store.prepare<{ n: number }>('SELECT COUNT(*) AS n FROM outbox').get()!.n;
    if (n > maxEntries) {
      dropped += store
        .prepare(`DELETE FROM outbox WHERE seq IN (SELECT seq FROM outbox ORDER BY seq ${boundLimit()})`)
        .run(n - maxEntries).changes;
    }
    return dropped;
  });
}
