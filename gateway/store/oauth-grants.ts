// Pairings (with the patient's consent), grants and refresh tokens (stored hashed).
import { namedInsert } from './insert-row.ts';
import type { Store } from './store.ts';

export interface PairingRow {
  pairing_id: string;
  patient_id: string;
  client_id: string;
  created_ms: number;
  consent_mivs: string;
  consent_granted_ms: number;
  consent_expires_ms: number;
  revoked_ms: number | null;
  revoked_reason: string | null;
}

/** Creates the pairing or renews its consent (a revoked pairing becomes active again, same id). */
export function upsertPairing(
  store: Store,
  p: {
    pairingId: string;
    patientId: string;
    clientId: string;
    mivs: string[];
    nowMs: number;
    expiresMs: number;
  },
): void {
  store
    .prepare(
      `INSERT INTO pairings (pairing_id, patient_id, client_id, created_ms, consent_mivs, consent_granted_ms,
         consent_expires_ms) VALUES (?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (pairing_id) DO UPDATE SET consent_mivs = excluded.consent_mivs,
         consent_granted_ms = excluded.consent_granted_ms, consent_expires_ms = excluded.consent_expires_ms,
         revoked_ms = NULL, revoked_reason = NULL`,
    )
    .run(p.pairingId, p.patientId, p.clientId, p.nowMs, JSON.stringify(p.mivs), p.nowMs, p.expiresMs);
}

export function getPairing(store: Store, pairingId: string): PairingRow | undefined {
  return store.prepare<PairingRow>('SELECT * FROM pairings WHERE pairing_id = ?').get(pairingId);
}

export function listPairingsOfPatient(store: Store, patientId: string): PairingRow[] {
  return store
    .prepare<PairingRow>('SELECT * FROM pairings WHERE patient_id = ? ORDER BY created_ms, pairing_id')
    .all(patientId);
}

export function activePairingsOfClient(store: Store, clientId: string): PairingRow[] {
  return store
    .prepare<PairingRow>('SELECT * FROM pairings WHERE client_id = ? AND revoked_ms IS NULL')
    .all(clientId);
}

/** Client ids that still hold an active pairing (checked against the directory after each refresh). */
export function clientsWithActivePairings(store: Store): string[] {
  return store
    .prepare<{ client_id: string }>('SELECT DISTINCT client_id FROM pairings WHERE revoked_ms IS NULL')
    .all()
    .map((r) => r.client_id);
}

/** Active pairings whose consent ended at or before `nowMs` (the consent-expiry sweep). */
export function pairingsWithExpiredConsent(store: Store, nowMs: number): PairingRow[] {
  return store
    .prepare<PairingRow>(
      'SELECT * FROM pairings WHERE revoked_ms IS NULL AND consent_expires_ms <= ? ORDER BY consent_expires_ms',
    )
    .all(nowMs);
}

/**
 * Ends the consent of a pairing, revokes its grants (so every access token fails the per-request grant
 * check) and expires their refresh tokens, all in one transaction.
 */
export function revokePairing(store: Store, pairingId: string, reason: string, nowMs: number): boolean {
  return store.transaction(() => {
    const changed = store
      .prepare(
        'UPDATE pairings SET revoked_ms = ?, revoked_reason = ? WHERE pairing_id = ? AND revoked_ms IS NULL',
      )
      .run(nowMs, reason, pairingId).changes;
    store
      .prepare(
        `UPDATE oauth_grants SET revoked_ms = ?, revoked_reason = ? WHERE pairing_id = ? AND revoked_ms IS NULL`,
      )
      .run(nowMs, reason, pairingId);
    store
      .prepare(
        `UPDATE oauth_refresh_tokens SET expires_ms = ?
         WHERE expires_ms > ? AND grant_id IN (SELECT id FROM oauth_grants WHERE pairing_id = ?)`,
      )
      .run(nowMs, nowMs, pairingId);
    return changed === 1;
  });
}

/** Pairing counts per DiGA client (no patient data): active ones and ended ones by reason. */
export interface PairingCountRow {
  client_id: string;
  active: number;
  /** Consent ran out but the sweep has not ended the pairing yet (counted as ended, reason consent_expired). */
  expired_unswept: number;
  revoked_reason: string | null;
  ended: number;
}

export function pairingCountsByClient(store: Store, nowMs: number): PairingCountRow[] {
  return store
    .prepare<PairingCountRow>(
      `SELECT client_id,
         SUM(CASE WHEN revoked_ms IS NULL AND consent_expires_ms > ? THEN 1 ELSE 0 END) AS active,
         SUM(CASE WHEN revoked_ms IS NULL AND consent_expires_ms <= ? THEN 1 ELSE 0 END) AS expired_unswept,
         revoked_reason,
         SUM(CASE WHEN revoked_ms IS NOT NULL THEN 1 ELSE 0 END) AS ended
       FROM pairings GROUP BY client_id, revoked_reason ORDER BY client_id, revoked_reason`,
    )
    .all(nowMs, nowMs);
}

