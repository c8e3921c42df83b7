// Patient credentials (password hash, TOTP seed, lockout counters) and browser sessions of the patient
// pages. Session ids reach this module only as hashes; TOTP secrets only encrypted (server/pages/totp-secrets.ts).
import { closePeriodsOfPatient } from './assignments.ts';
import type { Store } from './store.ts';

export interface CredentialRow {
  patient_id: string;
  password_hash: string;
  /** Encrypted (`v1.<key id>.<iv>.<ciphertext>`); plain base32 only in databases of earlier versions. */
  totp_secret: string | null;
  /** The secret of an enrolment not yet confirmed, encrypted like totp_secret. */
  totp_pending: string | null;
  totp_last_step: number | null;
  failed_count: number;
  locked_until_ms: number;
  updated_ms: number;
}

export function setCredentials(
  store: Store,
  patientId: string,
  passwordHash: string,
  totpSecret: string | null,
  nowMs: number,
): void {
  store
    .prepare(
      `INSERT INTO patient_credentials (patient_id, password_hash, totp_secret, totp_last_step, failed_count,
         locked_until_ms, updated_ms) VALUES (?, ?, ?, NULL, 0, 0, ?)
       ON CONFLICT (patient_id) DO UPDATE SET password_hash = excluded.password_hash,
         totp_secret = excluded.totp_secret, totp_last_step = NULL, failed_count = 0, locked_until_ms = 0,
         updated_ms = excluded.updated_ms`,
    )
    .run(patientId, passwordHash, totpSecret, nowMs);
}

export function getCredentials(store: Store, patientId: string): CredentialRow | undefined {
  return store
    .prepare<CredentialRow>('SELECT * FROM patient_credentials WHERE patient_id = ?')
    .get(patientId);
}

export function setTotpSecret(
  store: Store,
  patientId: string,
  secret: string | null,
  nowMs: number,
): boolean {
  return (
    store
      .prepare(
        `UPDATE patient_credentials SET totp_secret = ?, totp_pending = NULL, totp_last_step = NULL, updated_ms = ?
         WHERE patient_id = ?`,
      )
      .run(secret, nowMs, patientId).changes === 1
  );
}

export function setTotpPending(store: Store, patientId: string, secret: string | null, nowMs: number): void {
  store
    .prepare('UPDATE patient_credentials SET totp_pending = ?, updated_ms = ? WHERE patient_id = ?')
    .run(secret, nowMs, patientId);
}

/** Makes the pending secret the active one (enrolment confirmed). */
export function confirmTotpPending(store: Store, patientId: string, step: number, nowMs: number): boolean {
  return (
    store
      .prepare(
        `UPDATE patient_credentials SET totp_secret = totp_pending, totp_pending = NULL, totp_last_step = ?,
           updated_ms = ? WHERE patient_id = ? AND totp_pending IS NOT NULL`,
      )
      .run(step, nowMs, patientId).changes === 1
  );
}

export interface TotpSecretRow {
  patient_id: string;
  totp_secret: string | null;
  totp_pending: string | null;
}

/** Every stored TOTP secret, active or pending (to encrypt those an earlier version kept plain). */
export function listTotpSecrets(store: Store): TotpSecretRow[] {
  return store
    .prepare<TotpSecretRow>(
      `SELECT patient_id, totp_secret, totp_pending FROM patient_credentials
       WHERE totp_secret IS NOT NULL OR totp_pending IS NOT NULL`,
    )
    .all();
}

/** True when a secret starts with `prefix` (the encrypted form's), i.e. a key must already exist. */
export function hasTotpSecretWithPrefix(store: Store, prefix: string): boolean {
  return (
    store
      .prepare(
        `SELECT 1 FROM patient_credentials
         WHERE substr(totp_secret, 1, length(@prefix)) = @prefix
            OR substr(totp_pending, 1, length(@prefix)) = @prefix LIMIT 1`,
      )
      .get({ prefix }) !== undefined
  );
}

/**
 * Replaces secrets that still hold the values read (another process may have changed them since), with
 * secure_delete on so the replaced text is zeroed in the database file, then truncates the WAL, which held
 * the old pages: afterwards the old values are nowhere in the files. Returns the rows changed.
 */
