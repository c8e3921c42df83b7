// Recorder side of MQTT sync: applying what hubs sent, idempotently. A batch already applied (by gateway,
// stream and sequence) is skipped; a resource is written only when its version is newer than the stored one.
import {
  decideResource,
  mergedRange,
  planAssignmentV1,
  planPeriod,
  progressOf,
  rangeCovered,
  touching,
  type ApplyOutcome,
  type LastAssignment,
  type PeriodOp,
  type SeqRange,
  type StoredPeriod,
  type StreamProgress,
} from './apply-rules.ts';
import { getResource, writeResourceRow, type ResourceRow } from './resources.ts';
import type { Store } from './store.ts';

export type { ApplyOutcome, StreamProgress } from './apply-rules.ts';

/** The applied ranges of a gateway stream that could cover or touch [from, to]. */
function rangesNear(store: Store, gatewayId: string, stream: string, from: number, to: number): SeqRange[] {
  return store
    .prepare<{ seq_from: number; seq_to: number }>(
      `SELECT seq_from, seq_to FROM sync_ranges
       WHERE gateway_id = ? AND stream = ? AND seq_to >= ? AND seq_from <= ?`,
    )
    .all(gatewayId, stream, from - 1, to + 1)
    .map((r) => [r.seq_from, r.seq_to] as const);
}

/** True when every sequence in [from, to] of this gateway stream was applied already. */
export function rangeApplied(
  store: Store,
  gatewayId: string,
  stream: string,
  from: number,
  to: number,
): boolean {
  return rangeCovered(rangesNear(store, gatewayId, stream, from, to), from, to);
}

/** Records [from, to] as applied, merging it with touching ranges so the table stays small. */
export function addAppliedRange(
  store: Store,
  gatewayId: string,
  stream: string,
  from: number,
  to: number,
): void {
  const near = touching(rangesNear(store, gatewayId, stream, from, to), from, to);
  const [lo, hi] = mergedRange(near, from, to);
  const del = store.prepare('DELETE FROM sync_ranges WHERE gateway_id = ? AND stream = ? AND seq_from = ?');
  for (const [a] of near) del.run(gatewayId, stream, a);
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

export function streamProgress(store: Store, gatewayId: string, stream: string): StreamProgress {
  const floor =
    store
      .prepare<{ floor: number }>('SELECT floor FROM sync_streams WHERE gateway_id = ? AND stream = ?')
      .get(gatewayId, stream)?.floor ?? 1;
  return progressOf(floor, appliedRanges(store, gatewayId, stream));
}

/**
 * Writes a resource version unless a newer or equal one is stored. An older Device/DeviceMetric version still
 * lands in history (vread). `namespace` is the owning gateway's device-key prefix: a resource id already owned
 * by another gateway is never overwritten (`conflict`). The rule: gateway/recorder/rules.ts.
 */
export function applyResourceVersion(store: Store, row: ResourceRow, namespace: string): ApplyOutcome {
  const current = getResource(store, row.type, row.id);
  const d = decideResource(current, row, namespace);
  if (d.historyOfIncoming) insertHistory(store, row.type, row.id, row.version, row.last_updated_ms, row.json);
  if (d.historyOfCurrent && current) {
    insertHistory(store, current.type, current.id, current.version, current.last_updated_ms, current.json);
  }
  if (d.outcome === 'written') writeResourceRow(store, row);
  return d.outcome;
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

function devicePeriods(store: Store, deviceKey: string): StoredPeriod[] {
  return store
    .prepare<StoredPeriod>(
      'SELECT id, patient_id, from_ms, until_ms FROM device_assignment_periods WHERE device_key = ? ORDER BY from_ms, id',
    )
    .all(deviceKey);
}

function runPeriodOps(store: Store, deviceKey: string, ops: PeriodOp[]): void {
  for (const o of ops) {
    if (o.op === 'close') {
      store.prepare('UPDATE device_assignment_periods SET until_ms = ? WHERE id = ?').run(o.until, o.id);
    } else {
      store
        .prepare(
          'INSERT INTO device_assignment_periods (device_key, patient_id, from_ms, until_ms) VALUES (?, ?, ?, ?)',
        )
        .run(deviceKey, o.patient, o.from, o.until);
    }
  }
}

/**
 * Applies an assignment period a hub sent (payload version 2), in any order (rules.ts, planPeriod): a period is
 * created once, and closing only ever moves its end earlier; a device keeps one open period.
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
  runPeriodOps(store, deviceKey, planPeriod(devicePeriods(store, deviceKey), patientId, fromMs, untilMs));
}

/**
 * Applies an assignment of payload version 1 (no period) unless a later one for the same device was applied
 * (rules.ts, planAssignmentV1). `patientId` null ends the device's open period at `atMs`.
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
    .prepare<LastAssignment>('SELECT stream, seq, at_ms FROM sync_assignment_seq WHERE device_key = ?')
    .get(deviceKey);
  const ops = planAssignmentV1(last, devicePeriods(store, deviceKey), patientId, stream, seq, atMs);
  if (ops === null) return false;
  store
    .prepare(
      `INSERT INTO sync_assignment_seq (device_key, stream, seq, at_ms) VALUES (?, ?, ?, ?)
       ON CONFLICT (device_key) DO UPDATE SET stream = excluded.stream, seq = excluded.seq, at_ms = excluded.at_ms`,
    )
    .run(deviceKey, stream, seq, atMs);
  if (patientId !== null) ensurePatient(store, patientId, atMs);
  runPeriodOps(store, deviceKey, ops);
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
