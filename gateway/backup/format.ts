// Encrypted backup container.
//
//   "HDDTBK01" | u32 header length | header JSON | AES-256-GCM ciphertext | 16-byte GCM tag
//   | u64 ciphertext length | "HDDTEND1"
//
// The header (KDF, salt, IV, key check) is authenticated as GCM additional data, so changing any byte of the
// file fails authentication. The trailer only tells a truncated file apart from a modified one. The plaintext is a sequence of entries: u16 name length | name (UTF-8) |
// u64 size | bytes, ending with a zero-length name.
import { GatewayError } from '../../lib/errors.ts';
import { createHmac, randomBytes, scryptSync, timingSafeEqual } from 'node:crypto';

export const MAGIC = Buffer.from('HDDTBK01', 'ascii');
export const END = Buffer.from('HDDTEND1', 'ascii');
export const TAG_LENGTH = 16;
export const TRAILER_LENGTH = 8 + END.length;

export interface BackupHeader {
  version: 1;
  createdAt: string;
  cipher: 'aes-256-gcm';
  kdf: { type: 'scrypt'; N: number; r: number; p: number; salt: string } | { type: 'key-file' };
  iv: string;
  /** First 16 bytes of HMAC(key, "key-check"): tells a wrong key apart from a damaged file. */
  keyCheck: string;
}

export type BackupKeySource = { passphrase: string } | { keyFile: Buffer };

export class BackupError extends GatewayError {
  declare readonly code:
    'ERR_WRONG_KEY' | 'ERR_DAMAGED' | 'ERR_TRUNCATED' | 'ERR_NOT_A_BACKUP' | 'ERR_BAD_KEY_FILE';
  constructor(code: BackupError['code'], message: string) {
    super(code, message);
  }
}

const SCRYPT = { N: 2 ** 15, r: 8, p: 1 };

/** A key file holds 32 random bytes, raw or as 64 hex characters. */
export function keyFromFile(bytes: Buffer): Buffer {
  const text = bytes.toString('utf8').trim();
  if (/^[0-9a-fA-F]{64}$/.test(text)) return Buffer.from(text, 'hex');
  if (bytes.length === 32) return bytes;
  throw new BackupError('ERR_BAD_KEY_FILE', 'a key file must hold 32 bytes, raw or as 64 hex characters');
}

export function deriveKey(source: BackupKeySource, kdf: BackupHeader['kdf']): Buffer {
  if (kdf.type === 'key-file') {
    if (!('keyFile' in source))
      throw new BackupError('ERR_WRONG_KEY', 'this backup was made with a key file, not a passphrase');
    return keyFromFile(source.keyFile);
  }
  if (!('passphrase' in source))
    throw new BackupError('ERR_WRONG_KEY', 'this backup was made with a passphrase, not a key file');
  return scryptSync(source.passphrase.normalize('NFC'), Buffer.from(kdf.salt, 'base64'), 32, {
    N: kdf.N,
    r: kdf.r,
    p: kdf.p,
    maxmem: 128 * kdf.N * kdf.r * 2,
  });
}

export function keyCheck(key: Buffer): string {
  return createHmac('sha256', key)
    .update('hddt-backup key-check')
    .digest()
    .subarray(0, 16)
    .toString('base64');
}

export function newHeader(source: BackupKeySource): { header: BackupHeader; key: Buffer } {
  const kdf: BackupHeader['kdf'] =
    'passphrase' in source
      ? { type: 'scrypt', ...SCRYPT, salt: randomBytes(16).toString('base64') }
      : { type: 'key-file' };
  const key = deriveKey(source, kdf);
  const header: BackupHeader = {
    version: 1,
    createdAt: new Date().toISOString(),
    cipher: 'aes-256-gcm',
    kdf,
    iv: randomBytes(12).toString('base64'),
    keyCheck: keyCheck(key),
  };
  return { header, key };
}

export function checkKey(header: BackupHeader, key: Buffer): void {
  const want = Buffer.from(header.keyCheck, 'base64');
  const got = Buffer.from(keyCheck(key), 'base64');
  if (want.length !== got.length || !timingSafeEqual(want, got)) {
    throw new BackupError('ERR_WRONG_KEY', 'wrong passphrase or key file for this backup');
  }
}

export function encodeEntryHeader(name: string, size: number): Buffer {
  const n = Buffer.from(name, 'utf8');
  const b = Buffer.alloc(2 + n.length + 8);
  b.writeUInt16BE(n.length, 0);
  n.copy(b, 2);
  b.writeBigUInt64BE(BigInt(size), 2 + n.length);
  return b;
}
