// Privacy audit trail (HDDT security-and-privacy: pairing, unpairing, failed pairing attempts,
// unauthorized access attempts; plus patient logins, a patient's export of their data and an account's
// removal). Append-only and tamper-evident: every entry carries the hash of its predecessor, so a changed,
// inserted or removed entry breaks the chain that verifyPrivacyTrail() walks. Entries name the patient only by a pseudonymous reference (an HMAC of the
// internal id under a secret of this gateway), never by username or internal id.
import { createHash, createHmac } from 'node:crypto';
import type { Store } from '../../gateway/store/store.ts';
import {
  deletePrivacyAuditBefore,
  insertPrivacyAuditRow,
  lastPrivacyAuditRow,
  privacyAuditRowsAfter,
  privacyAuditRowsOfPairings,
  privacyAuditRowsOfPatient,
  PRIVACY_AUDIT_HASHED,
  type PrivacyAuditRow,
} from '../../gateway/store/oauth-audit.ts';

export type PrivacyEvent =
  | 'pairing'
  | 'pairing_failed'
  | 'unpairing'
  | 'unpairing_failed'
  | 'unauthorized_access'
  | 'login'
  | 'login_failed'
  /** The patient downloaded their data (GDPR Art. 15/20); reason = the format (csv, fhir, pdf). */
  | 'export'
  /** The account was removed (`hddt-gateway patient remove`); its pairings end with their own entries. */
  | 'account_removed';

export interface PrivacyEntry {
  event: PrivacyEvent;
  outcome: 'success' | 'failure';
  atMs: number;
  /** Pseudonymous patient reference from patientRef(), when the patient is known. */
  patientRef?: string | null;
  pairingId?: string | null;
  clientId?: string | null;
  /** A short machine-readable reason (an OAuth error code, 'patient_revoked', ...); never personal data. */
  reason?: string | null;
}

export const GENESIS_HASH = '0'.repeat(64);

/** The pseudonymous reference of a patient in the trail (stable, not reversible without the secret). */
export function patientRef(store: Store, patientId: string): string {
  return createHmac('sha256', store.secret('privacy-audit-patient-ref', 32))
    .update(patientId)
    .digest('hex')
    .slice(0, 32);
}

function entryHash(prevHash: string, row: Omit<PrivacyAuditRow, 'seq' | 'prev_hash' | 'hash'>): string {
  // Fixed field order: the canonical form never depends on object key order.
  const canonical = JSON.stringify(PRIVACY_AUDIT_HASHED.map((k) => row[k]));
  return createHash('sha256').update(prevHash).update('\n').update(canonical).digest('hex');
}

/** Appends one entry; returns its sequence number. Runs in a transaction so the chain never forks. */
export function appendPrivacyEvent(store: Store, entry: PrivacyEntry): number {
  return store.transaction(() => {
    const prev = lastPrivacyAuditRow(store)?.hash ?? GENESIS_HASH;
    const row = {
      at_ms: entry.atMs,
      event: entry.event,
      outcome: entry.outcome,
      patient_ref: entry.patientRef ?? null,
      pairing_id: entry.pairingId ?? null,
      client_id: entry.clientId ?? null,
      reason: entry.reason ?? null,
    };
    return insertPrivacyAuditRow(store, { ...row, prev_hash: prev, hash: entryHash(prev, row) });
  });
}

export interface TrailVerification {
  ok: boolean;
  checked: number;
  /** Sequence number of the first entry that does not fit the chain. */
  brokenAt?: number;
}

/**
 * Walks the whole trail and recomputes every hash. The first remaining entry's prev_hash is taken as the
 * anchor (older entries may have been pruned after the retention period); everything after it must chain.
 */
export function verifyPrivacyTrail(store: Store): TrailVerification {
  let prevHash: string | undefined;
  let prevSeq = 0;
  let checked = 0;
  for (;;) {
    const rows = privacyAuditRowsAfter(store, prevSeq, 1000);
    if (rows.length === 0) break;
    for (const r of rows) {
      if (prevHash !== undefined && r.prev_hash !== prevHash) return { ok: false, checked, brokenAt: r.seq };
      if (entryHash(r.prev_hash, r) !== r.hash) return { ok: false, checked, brokenAt: r.seq };
      prevHash = r.hash;
      prevSeq = r.seq;
      checked++;
    }
  }
  return { ok: true, checked };
}

/** Entries a patient may see: those naming them and those about their pairings, newest first. */
export function privacyEventsOfPatient(
  store: Store,
  patientId: string,
  pairingIds: string[],
  limit = 200,
): PrivacyAuditRow[] {
  const byRef = privacyAuditRowsOfPatient(store, patientRef(store, patientId), limit);
  const byPairing = privacyAuditRowsOfPairings(store, pairingIds, limit);
  const seen = new Map<number, PrivacyAuditRow>();
  for (const r of [...byRef, ...byPairing]) seen.set(r.seq, r);
  return [...seen.values()].sort((a, b) => b.seq - a.seq).slice(0, limit);
}

/** Deletes entries older than the retention period (never less than 30 days). */
export function prunePrivacyTrail(store: Store, nowMs: number, retentionDays: number): number {
  const days = Math.max(30, retentionDays);
  return deletePrivacyAuditBefore(store, nowMs - days * 86_400_000);
}
