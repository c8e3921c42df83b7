// Readings exactly as received: the source of truth every FHIR resource is rendered from.
import type { Reading } from '../readings/reading.ts';
import type { Store } from './store.ts';

export interface ReadingRow {
  id: number;
  device_id: number;
  session_id: number;
  identity: string;
  record_number: number | null;
  value: number | null;
  unit: string;
  flag: string | null;
  flag_reason: string | null;
  specimen: string;
  device_time: string;
  received_ms: number;
  effective_ms: number;
  clock_offset_ms: number;
  control: number;
  raw: string;
}

export type NewReading = Omit<ReadingRow, 'id'>;

/** The fields of a validated Reading as a row, positionally: ingest's hot path builds no row object. */
export function insertReadingFields(
  store: Store,
  deviceId: number,
  sessionId: number,
  r: Pick<
    Reading,
    | 'identity'
    | 'recordNumber'
    | 'unit'
    | 'flag'
    | 'flagReason'
    | 'specimen'
    | 'deviceTime'
    | 'clockOffsetMs'
    | 'controlSolution'
    | 'analyte'
    | 'raw'
  >,
  value: number | null,
  receivedMs: number,
  effectiveMs: number,
): number | null {
  const info = store.prepare(INSERT_READING).run(
    deviceId,
    sessionId,
    r.identity,
    r.recordNumber ?? null,
    value,
    r.unit,
    r.flag ?? null,
    r.flagReason ?? null,
    r.specimen,
    r.deviceTime,
    receivedMs,
    effectiveMs,
    Math.round(r.clockOffsetMs),
    // the column marks rows that are no patient glucose value (control solution, ketone test)
    r.controlSolution || r.analyte === 'ketone' ? 1 : 0,
    r.raw,
  );
  return info.changes === 1 ? Number(info.lastInsertRowid) : null;
}

const INSERT_READING = `INSERT INTO readings (device_id, session_id, identity, record_number, value, unit, flag,
    flag_reason, specimen, device_time, received_ms, effective_ms, clock_offset_ms, control, raw)
  VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
  ON CONFLICT (device_id, identity) DO NOTHING`;

/** Inserts unless (device, identity) is already stored; returns the new row id or null for a duplicate. */
export function insertReading(store: Store, r: NewReading): number | null {
  const info = store
    .prepare(INSERT_READING)
    .run(
      r.device_id,
      r.session_id,
      r.identity,
      r.record_number,
      r.value,
      r.unit,
      r.flag,
      r.flag_reason,
      r.specimen,
      r.device_time,
      r.received_ms,
      r.effective_ms,
      r.clock_offset_ms,
      r.control,
      r.raw,
    );
  return info.changes === 1 ? Number(info.lastInsertRowid) : null;
}

/** A stored reading in the Reading vocabulary, for drivers and tests. */
export interface StoredReading {
  identity: string;
  recordNumber: number | null;
  value: number | null;
  unit: string;
  flag: string | null;
  flagReason: string | null;
  specimen: string;
  deviceTime: string;
  receivedAt: string;
  effectiveAt: string;
  clockOffsetMs: number;
  controlSolution: boolean;
  raw: string;
}

function toStored(r: ReadingRow): StoredReading {
  return {
    identity: r.identity,
    recordNumber: r.record_number,
    value: r.value,
    unit: r.unit,
    flag: r.flag,
    flagReason: r.flag_reason,
    specimen: r.specimen,
    deviceTime: r.device_time,
    receivedAt: new Date(r.received_ms).toISOString(),
    effectiveAt: new Date(r.effective_ms).toISOString(),
    clockOffsetMs: r.clock_offset_ms,
    controlSolution: r.control === 1,
    raw: r.raw,
  };
}

/** Every stored reading of a device, oldest measurement first. */
export function listReadings(store: Store, deviceKey: string): StoredReading[] {
  return store
    .prepare<ReadingRow>(
      `SELECT r.* FROM readings r JOIN devices d ON d.id = r.device_id
       WHERE d.key = ? ORDER BY r.effective_ms, r.id`,
    )
    .all(deviceKey)
    .map(toStored);
}

export function countReadings(store: Store, deviceKey?: string): number {
  const row = deviceKey
    ? store
        .prepare<{ n: number }>(
          'SELECT count(*) AS n FROM readings r JOIN devices d ON d.id = r.device_id WHERE d.key = ?',
        )
        .get(deviceKey)
    : store.prepare<{ n: number }>('SELECT count(*) AS n FROM readings').get();
  return row?.n ?? 0;
}

/**
 * The highest record number stored for a device (optionally within one sensor session), or null.
 * Drivers backfill from here: GLS asks for sequence >= last + 1, CGMS for time offset >= last + 1.
 */
export function lastRecordNumber(store: Store, deviceKey: string, sessionStartedAt?: string): number | null {
  const row =
    sessionStartedAt === undefined
      ? store
          .prepare<{ n: number | null }>(
            `SELECT max(r.record_number) AS n FROM readings r JOIN devices d ON d.id = r.device_id WHERE d.key = ?`,
          )
          .get(deviceKey)
      : store
          .prepare<{ n: number | null }>(
            `SELECT max(r.record_number) AS n FROM readings r
             JOIN devices d ON d.id = r.device_id
             JOIN device_sessions s ON s.id = r.session_id
             WHERE d.key = ? AND s.started_at = ?`,
          )
          .get(deviceKey, sessionStartedAt);
  return row?.n ?? null;
}

export type SampleRow = Pick<ReadingRow, 'effective_ms' | 'value' | 'unit' | 'flag'>;

/** The samples of one session in [fromMs, toMs), for rendering a CGM chunk (only the columns it needs). */
export function sessionSamplesInRange(
  store: Store,
  sessionId: number,
  fromMs: number,
  toMs: number,
): SampleRow[] {
  return store
    .prepare<SampleRow>(
      `SELECT effective_ms, value, unit, flag FROM readings
       WHERE session_id = ? AND effective_ms >= ? AND effective_ms < ? AND control = 0
       ORDER BY effective_ms, id`,
    )
    .all(sessionId, fromMs, toMs);
}

export function getReading(store: Store, id: number): ReadingRow | undefined {
  return store.prepare<ReadingRow>('SELECT * FROM readings WHERE id = ?').get(id);
}
