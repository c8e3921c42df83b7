// The outbox: changes that must travel upward, in commit order. Rows are written inside the transaction of the
// change (see gateway/sync/outbox-writer.ts), counted as sent once the broker's PUBACK moved the sent mark past
// them, and pruned once the recorder confirmed them end to end (or right after PUBACK when end-to-end acks are
// off).
import type { ResourceRow } from './resources.ts';
import { boundLimit, type Store } from './store.ts';

export interface OutboxRow {
  seq: number;
  created_ms: number;
  kind: 'resource' | 'assignment';
  device_key: string;
  res_type: string | null;
  res_id: string | null;
  version: number | null;
  last_updated_ms: number | null;
  code: string | null;
  effective_start_ms: number | null;
  effective_end_ms: number | null;
  value: number | null;
  unit: string | null;
  ref: string | null;
  status: string | null;
  json: string | null;
  patient: string | null;
  at_ms: number | null;
  /** An assignment's period: from, and until (null while open). */
  from_ms: number | null;
  until_ms: number | null;
  sent_ms: number | null;
}

/**
 * An entry's wire bytes without its resource JSON, in one payload format, made for the sequence number the
 * entry gets (see gateway/sync/payload.ts encodeEntryHead).
 */
export interface EntryHeadMaker {
  format: 'cbor' | 'json';
  make(seq: number): Buffer;
}

/**
 * The sequence number the next entry gets, as AUTOINCREMENT would assign it. Only inside the transaction
 * that then inserts it: that transaction already wrote the change, so it holds the write lock and no other
 * connection can take the number in between.
 */
function nextSeq(store: Store): number {
  return store
    .prepare<number>(
      `SELECT max(coalesce((SELECT seq FROM sqlite_sequence WHERE name = 'outbox'), 0),
           coalesce((SELECT max(seq) FROM outbox), 0)) + 1`,
    )
    .pluck()
    .get()! as number;
}

/** seq, head and head_format of a new entry: all null (AUTOINCREMENT numbers it) without a head maker. */
function headColumns(
  store: Store,
  head: EntryHeadMaker | undefined,
): [number | null, Buffer | null, string | null] {
  if (!head) return [null, null, null];
  const seq = nextSeq(store);
  return [seq, head.make(seq), head.format];
}

/** Queues a resource version with its search columns and, given a head maker, its wire head. */
export function enqueueResource(store: Store, row: ResourceRow, nowMs: number, head?: EntryHeadMaker): void {
  const [seq, headBytes, headFormat] = headColumns(store, head);
  store
    .prepare(
      `INSERT INTO outbox (seq, created_ms, kind, device_key, res_type, res_id, version, last_updated_ms, code,
         effective_start_ms, effective_end_ms, value, unit, ref, status, json, head, head_format)
       VALUES (@seq, @created_ms, 'resource', @device_key, @type, @id, @version, @last_updated_ms, @code,
         @effective_start_ms, @effective_end_ms, @value, @unit, @ref, @status, @json, @head, @head_format)`,
    )
    // The row's columns bound by name, as writeResourceRow binds them.
    .run({ ...row, seq, created_ms: nowMs, head: headBytes, head_format: headFormat });
}

/** An assignment period as it travels: the patient as its pseudonymous handle, never the internal id. */
export interface PeriodEntry {
  deviceKey: string;
  patientHandle: string;
  fromMs: number;
  untilMs: number | null;
}

/** Queues an assignment period (opened or closed at `atMs`) and, given a head maker, its wire head. */
export function enqueueAssignment(
  store: Store,
  period: PeriodEntry,
  atMs: number,
  nowMs: number,
  head?: EntryHeadMaker,
): void {
  const [seq, headBytes, headFormat] = headColumns(store, head);
  store
    .prepare(
      `INSERT INTO outbox (seq, created_ms, kind, device_key, patient, at_ms, from_ms, until_ms, head, head_format)
       VALUES (?, ?, 'assignment', ?, ?, ?, ?, ?, ?, ?)`,
    )
    .run(
      seq,
      nowMs,
      period.deviceKey,
      period.patientHandle,
      atMs,
      period.fromMs,
      period.untilMs,
      headBytes,
      headFormat,
    );
}

