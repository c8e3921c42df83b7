// GATT UUIDs: accepted as "181f", "0x181F", "2aa7" or 128-bit with or without dashes; stored as wire bytes.
import { CodecError } from '../../drivers/codecs/codec-error.ts';

export interface Uuid {
  /** little-endian wire form, 2 or 16 bytes */
  readonly bytes: Buffer;
  /** noble's spelling: 16-bit as lower-case hex without padding ("181f", "2a00"), 128-bit as 32 hex chars */
  readonly key: string;
}

export function parseUuid(text: string | number): Uuid {
  if (typeof text === 'number') {
    if (!Number.isInteger(text) || text < 0 || text > 0xffff) {
      throw new CodecError('ERR_INVALID_ARGUMENT', `UUID ${text} is not a 16-bit value`);
    }
    return uuid16(text);
  }
  const hex = text.trim().toLowerCase().replace(/^0x/, '').replace(/-/g, '');
  if (/^[0-9a-f]{1,4}$/.test(hex)) return uuid16(parseInt(hex, 16));
  if (/^[0-9a-f]{32}$/.test(hex)) {
    const bytes = Buffer.from(hex, 'hex').reverse();
    return { bytes, key: hex };
  }
  throw new CodecError('ERR_INVALID_ARGUMENT', `"${text}" is not a 16-bit or 128-bit UUID`);
}

export function uuid16(value: number): Uuid {
  const bytes = Buffer.alloc(2);
  bytes.writeUInt16LE(value, 0);
  return { bytes, key: value.toString(16) };
}

export function uuidFromBytes(bytes: Uint8Array): Uuid {
  if (bytes.length === 2) return uuid16(bytes[0] | (bytes[1] << 8));
  if (bytes.length === 16) {
    const b = Buffer.from(bytes);
    return { bytes: b, key: Buffer.from(b).reverse().toString('hex') };
  }
  throw new CodecError('ERR_LENGTH_MISMATCH', `UUID needs 2 or 16 bytes, got ${bytes.length}`);
}

export function uuidKey(text: string | number): string {
  return parseUuid(text).key;
}
