// The key that encrypts patients' TOTP secrets at rest (server/pages/totp-secrets.ts): 32 random bytes, hex,
// in keys/totp.key beside the database (the data directory), 0600, made on first use. It lives outside the
// database so that a copied database file alone gives away no second factor; backups of the data directory
// carry it (inside the encrypted backup). The key is never logged; errors name its file and id only.
import { GatewayError } from '../../lib/errors.ts';
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

export type TotpKeyErrorCode =
  'ERR_TOTP_KEY_MISSING' | 'ERR_TOTP_KEY_MISMATCH' | 'ERR_TOTP_KEY_DAMAGED' | 'ERR_TOTP_SECRET_DAMAGED';

export class TotpKeyError extends GatewayError {
  declare readonly code: TotpKeyErrorCode;
  constructor(code: TotpKeyErrorCode, message: string) {
    super(code, message);
  }
}

export interface TotpKey {
  /** Short public name of the key (a hash of it), stored with each secret to tell a wrong key apart. */
  id: string;
  bytes: Buffer;
  file: string;
}

/** Where the key of the database at `storePath` lives: keys/totp.key in the database's folder. */
export function totpKeyFile(storePath: string): string {
  return path.join(path.dirname(path.resolve(storePath)), 'keys', 'totp.key');
}

function keyId(bytes: Buffer): string {
  return createHash('sha256')
    .update('hddt-gateway totp key id\0')
    .update(bytes)
    .digest()
    .subarray(0, 6)
    .toString('base64url');
}

function parse(file: string, text: string): TotpKey {
  const hex = text.trim();
  if (!/^[0-9a-f]{64}$/i.test(hex)) {
    throw new TotpKeyError(
      'ERR_TOTP_KEY_DAMAGED',
      `the TOTP key file ${file} is damaged: expected 64 hex characters`,
    );
  }
  const bytes = Buffer.from(hex, 'hex');
  return { id: keyId(bytes), bytes, file };
}

/** The key in `file`, or undefined when there is none; a file others may read is made 0600 first. */
export function readTotpKey(file: string): TotpKey | undefined {
  let text: string;
  try {
    if (fs.statSync(file).mode & 0o077) fs.chmodSync(file, 0o600);
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new TotpKeyError(
      'ERR_TOTP_KEY_DAMAGED',
      `cannot read the TOTP key file ${file}: ${(err as Error).message}`,
    );
  }
  return parse(file, text);
}

/** Makes a new key in `file`. Written aside and linked into place: a process that made one first wins, whole. */
export function createTotpKey(file: string): TotpKey {
  fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  const hex = randomBytes(32).toString('hex');
  const tmp = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  fs.writeFileSync(tmp, `${hex}\n`, { mode: 0o600, flush: true });
  try {
    fs.linkSync(tmp, file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    return readTotpKey(file)!;
  } finally {
    fs.rmSync(tmp, { force: true });
  }
  return parse(file, hex);
}
