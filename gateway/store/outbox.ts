// The outbox: changes that must travel upward, in commit order. Rows are written inside the transaction of the
// change (see gateway/sync/outbox-writer.ts), marked sent after the broker's PUBACK, and pruned once the
// recorder confirmed them end to end (or right after PUBACK when end-to-end acks are off).
import type { Store } from './store.ts';

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
  sent_ms: number | null;
}

export interface ResourceChangeEntry {
  type: string;
  id: string;
  version: number;
  lastUpdatedMs: number;
  deviceKey: string;
  json: string;
}

/** Queues a resource version; the search columns are copied from the row the change just wrote. */
export function enqueueResource(store: Store, e: ResourceChangeEntry, nowMs: number): void {
  const info = store
    .prepare(
      `INSERT INTO outbox (created_ms, kind, device_key, res_type, res_id, version, last_updated_ms, code,
         effective_start_ms, effective_end_ms, value, unit, ref, status, json)
       SELECT ?, 'resource', ?, ?, ?, ?, ?, code, effective_start_ms, effective_end_ms, value, unit, ref, status, ?
       FROM resources WHERE type = ? AND id = ?`,
    )
    .run(nowMs, e.deviceKey, e.type, e.id, e.version, e.lastUpdatedMs, e.json, e.type, e.id);
  if (info.changes === 0) {
    store
      .prepare(
        `INSERT INTO outbox (created_ms, kind, device_key, res_type, res_id, version, last_updated_ms, json)
         VALUES (?, 'resource', ?, ?, ?, ?, ?, ?)`,
      )
      .run(nowMs, e.deviceKey, e.type, e.id, e.version, e.lastUpdatedMs, e.json);
  }
}

export function enqueueAssignment(
  store: Store,
  deviceKey: string,
  patientHandle: string | null,
  atMs: number,
  nowMs: number,
): void {
  store
    .prepare(
      `INSERT INTO outbox (created_ms, kind, device_key, patient, at_ms) VALUES (?, 'assignment', ?, ?, ?)`,
    )
    .run(nowMs, deviceKey, patientHandle, atMs);
}

/** Unsent entries after `afterSeq`, oldest first. */
export function nextUnsent(store: Store, afterSeq: number, limit: number): OutboxRow[] {
  return store
    .prepare<OutboxRow>('SELECT * FROM outbox WHERE sent_ms IS NULL AND seq > ? ORDER BY seq LIMIT ?')
    .all(afterSeq, limit);
}

/**
 * Marks the acknowledged ranges sent, in one transaction for many PUBACKs. Committed without its own fsync
 * (synchronous NORMAL for this commit only; the next FULL commit syncs it along): losing a mark on power loss
 * costs a resend, which the recorder ignores, while an fsync per PUBACK batch would cap the drain rate.
 */
export function markSent(store: Store, ranges: Array<[number, number]>, nowMs: number): void {
  const st = store.prepare('UPDATE outbox SET sent_ms = ? WHERE seq BETWEEN ? AND ? AND sent_ms IS NULL');
  const previous = store.db.pragma('synchronous', { simple: true }) as number;
  store.db.pragma('synchronous = NORMAL');
  try {
    store.transaction(() => {
      for (const [from, to] of ranges) st.run(nowMs, from, to);
    });
  } finally {
    store.db.pragma(`synchronous = ${Number(previous)}`);
  }
}

/** True while some entry waits to be published. */
export function hasUnsent(store: Store): boolean {
  return store.prepare('SELECT 1 FROM outbox WHERE sent_ms IS NULL LIMIT 1').get() !== undefined;
}

/** Deletes sent entries up to `seq` (inclusive); returns how many. */
export function deleteSentThrough(store: Store, seq: number): number {
  return store.prepare('DELETE FROM outbox WHERE seq <= ? AND sent_ms IS NOT NULL').run(seq).changes;
}

/** Deletes every entry up to `seq`: the recorder confirmed it has them, sent or not. */
export function deleteThrough(store: Store, seq: number): number {
  return store.prepare('DELETE FROM outbox WHERE seq <= ?').run(seq).changes;
}

/** Puts sent-but-unconfirmed entries after `seq` back in the queue; returns how many. */
export function resendAfter(store: Store, seq: number): number {
  return store.prepare('UPDATE outbox SET sent_ms = NULL WHERE seq > ? AND sent_ms IS NOT NULL').run(seq)
    .changes;
}

/** The oldest sent entry after `seq` that the recorder has not confirmed. */
export function oldestUnconfirmed(store: Store, seq: number): { seq: number; sent_ms: number } | undefined {
  return store
    .prepare<{
      seq: number;
      sent_ms: number;
    }>('SELECT seq, sent_ms FROM outbox WHERE sent_ms IS NOT NULL AND seq > ? ORDER BY seq LIMIT 1')
    .get(seq);
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
  const unsent = store.prepare<{ n: number }>('SELECT COUNT(*) AS n FROM outbox WHERE sent_ms IS NULL').get()!
    .n;
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
        .prepare('DELETE FROM outbox WHERE seq IN (SELECT seq FROM outbox ORDER BY seq LIMIT ?)')
        .run(n - maxEntries).changes;
    }
    return dropped;
  });
}

/**
 * Queues the current version of every resource and every assignment: for a hub whose outbox was never used
 * (sync switched on after it had been measuring), so what it stored before reaches the recorder too.
 * `handle` turns an internal patient id into its pseudonymous handle.
 */
export function enqueueSnapshot(store: Store, nowMs: number, handle: (patientId: string) => string): number {
  return store.transaction(() => {
    let n = store
      .prepare(
        `INSERT INTO outbox (created_ms, kind, device_key, res_type, res_id, version, last_updated_ms, code,
           effective_start_ms, effective_end_ms, value, unit, ref, status, json)
         SELECT ?, 'resource', device_key, type, id, version, last_updated_ms, code, effective_start_ms,
           effective_end_ms, value, unit, ref, status, json
         FROM resources WHERE type IN ('Observation', 'Device', 'DeviceMetric')
         ORDER BY last_updated_ms, type, id`,
      )
      .run(nowMs).changes;
    const assignments = store
      .prepare<{
        device_key: string;
        patient_id: string;
        assigned_ms: number;
      }>('SELECT device_key, patient_id, assigned_ms FROM device_assignments ORDER BY assigned_ms')
      .all();
    for (const a of assignments) {
      enqueueAssignment(store, a.device_key, handle(a.patient_id), a.assigned_ms, nowMs);
      n++;
    }
    return n;
  });
}