export function replaceTotpSecrets(
  store: Store,
  changes: Array<{ old: TotpSecretRow; next: TotpSecretRow }>,
): number {
  const before = store.db.pragma('secure_delete', { simple: true }) as number;
  store.db.pragma('secure_delete = ON');
  let n = 0;
  try {
    const update = store.prepare(
      `UPDATE patient_credentials SET totp_secret = @nextSecret, totp_pending = @nextPending
       WHERE patient_id = @id AND totp_secret IS @oldSecret AND totp_pending IS @oldPending`,
    );
    store.transaction(() => {
      for (const { old, next } of changes) {
        n += update.run({
          id: old.patient_id,
          oldSecret: old.totp_secret,
          oldPending: old.totp_pending,
          nextSecret: next.totp_secret,
          nextPending: next.totp_pending,
        }).changes;
      }
    });
  } finally {
    store.db.pragma(`secure_delete = ${before ? 'ON' : 'OFF'}`);
  }
  if (n > 0) store.db.pragma('wal_checkpoint(TRUNCATE)');
  return n;
}

export function setTotpLastStep(store: Store, patientId: string, step: number): void {
  store
    .prepare('UPDATE patient_credentials SET totp_last_step = ? WHERE patient_id = ?')
    .run(step, patientId);
}

export function recordLoginFailure(
  store: Store,
  patientId: string,
  lockedUntilMs: number,
  nowMs: number,
): void {
  store
    .prepare(
      `UPDATE patient_credentials SET failed_count = failed_count + 1, locked_until_ms = ?, updated_ms = ?
       WHERE patient_id = ?`,
    )
    .run(lockedUntilMs, nowMs, patientId);
}

export function clearLoginFailures(store: Store, patientId: string, nowMs: number): void {
  store
    .prepare(
      'UPDATE patient_credentials SET failed_count = 0, locked_until_ms = 0, updated_ms = ? WHERE patient_id = ?',
    )
    .run(nowMs, patientId);
}

/** Marks the patient removed, deletes credentials and sessions, and ends the device assignments. */
export function removePatientAccount(store: Store, patientId: string, nowMs: number): void {
  store.prepare('DELETE FROM patient_credentials WHERE patient_id = ?').run(patientId);
  store.prepare('DELETE FROM web_sessions WHERE patient_id = ?').run(patientId);
  // Periods end (and travel upward) like any unassignment; their history stays for the audit.
  closePeriodsOfPatient(store, patientId, nowMs);
  store
    .prepare('UPDATE patients SET removed_ms = ? WHERE id = ? AND removed_ms IS NULL')
    .run(nowMs, patientId);
}

export type SessionStage = 'anonymous' | 'password' | 'authenticated';

export interface SessionRow {
  id: number;
  sid_hash: string;
  patient_id: string | null;
  stage: SessionStage;
  created_ms: number;
  seen_ms: number;
  expires_ms: number;
}

export function insertSession(store: Store, sidHash: string, nowMs: number, expiresMs: number): SessionRow {
  const info = store
    .prepare(
      `INSERT INTO web_sessions (sid_hash, patient_id, stage, created_ms, seen_ms, expires_ms)
       VALUES (?, NULL, 'anonymous', ?, ?, ?)`,
    )
    .run(sidHash, nowMs, nowMs, expiresMs);
  return getSessionById(store, Number(info.lastInsertRowid))!;
}

export function getSessionById(store: Store, id: number): SessionRow | undefined {
  return store.prepare<SessionRow>('SELECT * FROM web_sessions WHERE id = ?').get(id);
}

export function getSessionByHash(store: Store, sidHash: string): SessionRow | undefined {
  return store.prepare<SessionRow>('SELECT * FROM web_sessions WHERE sid_hash = ?').get(sidHash);
}

export function touchSession(store: Store, id: number, nowMs: number): void {
  store.prepare('UPDATE web_sessions SET seen_ms = ? WHERE id = ?').run(nowMs, id);
}

/** Moves the session to another stage under a new id (the old cookie stops working: no fixation). */
export function updateSession(
  store: Store,
  id: number,
  newSidHash: string,
  patientId: string | null,
  stage: SessionStage,
  nowMs: number,
  expiresMs: number,
): void {
  store
    .prepare(
      `UPDATE web_sessions SET sid_hash = ?, patient_id = ?, stage = ?, seen_ms = ?, expires_ms = ?
       WHERE id = ?`,
    )
    .run(newSidHash, patientId, stage, nowMs, expiresMs, id);
}

export function deleteSession(store: Store, id: number): void {
  store.prepare('DELETE FROM web_sessions WHERE id = ?').run(id);
}

export function deleteExpiredSessions(store: Store, nowMs: number): number {
  return store.prepare('DELETE FROM web_sessions WHERE expires_ms <= ?').run(nowMs).changes;
}

export function deleteSessionsOfPatient(store: Store, patientId: string): number {
  return store.prepare('DELETE FROM web_sessions WHERE patient_id = ?').run(patientId).changes;
}
