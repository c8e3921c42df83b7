// Patient accounts: scrypt password hashes (node:crypto), TOTP second factor (otplib, RFC 6238, with
// replay protection by time step; secrets encrypted at rest by ./totp-secrets.ts), and lockout with exponential
// backoff after failed attempts.
import { randomBytes, scrypt as scryptCb, timingSafeEqual, type ScryptOptions } from 'node:crypto';
import { createRequire } from 'node:module';
import type * as Otplib from 'otplib';
import type { Logger } from 'pino';
import {
  clearLoginFailures,
  getCredentials,
  recordLoginFailure,
  removePatientAccount,
  setCredentials,
  setTotpPending,
  type CredentialRow,
} from '../../gateway/store/oauth-accounts.ts';
import { addPatient, getPatientByUsername, type PatientRow } from '../../gateway/store/patients.ts';
import type { Store } from '../../gateway/store/store.ts';
import { appendPrivacyEvent, patientRef } from '../audit/privacy-trail.ts';
import type { Clock } from '../clock.ts';
import { unpairPatient } from '../oauth/pairing.ts';
import { decryptTotpSecret, encryptPlainTotpSecrets, encryptTotpSecret } from './totp-secrets.ts';

function scrypt(password: string, salt: Buffer, keylen: number, opts: ScryptOptions): Promise<Buffer> {
  return new Promise((resolve, reject) =>
    scryptCb(password, salt, keylen, opts, (err, key) => (err ? reject(err) : resolve(key))),
  );
}

// N = 2^15, r = 8: 32 MiB and tens of milliseconds on a Pi-class CPU.
const LOG_N = 15;
const R = 8;
const P = 1;
const MAXMEM = 64 * 1024 * 1024;

export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16);
  const key = await scrypt(password.normalize('NFC'), salt, 32, {
    N: 2 ** LOG_N,
    r: R,
    p: P,
    maxmem: MAXMEM,
  });
  return `scrypt$${LOG_N}$${R}$${P}$${salt.toString('base64url')}$${key.toString('base64url')}`;
}

export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const parts = stored.split('$');
  if (parts.length !== 6 || parts[0] !== 'scrypt') return false;
  const [, logN, r, p, saltB64, keyB64] = parts as [string, string, string, string, string, string];
  const expected = Buffer.from(keyB64, 'base64url');
  const key = await scrypt(password.normalize('NFC'), Buffer.from(saltB64, 'base64url'), expected.length, {
    N: 2 ** Number(logN),
    r: Number(r),
    p: Number(p),
    maxmem: MAXMEM,
  });
  return key.length === expected.length && timingSafeEqual(key, expected);
}

/**
 * The hash of one random password, made on first use: verifying against it when the username is unknown
 * keeps the timing of both cases alike. One per server (server/pages/plugin.ts decorates it).
 */
export function dummyPasswordHasher(): () => Promise<string> {
  let hash: Promise<string> | undefined;
  return () => (hash ??= hashPassword(randomBytes(16).toString('hex')));
}

export const TOTP_ISSUER = 'hddt-gateway';

// otplib is loaded by the first TOTP operation, not at every start (~40 ms)
let otplib: typeof Otplib | undefined;
const otp = () => (otplib ??= createRequire(import.meta.url)('otplib') as typeof Otplib);

export function newTotpSecret(): string {
  return otp().generateSecret({ length: 20 });
}

export function totpUri(username: string, secret: string): string {
  return otp().generateURI({ issuer: TOTP_ISSUER, label: username, secret });
}

