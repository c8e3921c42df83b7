// Patients' TOTP secrets at rest: AES-256-GCM under the key of server/pages/totp-key.ts, bound to the patient
// (a secret copied to another patient's row does not decrypt). Stored as `v1.<key id>.<iv>.<ciphertext+tag>`
// (base64url), which never looks like base32, so secrets an earlier version stored plain are recognised and
// encrypted: at server start and whenever one is met. A missing or wrong key is an error, never a pass.
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import {
  hasTotpSecretWithPrefix,
  listTotpSecrets,
  replaceTotpSecrets,
  type TotpSecretRow,
} from '../../gateway/store/oauth-accounts.ts';
import type { Store } from '../../gateway/store/store.ts';
import { createTotpKey, readTotpKey, totpKeyFile, TotpKeyError, type TotpKey } from './totp-key.ts';

const PREFIX = 'v1.';
const SEALED = /^v1\.([A-Za-z0-9_-]{8})\.([A-Za-z0-9_-]{16})\.([A-Za-z0-9_-]{22,})$/;
const PLAIN = /^[A-Z2-7]+=*$/;
const TAG_BYTES = 16;

/** In-memory databases (tests) have no folder: their key lives as long as the process. */
const memoryKeys = new WeakMap<Store, TotpKey>();

function aad(patientId: string): Buffer {
  return Buffer.from(`hddt-gateway totp v1\0${patientId}`, 'utf8');
}

function missingKey(file: string): TotpKeyError {
  return new TotpKeyError(
    'ERR_TOTP_KEY_MISSING',
    `the TOTP secrets in the database are encrypted, but their key file ${file} is missing: restore it ` +
      'from a backup of the data directory (without it every patient must enrol again: hddt-gateway patient reset-2fa)',
  );
}

/** The key to encrypt with: the existing one, or a new one when no secret is encrypted yet. */
function keyForSealing(store: Store): TotpKey {
  if (store.path === ':memory:') {
    let key = memoryKeys.get(store);
    if (!key) memoryKeys.set(store, (key = { id: 'memory00', bytes: randomBytes(32), file: ':memory:' }));
    return key;
  }
  const file = totpKeyFile(store.path);
  const key = readTotpKey(file);
  if (key) return key;
  // A new key would leave the secrets already encrypted under the lost one unreadable, silently.
  if (hasTotpSecretWithPrefix(store, PREFIX)) throw missingKey(file);
  return createTotpKey(file);
}

function keyForOpening(store: Store): TotpKey {
  if (store.path === ':memory:') {
    const key = memoryKeys.get(store);
    if (!key) throw missingKey(':memory:');
    return key;
  }
  const file = totpKeyFile(store.path);
  const key = readTotpKey(file);
  if (!key) throw missingKey(file);
  return key;
}

function seal(key: TotpKey, patientId: string, secret: string): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', key.bytes, iv);
  cipher.setAAD(aad(patientId));
  const body = Buffer.concat([cipher.update(secret, 'utf8'), cipher.final(), cipher.getAuthTag()]);
  return `${PREFIX}${key.id}.${iv.toString('base64url')}.${body.toString('base64url')}`;
}

/** The stored form of a patient's secret. */
export function encryptTotpSecret(store: Store, patientId: string, secret: string): string {
  return seal(keyForSealing(store), patientId, secret);
}

/** The secret in clear, to check a code or show it for enrolment. Throws TotpKeyError, never guesses. */
export function decryptTotpSecret(store: Store, patientId: string, stored: string): string {
  if (PLAIN.test(stored)) {
    // Left by an earlier version: encrypt every such secret now, and use this one as it is.
    encryptPlainTotpSecrets(store);
    return stored;
  }
  const m = SEALED.exec(stored);
  if (!m) {
    throw new TotpKeyError(
      'ERR_TOTP_SECRET_DAMAGED',
      'a TOTP secret in the database is neither encrypted nor base32',
    );
  }
  const [, id, iv, body] = m as unknown as [string, string, string, string];
  const key = keyForOpening(store);
  if (id !== key.id) {
    throw new TotpKeyError(
      'ERR_TOTP_KEY_MISMATCH',
      `the TOTP secrets in the database were encrypted with key ${id}, but ${key.file} holds key ${key.id}: ` +
        'restore the key file that belongs to this database',
    );
  }
  const bytes = Buffer.from(body, 'base64url');
  try {
    const decipher = createDecipheriv('aes-256-gcm', key.bytes, Buffer.from(iv, 'base64url'));
    decipher.setAAD(aad(patientId));
    decipher.setAuthTag(bytes.subarray(bytes.length - TAG_BYTES));
    return Buffer.concat([
      decipher.update(bytes.subarray(0, bytes.length - TAG_BYTES)),
      decipher.final(),
    ]).toString('utf8');
  } catch {
    throw new TotpKeyError(
      'ERR_TOTP_SECRET_DAMAGED',
      `a TOTP secret in the database does not decrypt with ${key.file} (modified, or moved to another patient)`,
    );
  }
}

/** Encrypts the secrets an earlier version stored as plain base32; returns how many patients changed. */
export function encryptPlainTotpSecrets(store: Store): number {
  const plain = listTotpSecrets(store).filter(
    (r) =>
      (r.totp_secret !== null && PLAIN.test(r.totp_secret)) ||
      (r.totp_pending !== null && PLAIN.test(r.totp_pending)),
  );
  if (plain.length === 0) return 0;
  const key = keyForSealing(store);
  const convert = (r: TotpSecretRow, v: string | null) =>
    v !== null && PLAIN.test(v) ? seal(key, r.patient_id, v) : v;
  return replaceTotpSecrets(
    store,
    plain.map((old) => ({
      old,
      next: {
        ...old,
        totp_secret: convert(old, old.totp_secret),
        totp_pending: convert(old, old.totp_pending),
      },
    })),
  );
}
