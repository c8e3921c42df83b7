// What the patient's own pages read: their Observations (selected by the same assignment-window predicate as
// the FHIR API, so a device handed to the next patient shows neither patient the other's readings) and their
// device assignment periods with what the device says about itself.
import { cgmChunksInRange } from './fhir-visibility.ts';
import type { SearchScope } from './fhir-search-types.ts';
import type { ResourceRow } from './resources.ts';
import type { Store } from './store.ts';

/** The patient's own view: every code asked for, no historic cut-off (a DiGA's period does not apply). */
export function ownScope(patientId: string, codes: readonly string[]): SearchScope {
  return { patientId, groups: [{ codes, minEffectiveEndMs: 0 }] };
}

/**
 * The patient's Observations with one of `codes` whose time overlaps [fromMs, toMs), oldest first: CGM chunks
 * and blood glucose readings alike (an instant is a period of length zero).
 */
export function ownObservations(
  store: Store,
  patientId: string,
  codes: readonly string[],
  fromMs: number,
  toMs: number,
): ResourceRow[] {
  return cgmChunksInRange(store, ownScope(patientId, codes), codes, fromMs, toMs);
}

export interface OwnAssignment {
  device_key: string;
  from_ms: number;
  /** null while the device is still assigned. */
  until_ms: number | null;
  /** The device's newest FHIR Device resource (the recorder has no device rows, but it has these), if any. */
  device_json: string | null;
}

/** Every non-empty assignment period of the patient, newest first, with the device's newest Device resource. */
export function assignmentsOfPatient(store: Store, patientId: string): OwnAssignment[] {
  return store
    .prepare<OwnAssignment>(
      `SELECT p.device_key, p.from_ms, p.until_ms,
         (SELECT r.json FROM resources r WHERE r.type = 'Device' AND r.device_key = p.device_key
          ORDER BY r.last_updated_ms DESC, r.id LIMIT 1) AS device_json
       FROM device_assignment_periods p WHERE p.patient_id = ? AND (p.until_ms IS NULL OR p.until_ms > p.from_ms)
       ORDER BY p.from_ms DESC, p.id DESC`,
    )
    .all(patientId);
}
