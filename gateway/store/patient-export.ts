// What a patient's own export reads (GDPR Art. 15/20): their readings and their served FHIR resources, both
// only inside their assignment windows, in keyset pages so a year of one-minute CGM samples never sits in
// memory at once. The resources are the stored rows the FHIR API serves, chosen by the same visibility rule
// (fhir-visibility.ts) with every glucose code and no historic cut-off: what a DiGA could ever be granted.
import { windowsOfPatient, type AssignmentWindow } from './assignments.ts';
import type { SearchScope } from './fhir-search-types.ts';
import { endsBy, visible } from './fhir-visibility.ts';
import { ownScope } from './patient-readings.ts';
import { resourceColumnsOf, type ResourceRow } from './resources.ts';
import { boundLimit, type Store } from './store.ts';

export { ownScope, windowsOfPatient, type AssignmentWindow };

/** One stored reading with the device facts a patient recognises it by. */
export interface ExportReadingRow {
  id: number;
  effective_ms: number;
  device_time: string;
  value: number | null;
  unit: string;
  flag: string | null;
  flag_reason: string | null;
  control: number;
  device_key: string;
  kind: string;
  manufacturer: string | null;
  model: string | null;
  /** The serial number the sensor session reported, else the device's. */
  serial_number: string | null;
}

/** Where a page continues: after this (time, id). */
export interface PageKey {
  ms: number;
  id: number | string;
}

/** The sensor sessions of a device (readings are paged per session: the (session, time) index serves it). */
export function sessionIdsOfDevice(store: Store, deviceKey: string): number[] {
  return store
    .prepare<{ id: number }>(
      `SELECT s.id FROM device_sessions s JOIN devices d ON d.id = s.device_id
       WHERE d.key = ? ORDER BY s.started_at, s.id`,
    )
    .all(deviceKey)
    .map((r) => r.id);
}

/** Readings of one session inside the window ([from, until): an instant must lie before the end). */
export function readingsPage(
  store: Store,
  sessionId: number,
  w: AssignmentWindow,
  after: PageKey | undefined,
  limit: number,
): ExportReadingRow[] {
  return store
    .prepare<ExportReadingRow>(
      `SELECT r.id, r.effective_ms, r.device_time, r.value, r.unit, r.flag, r.flag_reason, r.control,
         d.key AS device_key, d.kind, d.manufacturer, d.model,
         coalesce(s.serial_number, d.serial_number) AS serial_number
       FROM readings r JOIN device_sessions s ON s.id = r.session_id JOIN devices d ON d.id = r.device_id
       WHERE r.session_id = ? AND r.effective_ms >= ? AND (? IS NULL OR r.effective_ms < ?)
         AND (r.effective_ms > ? OR (r.effective_ms = ? AND r.id > ?))
       ORDER BY r.effective_ms, r.id ${boundLimit()}`,
    )
    .all(
      sessionId,
      Math.max(w.from_ms, after?.ms ?? 0),
      w.until_ms,
      w.until_ms,
      after?.ms ?? -1,
      after?.ms ?? -1,
      after?.id ?? -1,
      limit,
    );
}

/** Observations of the window's device inside the window that the scope may see, oldest first. */
export function observationsPage(
  store: Store,
  scope: SearchScope,
  w: AssignmentWindow,
  after: PageKey | undefined,
  limit: number,
): ResourceRow[] {
  const params: unknown[] = [w.device_key, Math.max(w.from_ms, after?.ms ?? 0)];
  const where = ["r.device_key = ? AND r.type = 'Observation' AND r.effective_start_ms >= ?"];
  if (w.until_ms !== null) {
    where.push(endsBy('r', '?'));
    params.push(w.until_ms);
  }
  if (after) {
    where.push('(r.effective_start_ms > ? OR (r.effective_start_ms = ? AND r.id > ?))');
    params.push(after.ms, after.ms, after.id);
  }
  // The FHIR API's own rule on top of the window bounds: the export serves nothing a scope could not see.
  where.push(visible('r', 'Observation', scope, params));
  params.push(limit);
  return store
    .prepare<ResourceRow>(
      `SELECT ${resourceColumnsOf('r')} FROM resources r WHERE ${where.join(' AND ')}
       ORDER BY r.effective_start_ms, r.id ${boundLimit()}`,
    )
    .all(...params);
}

/** The Devices or DeviceMetrics the scope may see (through one of its Observations). */
export function devicesOfScope(
  store: Store,
  scope: SearchScope,
  type: 'Device' | 'DeviceMetric',
): ResourceRow[] {
  const params: unknown[] = [type];
  const cond = visible('r', type, scope, params);
  return store
    .prepare<ResourceRow>(
      `SELECT ${resourceColumnsOf('r')} FROM resources r WHERE r.type = ? AND ${cond} ORDER BY r.device_key, r.id`,
    )
    .all(...params);
}
