// Deletion of data past its historic data period, in small batches so that API reads interleave.
import { boundLimit, type Store } from './store.ts';

export interface PurgeCounts {
  readings: number;
  observations: number;
  chunks: number;
  sessions: number;
}

/** Deletes at most `limit` readings of one device kind measured before `cutoffMs`; returns how many. */
export function purgeReadingsBatch(
  store: Store,
  kind: 'cgm' | 'bgm',
  cutoffMs: number,
  limit: number,
): number {
  return store
    .prepare(
      `DELETE FROM readings WHERE id IN (
         SELECT r.id FROM readings r JOIN devices d ON d.id = r.device_id
         WHERE d.kind = ? AND r.effective_ms < ? ${boundLimit()})`,
    )
    .run(kind, cutoffMs, limit).changes;
}

/** Deletes at most `limit` Observations with one of `codes` whose period ended before `cutoffMs`. */
export function purgeObservationsBatch(
  store: Store,
  codes: readonly string[],
  cutoffMs: number,
  limit: number,
): number {
  const marks = codes.map(() => '?').join(',');
  return store
    .prepare(
      `DELETE FROM resources WHERE type = 'Observation' AND id IN (
         SELECT id FROM resources WHERE type = 'Observation' AND code IN (${marks}) AND effective_end_ms <= ? ${boundLimit()})`,
    )
    .run(...codes, cutoffMs, limit).changes;
}

export function purgeChunksBatch(store: Store, cutoffMs: number, limit: number): number {
  return store
    .prepare(
      `DELETE FROM cgm_chunks WHERE id IN (SELECT id FROM cgm_chunks WHERE end_ms <= ? ${boundLimit()})`,
    )
    .run(cutoffMs, limit).changes;
}

/**
 * Sessions (FHIR Device + DeviceMetric) with no reading left whose sensor ended before `cutoffMs`: their
 * resources, history and session rows go too. A BG meter's single session stays while the meter exists.
 */
export function purgeEmptySessions(store: Store, cutoffMs: number): number {
  const rows = store
    .prepare<{ id: number; device_fhir_id: string; metric_fhir_id: string }>(
      `SELECT s.id, s.device_fhir_id, s.metric_fhir_id FROM device_sessions s
       WHERE s.started_at <> '' AND coalesce(s.expires_at, s.started_at) < ?
         AND NOT EXISTS (SELECT 1 FROM readings r WHERE r.session_id = s.id)
         AND NOT EXISTS (SELECT 1 FROM cgm_chunks c WHERE c.session_id = s.id)
         AND EXISTS (SELECT 1 FROM device_sessions n WHERE n.device_id = s.device_id AND n.started_at > s.started_at)`,
    )
    .all(new Date(cutoffMs).toISOString());
  for (const s of rows) {
    for (const [type, id] of [
      ['Device', s.device_fhir_id],
      ['DeviceMetric', s.metric_fhir_id],
    ]) {
      store.prepare('DELETE FROM resources WHERE type = ? AND id = ?').run(type, id);
      store.prepare('DELETE FROM resource_history WHERE type = ? AND id = ?').run(type, id);
    }
    store.prepare('DELETE FROM device_sessions WHERE id = ?').run(s.id);
  }
  return rows.length;
}
