// Hex text <-> bytes for the CLI, logs and tests. Separators (spaces, ':', '-') and a 0x prefix are accepted.
import { CodecError } from './codec-error.ts';

/** Parse hex text such as `06 00 0C 10 06 00`, `06:00:0c`, `0x06000C`; throws CodecError('ERR_MALFORMED'). */
export function parseHex(text: string): Uint8Array {
  if (typeof text !== 'string') throw new CodecError('ERR_INVALID_ARGUMENT', 'hex input must be a string');
  const digits = text.replace(/^\s*0x/i, '').replace(/[\s:-]/g, '');
  if (digits.length === 0) throw new CodecError('ERR_MALFORMED', 'invalid hex: no digits');
  const bad = /[^0-9a-fA-F]/.exec(digits);
  if (bad)
    throw new CodecError('ERR_MALFORMED', `invalid hex: unexpected character ${JSON.stringify(bad[0])}`);
  if (digits.length % 2 !== 0) {
    throw new CodecError('ERR_MALFORMED', `invalid hex: odd number of digits (${digits.length})`);
  }
  const out = new Uint8Array(digits.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(digits.slice(2 * i, 2 * i + 2), 16);
  return out;
}

/** Lower-case hex with a space between octets (wire order). */
export function toHex(bytes: Uint8Array, separator = ' '): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join(separator);
}