export interface GrantRow {
  id: string;
  pairing_id: string;
  client_id: string;
  patient_id: string;
  scope: string;
  created_ms: number;
  expires_ms: number;
  activated_ms: number | null;
  revoked_ms: number | null;
  revoked_reason: string | null;
}

type NewGrant = Omit<GrantRow, 'activated_ms' | 'revoked_ms' | 'revoked_reason'>;

export const insertGrant: (store: Store, row: NewGrant) => void = namedInsert<NewGrant>('oauth_grants', [
  'id',
  'pairing_id',
  'client_id',
  'patient_id',
  'scope',
  'created_ms',
  'expires_ms',
]);

export function getGrant(store: Store, id: string): GrantRow | undefined {
  return store.prepare<GrantRow>('SELECT * FROM oauth_grants WHERE id = ?').get(id);
}

/** The grant together with its pairing's state, in one lookup (the per-request check of the API). */
export interface GrantStatusRow extends GrantRow {
  pairing_revoked_ms: number | null;
  consent_expires_ms: number;
}

export function getGrantStatus(store: Store, id: string): GrantStatusRow | undefined {
  return store
    .prepare<GrantStatusRow>(
      `SELECT g.*, p.revoked_ms AS pairing_revoked_ms, p.consent_expires_ms
       FROM oauth_grants g JOIN pairings p ON p.pairing_id = g.pairing_id WHERE g.id = ?`,
    )
    .get(id);
}

/** Revokes the pairing's live grants other than `exceptId` (consent replaced by a narrower one). */
export function revokeOtherGrants(
  store: Store,
  pairingId: string,
  exceptId: string,
  reason: string,
  nowMs: number,
): number {
  return store
    .prepare(
      `UPDATE oauth_grants SET revoked_ms = ?, revoked_reason = ?
       WHERE pairing_id = ? AND id <> ? AND revoked_ms IS NULL`,
    )
    .run(nowMs, reason, pairingId, exceptId).changes;
}

/** Activates a grant and supersedes the pairing's older grants: one live grant per pairing. */
export function activateGrant(store: Store, id: string, pairingId: string, nowMs: number): void {
  store
    .prepare(
      `UPDATE oauth_grants SET revoked_ms = ?, revoked_reason = 'superseded'
       WHERE pairing_id = ? AND id <> ? AND revoked_ms IS NULL`,
    )
    .run(nowMs, pairingId, id);
  store.prepare('UPDATE oauth_grants SET activated_ms = ? WHERE id = ?').run(nowMs, id);
}

export function revokeGrant(store: Store, id: string, reason: string, nowMs: number): boolean {
  return (
    store
      .prepare(
        'UPDATE oauth_grants SET revoked_ms = ?, revoked_reason = ? WHERE id = ? AND revoked_ms IS NULL',
      )
      .run(nowMs, reason, id).changes === 1
  );
}

export interface RefreshTokenRow {
  token_hash: string;
  grant_id: string;
  client_id: string;
  created_ms: number;
  expires_ms: number;
  rotated_ms: number | null;
}

export const insertRefreshToken: (store: Store, row: Omit<RefreshTokenRow, 'rotated_ms'>) => void =
  namedInsert<Omit<RefreshTokenRow, 'rotated_ms'>>('oauth_refresh_tokens', [
    'token_hash',
    'grant_id',
    'client_id',
    'created_ms',
    'expires_ms',
  ]);

export function getRefreshToken(store: Store, tokenHash: string): RefreshTokenRow | undefined {
  return store
    .prepare<RefreshTokenRow>('SELECT * FROM oauth_refresh_tokens WHERE token_hash = ?')
    .get(tokenHash);
}

/** Marks a refresh token used; false when it had been used already (a replay). */
export function markRefreshTokenRotated(store: Store, tokenHash: string, nowMs: number): boolean {
  return (
    store
      .prepare('UPDATE oauth_refresh_tokens SET rotated_ms = ? WHERE token_hash = ? AND rotated_ms IS NULL')
      .run(nowMs, tokenHash).changes === 1
  );
}

/** Drops refresh tokens that expired before the given time (their grant's state is kept). */
export function deleteExpiredRefreshTokens(store: Store, beforeMs: number): number {
  return store.prepare('DELETE FROM oauth_refresh_tokens WHERE expires_ms < ?').run(beforeMs).changes;
}
