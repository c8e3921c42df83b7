// Recorder side of MQTT sync: applying what hubs sent, idempotently. A batch already applied (by gateway,
// stream and sequence) is skipped; a resource is written only when its version is newer than the stored one.
import { getResource, writeResourceRow, type ResourceRow } from './resources.ts';
import type { Store } from './store.ts';

const VERSIONED_IN_HISTORY = new Set(['Device', 'DeviceMetric']);

/** True when every sequence in [from, to] of this gateway stream was applied already. */
export function rangeApplied(
  store: Store,
  gatewayId: string,
  stream: string,
  from: number,
  to: number,
): boolean {
  return (
    store
      .prepare(
        'SELECT 1 FROM sync_ranges WHERE gateway_id = ? AND stream = ? AND seq_from <= ? AND seq_to >= ? LIMIT 1',
      )
      .get(gatewayId, stream, from, to) !== undefined
  );
}

/** Records [from, to] as applied, merging it with touching ranges so the table stays small. */
export function addAppliedRange(
  store: Store,
  gatewayId: string,
  stream: string,
  from: number,
  to: number,
): void {
  const touching = store
    .prepare<{ seq_from: number; seq_to: number }>(
      `SELECT seq_from, seq_to FROM sync_ranges
       WHERE gateway_id = ? AND stream = ? AND seq_to >= ? AND seq_from <= ?`,
    )
    .all(gatewayId, stream, from - 1, to + 1);
  let lo = from;
  let hi = to;
  const del = store.prepare('DELETE FROM sync_ranges WHERE gateway_id = ? AND stream = ? AND seq_from = ?');
  for (const r of touching) {
    lo = Math.min(lo, r.seq_from);
    hi = Math.max(hi, r.seq_to);
    del.run(gatewayId, stream, r.seq_from);
  }
  store
    .prepare('INSERT INTO sync_ranges (gateway_id, stream, seq_from, seq_to) VALUES (?, ?, ?, ?)')
    .run(gatewayId, stream, lo, hi);
}

export function appliedRanges(store: Store, gatewayId: string, stream: string): Array<[number, number]> {
  return store
    .prepare<{ seq_from: number; seq_to: number }>(
      'SELECT seq_from, seq_to FROM sync_ranges WHERE gateway_id = ? AND stream = ? ORDER BY seq_from',
    )
    .all(gatewayId, stream)
    .map((r) => [r.seq_from, r.seq_to]);
}

/** Remembers the gateway's floor (lowest sequence it still holds) and when it was last heard. */
export function noteStream(
  store: Store,
  gatewayId: string,
  stream: string,
  floor: number,
  nowMs: number,
): void {
  store
    .prepare(
      `INSERT INTO sync_streams (gateway_id, stream, floor, last_batch_ms) VALUES (?, ?, ?, ?)
       ON CONFLICT (gateway_id, stream) DO UPDATE SET floor = max(floor, excluded.floor),
         last_batch_ms = excluded.last_batch_ms`,
    )
    .run(gatewayId, stream, floor, nowMs);
}

export interface StreamProgress {
  /** Everything up to here is applied, or was dropped by the gateway (below its floor). */
  through: number;
  /** Highest sequence applied. */
  max: number;
}

export function streamProgress(store: Store, gatewayId: string, stream: string): StreamProgress {
  const floor =
    store
      .prepare<{ floor: number }>('SELECT floor FROM sync_streams WHERE gateway_id = ? AND stream = ?')
      .get(gatewayId, stream)?.floor ?? 1;
  const covering = store
    .prepare<{ seq_to: number }>(
      `SELECT seq_to FROM sync_ranges WHERE gateway_id = ? AND stream = ? AND seq_from <= ? AND seq_to >= ?
       ORDER BY seq_to DESC LIMIT 1`,
    )
    .get(gatewayId, stream, floor, floor - 1);
  const max =
    store
      .prepare<{ m: number | null }>(
        'SELECT MAX(seq_to) AS m FROM sync_ranges WHERE gateway_id = ? AND stream = ?',
      )
      .get(gatewayId, stream)?.m ?? 0;
  return { through: Math.max(covering?.seq_to ?? 0, floor - 1), max };
}

export type ApplyOutcome = 'written' | 'older' | 'same' | 'conflict';

/**
 * Writes a resource version unless a newer or equal one is stored. An older Device/DeviceMetric version still
 * lands in history (vread). `namespace` is the owning gateway's device-key prefix: a resource id already owned
 * by another gateway is never overwritten (`conflict`).
 */
export function applyResourceVersion(store: Store, row: ResourceRow, namespace: string): ApplyOutcome {
  const current = getResource(store, row.type, row.id);
  if (current && !current.device_key.startsWith(namespace)) return 'conflict';
  const versioned = VERSIONED_IN_HISTORY.has(row.type);
  if (current && current.version >= row.version) {
    if (current.version === row.version) return 'same';
    if (versioned) insertHistory(store, row.type, row.id, row.version, row.last_updated_ms, row.json);
    return 'older';
  }
  if (current && versioned) {
    insertHistory(store, current.type, current.id, current.version, current.last_updated_ms, current.json);
  }
  writeResourceRow(store, row);
  return 'written';
}