/** The next unsent entries as one byte string, or why not (see nextJoinedEntries). */
export type JoinedEntries =
  /** `floor`: the lowest sequence number in the outbox, read in the same statement (see outboxFloor). */
  | {
      status: 'joined';
      from: number;
      to: number;
      count: number;
      /** The joined entries: a view of `frame`, which has `room` spare bytes before them and the tail after. */
      bytes: Buffer;
      frame: Buffer;
      room: number;
      floor: number;
    }
  | { status: 'empty' }
  /** Some entry has no head in the format asked for (queued before heads, or in the other format). */
  | { status: 'unjoinable' };

/**
 * Up to `limit` unsent entries after `afterSeq` as their stored wire bytes, joined in one statement:
 * head + resource JSON + `join.afterResource` per entry, `join.separator` between entries. One value crosses
 * into JavaScript per batch instead of 17 per entry.
 *
 * Order: the subquery runs as a co-routine handing its rows to the aggregate in its ORDER BY order (the plan
 * is checked by a test). `group_concat(... ORDER BY seq)` would say so in SQL but sorts the batch's bytes
 * again, doubling the cost of the read; the tests compare every joined batch byte for byte with one
 * encoded from the columns, so an SQLite that stopped keeping the order would fail them.
 */
export function nextJoinedEntries(
  store: Store,
  afterSeq: number,
  limit: number,
  format: EntryHeadMaker['format'],
  join: EntryJoin,
): JoinedEntries {
  const row = store
    .prepare<unknown[]>(JOINED_ENTRIES_SQL)
    .raw(true)
    .get(joinedEntriesParams(afterSeq, limit, format, join)) as JoinedEntriesRow;
  return joinedEntriesFromRow(row, join);
}

/** The statement behind nextJoinedEntries (exported for the plan test, which pins its co-routine order). */
export const JOINED_ENTRIES_SQL = `SELECT count(*), min(seq), max(seq), sum(head IS NULL OR head_format IS NOT @format),
    CAST(zeroblob(@room) || group_concat(head || coalesce(json || @afterResource, ''), @separator) || @batchTail AS BLOB),
    (SELECT min(seq) FROM outbox)
  FROM (SELECT seq, head, head_format, json FROM outbox WHERE sent_ms IS NULL AND seq > @after ORDER BY seq ${boundLimit('@limit')})`;

/** count, min(seq), max(seq), entries without a head in the format, joined bytes, the outbox's floor. */
type JoinedEntriesRow = [number, number | null, number | null, number | null, Buffer | null, number | null];

/** How the entries are joined (payload.ts ENTRY_JOIN), and `room` spare bytes before them for the batch head. */
export interface EntryJoin {
  separator: string;
  afterResource: string;
  batchTail: string;
  room?: number;
}

export interface JoinedEntriesParams {
  format: string;
  afterResource: string;
  separator: string;
  batchTail: string;
  room: number;
  after: number;
  limit: number;
}

export function joinedEntriesParams(
  afterSeq: number,
  limit: number,
  format: EntryHeadMaker['format'],
  join: EntryJoin,
): JoinedEntriesParams {
  const { separator, afterResource, batchTail } = join;
  return { format, afterResource, separator, batchTail, room: join.room ?? 0, after: afterSeq, limit };
}

function joinedEntriesFromRow(
  [count, from, to, misses, frame, floor]: JoinedEntriesRow,
  join: EntryJoin,
): JoinedEntries {
  if (count === 0) return { status: 'empty' };
  if (misses !== 0 || frame === null) return { status: 'unjoinable' };
  const room = join.room ?? 0;
  const bytes = frame.subarray(room, frame.length - Buffer.byteLength(join.batchTail));
  return { status: 'joined', from: from!, to: to!, count, bytes, frame, room, floor: floor! };
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
