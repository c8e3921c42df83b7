// Devices as seen on the wire, and their sessions (one FHIR Device + DeviceMetric each).
import type { DeviceInfo } from '../readings/reading.ts';
import { namedInsert } from './insert-row.ts';
import type { Store } from './store.ts';

export interface DeviceRow {
  id: number;
  key: string;
  transport: string;
  kind: 'cgm' | 'bgm';
  manufacturer: string | null;
  model: string | null;
  serial_number: string | null;
  name: string | null;
  first_seen_ms: number;
  last_seen_ms: number;
}

export interface SessionRow {
  id: number;
  device_id: number;
  started_at: string;
  expires_at: string | null;
  interval_s: number | null;
  lower_limit: number | null;
  upper_limit: number | null;
  unit: string;
  calibration_state: string | null;
  calibration_time: string | null;
  device_fhir_id: string;
  metric_fhir_id: string;
  /** The serial number the session reported (null: not reported, or stored before sessions kept one). */
  serial_number: string | null;
}

type NewDevice = Omit<DeviceRow, 'id'>;

const upsertDeviceRow = namedInsert<NewDevice>(
  'devices',
  [
    'key',
    'transport',
    'kind',
    'manufacturer',
    'model',
    'serial_number',
    'name',
    'first_seen_ms',
    'last_seen_ms',
  ],
  `ON CONFLICT (key) DO UPDATE SET
     manufacturer = coalesce(excluded.manufacturer, manufacturer),
     model = coalesce(excluded.model, model),
     serial_number = coalesce(excluded.serial_number, serial_number),
     name = coalesce(excluded.name, name),
     last_seen_ms = max(last_seen_ms, excluded.last_seen_ms)`,
);

/** Inserts the device or refreshes what the device told us about itself; returns its row. */
export function upsertDevice(store: Store, info: DeviceInfo, seenMs: number): DeviceRow {
  upsertDeviceRow(store, {
    key: info.key,
    transport: info.transport,
    kind: info.kind,
    manufacturer: info.manufacturer ?? null,
    model: info.model ?? null,
    serial_number: info.serialNumber ?? null,
    name: info.name ?? null,
    first_seen_ms: seenMs,
    last_seen_ms: seenMs,
  });
  return getDevice(store, info.key)!;
}

export function getDevice(store: Store, key: string): DeviceRow | undefined {
  return store.prepare<DeviceRow>('SELECT * FROM devices WHERE key = ?').get(key);
}

export function getDeviceById(store: Store, id: number): DeviceRow | undefined {
  return store.prepare<DeviceRow>('SELECT * FROM devices WHERE id = ?').get(id);
}

export function listDevices(store: Store): DeviceRow[] {
  return store.prepare<DeviceRow>('SELECT * FROM devices ORDER BY key').all();
}

/** Marks a device as heard from (a connection without new records still counts as a sync). */
export function touchDevice(store: Store, key: string, seenMs: number): void {
  store.prepare('UPDATE devices SET last_seen_ms = max(last_seen_ms, ?) WHERE key = ?').run(seenMs, key);
}

export function getSession(store: Store, deviceId: number, startedAt: string): SessionRow | undefined {
  return store
    .prepare<SessionRow>('SELECT * FROM device_sessions WHERE device_id = ? AND started_at = ?')
    .get(deviceId, startedAt);
}

export function getSessionById(store: Store, id: number): SessionRow | undefined {
  return store.prepare<SessionRow>('SELECT * FROM device_sessions WHERE id = ?').get(id);
}

export function listSessions(store: Store, deviceId: number): SessionRow[] {
  return store
    .prepare<SessionRow>('SELECT * FROM device_sessions WHERE device_id = ? ORDER BY started_at')
    .all(deviceId);
}

export type NewSession = Omit<SessionRow, 'id'>;

const insertSessionRow = namedInsert<NewSession>('device_sessions', [
  'device_id',
  'started_at',
  'expires_at',
  'interval_s',
  'lower_limit',
  'upper_limit',
  'unit',
  'calibration_state',
  'calibration_time',
  'device_fhir_id',
  'metric_fhir_id',
  'serial_number',
]);

export function insertSession(store: Store, s: NewSession): SessionRow {
  return { ...s, id: Number(insertSessionRow(store, s).lastInsertRowid) };
}

export function updateSessionCalibration(store: Store, id: number, state: string, time: string | null): void {
  store
    .prepare('UPDATE device_sessions SET calibration_state = ?, calibration_time = ? WHERE id = ?')
    .run(state, time, id);
}

/** Records the serial number of a session that had none (the first one reported stays). */
export function setSessionSerial(store: Store, id: number, serial: string): void {
  store
    .prepare('UPDATE device_sessions SET serial_number = ? WHERE id = ? AND serial_number IS NULL')
    .run(serial, id);
}

/** The session that follows this one on the same device, if any (it supersedes it). */
export function nextSession(store: Store, s: SessionRow): SessionRow | undefined {
  return store
    .prepare<SessionRow>(
      'SELECT * FROM device_sessions WHERE device_id = ? AND started_at > ? ORDER BY started_at LIMIT 1',
    )
    .get(s.device_id, s.started_at);
}
