// Read-only queries for the operator status page, `hddt-gateway status` and /metrics. Nothing here touches
// patient accounts: devices, readings, sessions and counts only.
import type { DeviceRow } from './devices.ts';
import type { Store } from './store.ts';

export interface DeviceOverviewRow extends Pick<
  DeviceRow,
  'key' | 'transport' | 'kind' | 'manufacturer' | 'model' | 'serial_number' | 'last_seen_ms'
> {
  readings: number;
  last_effective_ms: number | null;
  last_value: number | null;
  last_unit: string | null;
  last_flag: string | null;
  last_flag_reason: string | null;
  session_started_at: string | null;
  session_expires_at: string | null;
}

/** Every device with its reading count, its newest reading and its newest sensor session. */
export function deviceOverview(store: Store): DeviceOverviewRow[] {
  return store
    .prepare<DeviceOverviewRow>(
      `SELECT d.key, d.transport, d.kind, d.manufacturer, d.model, d.serial_number, d.last_seen_ms,
         (SELECT count(*) FROM readings r WHERE r.device_id = d.id AND r.control = 0) AS readings,
         l.effective_ms AS last_effective_ms, l.value AS last_value, l.unit AS last_unit, l.flag AS last_flag,
         l.flag_reason AS last_flag_reason,
         s.started_at AS session_started_at, s.expires_at AS session_expires_at
       FROM devices d
       LEFT JOIN readings l ON l.id = (
         SELECT r.id FROM readings r WHERE r.device_id = d.id AND r.control = 0
         ORDER BY r.effective_ms DESC, r.id DESC LIMIT 1)
       LEFT JOIN device_sessions s ON s.id = (
         SELECT x.id FROM device_sessions x WHERE x.device_id = d.id AND x.started_at <> ''
         ORDER BY x.started_at DESC LIMIT 1)
       ORDER BY d.key`,
    )
    .all();
}

export interface GlucoseSampleRow {
  effective_ms: number;
  value: number;
  unit: string;
  kind: 'cgm' | 'bgm';
}

/** Readings with a value (LO/HI carry their limit) measured in [fromMs, toMs], oldest first; no control tests. */
export function glucoseSamples(store: Store, fromMs: number, toMs: number): GlucoseSampleRow[] {
  return store
    .prepare<GlucoseSampleRow>(
      `SELECT r.effective_ms, r.value, r.unit, d.kind FROM readings r JOIN devices d ON d.id = r.device_id
       WHERE r.effective_ms >= ? AND r.effective_ms <= ? AND r.value IS NOT NULL AND r.control = 0
       ORDER BY r.effective_ms, r.id`,
    )
    .all(fromMs, toMs);
}

export interface PairingCounts {
  /** Not revoked and consent not expired. */
  active: number;
  total: number;
}

export function pairingCounts(store: Store, nowMs: number): PairingCounts {
  const row = store
    .prepare<{ active: number | null; total: number }>(
      `SELECT sum(CASE WHEN revoked_ms IS NULL AND consent_expires_ms > ? THEN 1 ELSE 0 END) AS active,
         count(*) AS total FROM pairings`,
    )
    .get(nowMs)!;
  return { active: row.active ?? 0, total: row.total };
}

/** `SELECT 1`: the connection is open and the file readable. */
export function storeAlive(store: Store): boolean {
  try {
    return store.prepare<{ ok: number }>('SELECT 1 AS ok').get()?.ok === 1;
  } catch {
    return false;
  }
}
