// Rows of the privacy audit trail. The hash chain itself is computed in server/audit/privacy-trail.ts.
import { namedInsert } from './insert-row.ts';
import { boundLimit, type Store } from './store.ts';

export interface PrivacyAuditRow {
  seq: number;
  at_ms: number;
  event: string;
  outcome: string;
  patient_ref: string | null;
  pairing_id: string | null;
  client_id: string | null;
  reason: string | null;
  prev_hash: string;
  hash: string;
}

export function lastPrivacyAuditRow(store: Store): PrivacyAuditRow | undefined {
  return store.prepare<PrivacyAuditRow>('SELECT * FROM privacy_audit ORDER BY seq DESC LIMIT 1').get();
}

/** The fields an entry's hash covers, in the fixed order of its canonical form (server/audit/privacy-trail.ts). */
export const PRIVACY_AUDIT_HASHED = [
  'at_ms',
  'event',
  'outcome',
  'patient_ref',
  'pairing_id',
  'client_id',
  'reason',
] as const satisfies readonly (keyof PrivacyAuditRow)[];

const insertRow = namedInsert<Omit<PrivacyAuditRow, 'seq'>>('privacy_audit', [
  ...PRIVACY_AUDIT_HASHED,
  'prev_hash',
  'hash',
]);

export function insertPrivacyAuditRow(store: Store, row: Omit<PrivacyAuditRow, 'seq'>): number {
  return Number(insertRow(store, row).lastInsertRowid);
}

export function privacyAuditRowsOfPatient(
  store: Store,
  patientRef: string,
  limit: number,
): PrivacyAuditRow[] {
  return store
    .prepare<PrivacyAuditRow>(
      `SELECT * FROM privacy_audit WHERE patient_ref = ? ORDER BY seq DESC ${boundLimit()}`,
    )
    .all(patientRef, limit);
}

/** Entries touching the given pairings (events of a DiGA about this patient without a patient_ref). */
export function privacyAuditRowsOfPairings(
  store: Store,
  pairingIds: string[],
  limit: number,
): PrivacyAuditRow[] {
  if (pairingIds.length === 0) return [];
  const marks = pairingIds.map(() => '?').join(', ');
  return store
    .prepare<PrivacyAuditRow>(
      `SELECT * FROM privacy_audit WHERE pairing_id IN (${marks}) ORDER BY seq DESC ${boundLimit()}`,
    )
    .all(...pairingIds, limit);
}

/** All rows in order, in pages (for verification). */
export function privacyAuditRowsAfter(store: Store, afterSeq: number, limit: number): PrivacyAuditRow[] {
  return store
    .prepare<PrivacyAuditRow>(`SELECT * FROM privacy_audit WHERE seq > ? ORDER BY seq ${boundLimit()}`)
    .all(afterSeq, limit);
}

export function deletePrivacyAuditBefore(store: Store, beforeMs: number): number {
  return store.prepare('DELETE FROM privacy_audit WHERE at_ms < ?').run(beforeMs).changes;
}