/** Checks a 6-digit code (±1 step) newer than the last accepted one; returns the matched step. */
export async function checkTotp(
  secret: string,
  code: string,
  nowMs: number,
  lastStep: number | null,
): Promise<number | undefined> {
  if (!/^\d{6}$/.test(code)) return undefined;
  try {
    const result = await otp().verify({
      secret,
      token: code,
      epoch: Math.floor(nowMs / 1000),
      epochTolerance: 30,
      ...(lastStep !== null ? { afterTimeStep: lastStep } : {}),
    });
    return result.valid ? (result as { timeStep: number }).timeStep : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Checks a code against the patient's active secret (login, replay-protected by the last accepted step) or
 * pending one (enrolment). Throws TotpKeyError when the secret cannot be decrypted: no code passes then.
 */
export async function checkPatientTotp(
  store: Store,
  cred: CredentialRow,
  which: 'active' | 'pending',
  code: string,
  nowMs: number,
): Promise<number | undefined> {
  const stored = which === 'active' ? cred.totp_secret : cred.totp_pending;
  if (stored === null) return undefined;
  const secret = decryptTotpSecret(store, cred.patient_id, stored);
  return checkTotp(secret, code, nowMs, which === 'active' ? cred.totp_last_step : null);
}

/** The secret of the patient's enrolment in clear (for the QR code): the pending one, or a new one stored. */
export function enrolmentSecret(store: Store, cred: CredentialRow, nowMs: number): string {
  if (cred.totp_pending !== null) return decryptTotpSecret(store, cred.patient_id, cred.totp_pending);
  const secret = newTotpSecret();
  setTotpPending(store, cred.patient_id, encryptTotpSecret(store, cred.patient_id, secret), nowMs);
  return secret;
}

/**
 * At server start: encrypts the secrets an earlier version stored plain. A key problem is logged (its message
 * names the key file) and does not stop the gateway: readings keep flowing, logins fail until it is fixed.
 */
export function prepareTotpSecrets(store: Store, log: Pick<Logger, 'info' | 'error'>): void {
  try {
    const n = encryptPlainTotpSecrets(store);
    if (n > 0) log.info({ patients: n }, 'TOTP secrets of an earlier version encrypted at rest');
  } catch (err) {
    log.error({ err }, 'TOTP secrets cannot be encrypted: patient logins will fail');
  }
}

export interface NewAccount {
  patient: PatientRow;
  totpSecret: string;
  totpUri: string;
}

export const USERNAME_PATTERN = /^[A-Za-z0-9._-]{3,64}$/;

export async function createAccount(
  store: Store,
  username: string,
  password: string,
  nowMs: number,
): Promise<NewAccount> {
  if (!USERNAME_PATTERN.test(username))
    throw new Error('username must be 3-64 characters of A-Z a-z 0-9 . _ -');
  if (password.length < 10) throw new Error('password must have at least 10 characters');
  if (getPatientByUsername(store, username)) throw new Error(`a patient named ${username} exists already`);
  const hash = await hashPassword(password);
  const secret = newTotpSecret();
  const patient = store.transaction(() => {
    const p = addPatient(store, username, nowMs);
    setCredentials(store, p.id, hash, encryptTotpSecret(store, p.id, secret), nowMs);
    return p;
  });
  return { patient, totpSecret: secret, totpUri: totpUri(username, secret) };
}

export interface LockoutPolicy {
  maxFailures: number;
  lockoutSeconds: number;
  maxLockoutSeconds: number;
}

export function isLocked(cred: CredentialRow, nowMs: number): boolean {
  return cred.locked_until_ms > nowMs;
}

/** Counts a failure; from the maxFailures-th on, locks for lockoutSeconds doubling per failure. */
export function registerFailure(
  store: Store,
  cred: CredentialRow,
  policy: LockoutPolicy,
  nowMs: number,
): void {
  const failures = cred.failed_count + 1;
  let lockedUntil = 0;
  if (failures >= policy.maxFailures) {
    const exp = Math.min(failures - policy.maxFailures, 20);
    const seconds = Math.min(policy.maxLockoutSeconds, policy.lockoutSeconds * 2 ** exp);
    lockedUntil = nowMs + seconds * 1000;
  }
  recordLoginFailure(store, cred.patient_id, lockedUntil, nowMs);
}

export function registerSuccess(store: Store, patientId: string, nowMs: number): void {
  clearLoginFailures(store, patientId, nowMs);
}

/**
 * Removes a patient (`hddt-gateway patient remove`): every pairing ends (consent, grants, tokens; one
 * privacy-trail entry each, reason patient_removed), then credentials, sessions and device assignments go,
 * and the removal itself is an entry of the trail. Returns how many pairings were ended.
 */
export function removeAccount(services: { store: Store; clock: Clock }, patientId: string): number {
  const { store } = services;
  return store.transaction(() => {
    const n = unpairPatient(services, patientId, 'patient_removed');
    const nowMs = services.clock.now().getTime();
    removePatientAccount(store, patientId, nowMs);
    appendPrivacyEvent(store, {
      event: 'account_removed',
      outcome: 'success',
      atMs: nowMs,
      patientRef: patientRef(store, patientId),
    });
    return n;
  });
}

export { getCredentials };
