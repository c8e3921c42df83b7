// Bluetooth device addresses: "aa:bb:cc:dd:ee:ff" text (most significant first) <-> 6 bytes little-endian.
import { CodecError } from '../../drivers/codecs/codec-error.ts';

const ADDRESS = /^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/i;

export function normalizeAddress(address: string): string {
  if (!ADDRESS.test(address)) {
    throw new CodecError(
      'ERR_INVALID_ARGUMENT',
      `"${address}" is not a Bluetooth address like aa:bb:cc:dd:ee:ff`,
    );
  }
  return address.toLowerCase();
}

export function addressToBytes(address: string): Buffer {
  return Buffer.from(normalizeAddress(address).split(':').reverse().join(''), 'hex');
}

export function addressFromBytes(bytes: Uint8Array): string {
  if (bytes.length !== 6)
    throw new CodecError('ERR_LENGTH_MISMATCH', `address needs 6 bytes, got ${bytes.length}`);
  return Array.from(bytes)
    .reverse()
    .map((b) => b.toString(16).padStart(2, '0'))
    .join(':');
}