function insertHistory(
  store: Store,
  type: string,
  id: string,
  version: number,
  lastUpdatedMs: number,
  json: string,
): void {
  store
    .prepare(
      'INSERT OR IGNORE INTO resource_history (type, id, version, last_updated_ms, json) VALUES (?, ?, ?, ?, ?)',
    )
    .run(type, id, version, lastUpdatedMs, json);
}

/**
 * Applies an assignment period a hub sent (payload version 2), in any order: a period is created once, and
 * closing only ever moves its end earlier. A device keeps one open period: an earlier open one ends where this
 * one starts, and this one ends where a later one starts (its own closing may arrive later or never).
 */
export function applyPeriod(
  store: Store,
  deviceKey: string,
  patientId: string,
  fromMs: number,
  untilMs: number | null,
  atMs: number,
): void {
  ensurePatient(store, patientId, atMs);
  const existing = store
    .prepare<{ id: number; until_ms: number | null }>(
      'SELECT id, until_ms FROM device_assignment_periods WHERE device_key = ? AND patient_id = ? AND from_ms = ?',
    )
    .get(deviceKey, patientId, fromMs);
  if (existing) {
    if (untilMs !== null && (existing.until_ms === null || untilMs < existing.until_ms)) {
      store
        .prepare('UPDATE device_assignment_periods SET until_ms = ? WHERE id = ?')
        .run(untilMs, existing.id);
    }
    return;
  }
  let until = untilMs;
  if (until === null) {
    store
      .prepare(
        'UPDATE device_assignment_periods SET until_ms = ? WHERE device_key = ? AND until_ms IS NULL AND from_ms < ?',
      )
      .run(fromMs, deviceKey, fromMs);
    const later = store
      .prepare<{ m: number | null }>(
        'SELECT min(from_ms) AS m FROM device_assignment_periods WHERE device_key = ? AND from_ms >= ?',
      )
      .get(deviceKey, fromMs)!.m;
    if (later !== null) until = later;
  }
  store
    .prepare(
      'INSERT INTO device_assignment_periods (device_key, patient_id, from_ms, until_ms) VALUES (?, ?, ?, ?)',
    )
    .run(deviceKey, patientId, fromMs, until);
}

/**
 * Applies an assignment of payload version 1 (no period) unless a later one for the same device was applied.
 * Within one stream the sequence decides; across streams (a hub whose database was replaced) the assignment
 * time does. `patientId` null ends the device's open period at `atMs`; a patient opens one from then on
 * (from the start of the device's history, as before periods, when the device had none).
 */
export function applyAssignment(
  store: Store,
  deviceKey: string,
  patientId: string | null,
  stream: string,
  seq: number,
  atMs: number,
): boolean {
  const last = store
    .prepare<{
      stream: string;
      seq: number;
      at_ms: number;
    }>('SELECT stream, seq, at_ms FROM sync_assignment_seq WHERE device_key = ?')
    .get(deviceKey);
  if (last && (last.stream === stream ? last.seq >= seq : last.at_ms > atMs)) return false;
  store
    .prepare(
      `INSERT INTO sync_assignment_seq (device_key, stream, seq, at_ms) VALUES (?, ?, ?, ?)
       ON CONFLICT (device_key) DO UPDATE SET stream = excluded.stream, seq = excluded.seq, at_ms = excluded.at_ms`,
    )
    .run(deviceKey, stream, seq, atMs);
  const open = store
    .prepare<{ id: number; patient_id: string; from_ms: number }>(
      'SELECT id, patient_id, from_ms FROM device_assignment_periods WHERE device_key = ? AND until_ms IS NULL',
    )
    .get(deviceKey);
  if (open && open.patient_id === patientId) return true;
  if (open) {
    store
      .prepare('UPDATE device_assignment_periods SET until_ms = ? WHERE id = ?')
      .run(Math.max(atMs, open.from_ms), open.id);
  }
  if (patientId === null) return true;
  const had = store
    .prepare('SELECT 1 FROM device_assignment_periods WHERE device_key = ? LIMIT 1')
    .get(deviceKey);
  applyPeriod(store, deviceKey, patientId, had ? atMs : 0, null, atMs);
  return true;
}

/** Patients are created on first sight with a pseudonymous id. */
function ensurePatient(store: Store, patientId: string, atMs: number): void {
  store
    .prepare('INSERT OR IGNORE INTO patients (id, username, created_ms) VALUES (?, ?, ?)')
    .run(patientId, patientId, atMs);
}

export function parkPayload(
  store: Store,
  topic: string,
  reason: string,
  payload: Buffer,
  nowMs: number,
): void {
  store
    .prepare('INSERT INTO sync_parked (received_ms, topic, reason, payload) VALUES (?, ?, ?, ?)')
    .run(nowMs, topic, reason, payload);
}

export interface ParkedRow {
  id: number;
  received_ms: number;
  topic: string;
  reason: string;
  payload: Buffer;
}

export function listParked(store: Store): ParkedRow[] {
  return store.prepare<ParkedRow>('SELECT * FROM sync_parked ORDER BY id').all();
}
