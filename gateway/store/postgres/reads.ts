// Reads of what the recorder applied on PostgreSQL, for operators' checks and the tests that compare a recorder
// with its hubs (the FHIR API does not read PostgreSQL yet: docs/recorder.md).
import type pg from 'pg';
import type { ResourceRow } from '../resources.ts';

export { appliedRanges, streamProgress } from './inbox-ranges.ts';

const COLUMNS =
  'type, id, version, last_updated_ms, device_key, code, effective_start_ms, effective_end_ms, value, unit, ref, status, json';

export async function getResource(pool: pg.Pool, type: string, id: string): Promise<ResourceRow | undefined> {
  const res = await pool.query<ResourceRow>(`SELECT ${COLUMNS} FROM resources WHERE type = $1 AND id = $2`, [
    type,
    id,
  ]);
  return res.rows[0];
}

/** A specific version: the current one, or an earlier Device/DeviceMetric version from history. */
export async function getResourceVersion(
  pool: pg.Pool,
  type: string,
  id: string,
  version: number,
): Promise<{ json: string; last_updated_ms: number } | undefined> {
  const res = await pool.query<{ json: string; last_updated_ms: number }>(
    `SELECT json, last_updated_ms FROM resources WHERE type = $1 AND id = $2 AND version = $3
     UNION ALL
     SELECT json, last_updated_ms FROM resource_history WHERE type = $1 AND id = $2 AND version = $3`,
    [type, id, version],
  );
  return res.rows[0];
}

/** Every resource whose device key starts with `prefix` (a gateway's: `<gw>/`), by type and id. */
export async function resourcesOf(pool: pg.Pool, prefix: string): Promise<ResourceRow[]> {
  const res = await pool.query<ResourceRow>(
    `SELECT ${COLUMNS} FROM resources WHERE starts_with(device_key, $1) ORDER BY type, id`,
    [prefix],
  );
  return res.rows;
}

export interface WindowRow {
  device_key: string;
  patient_id: string;
  from_ms: number;
  until_ms: number | null;
}

/** Assignment windows (periods as search uses them) of devices whose key starts with `prefix`. */
export async function assignmentWindows(pool: pg.Pool, prefix: string): Promise<WindowRow[]> {
  const res = await pool.query<WindowRow>(
    `SELECT device_key, patient_id, from_ms, until_ms FROM assignment_windows
     WHERE starts_with(device_key, $1) ORDER BY device_key, from_ms, patient_id`,
    [prefix],
  );
  return res.rows;
}

export interface PgParkedRow {
  id: number;
  received_ms: number;
  topic: string;
  reason: string;
  payload: Buffer;
}

export async function listParked(pool: pg.Pool): Promise<PgParkedRow[]> {
  return (await pool.query<PgParkedRow>('SELECT * FROM sync_parked ORDER BY id')).rows;
}
