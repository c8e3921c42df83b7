// CRC-16/MCRF4XX, the CGMS E2E-CRC (spec 0.2): poly 0x1021 reflected (0x8408), init 0xFFFF,
// reflected in/out, no final XOR, sent little-endian after the octets it covers.
import { CodecError } from './codec-error.ts';
import type { LeReader } from './le-reader.ts';
import type { LeWriter } from './le-writer.ts';

const TABLE = (() => {
  const t = new Uint16Array(256);
  for (let i = 0; i < 256; i++) {
    let c = i;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0x8408 : c >>> 1;
    t[i] = c;
  }
  return t;
})();

/** CRC over `bytes[start, end)`. */
export function crc16Mcrf4xx(bytes: Uint8Array, start = 0, end = bytes.length): number {
  let crc = 0xffff;
  for (let i = start; i < end; i++) crc = (crc >>> 8) ^ TABLE[(crc ^ bytes[i]) & 0xff];
  return crc;
}

/** Per-record/characteristic outcome of the E2E-CRC check: a mismatch is reported, not thrown. */
export type CrcStatus = 'ok' | 'absent' | 'mismatch';

/**
 * `crc: true` means the peer announced E2E-CRC support (CGM Feature bit 12), so a value without a CRC is
 * invalid. With `crc: false` the CRC is still detected from the length and checked (Nordic's rule).
 */
export interface CrcOptions {
  readonly crc: boolean;
}

/**
 * Read the optional trailing E2E-CRC of a fixed-layout value whose payload ends at `r.offset`.
 * `start` is where the covered octets begin. Anything other than 0 or 2 trailing octets is invalid.
 */
export function readTrailingCrc(r: LeReader, start: number, opts: CrcOptions, what: string): CrcStatus {
  const payloadEnd = r.offset;
  if (r.remaining === 0) {
    if (opts.crc) throw new CodecError('ERR_CRC_MISSING', `${what}: E2E-CRC is supported but missing`);
    return 'absent';
  }
  if (r.remaining !== 2) {
    throw new CodecError(
      'ERR_LENGTH_MISMATCH',
      `${what}: ${r.remaining} octet(s) after the payload; expected 0 or 2 (E2E-CRC)`,
    );
  }
  const received = r.u16(`${what} E2E-CRC`);
  return received === crc16Mcrf4xx(r.bytes, start, payloadEnd) ? 'ok' : 'mismatch';
}

/** Append the E2E-CRC over everything written so far, when enabled. */
export function appendCrc(w: LeWriter, opts: CrcOptions): void {
  if (!opts.crc) return;
  const bytes = w.toBytes();
  w.u16(crc16Mcrf4xx(bytes), 'E2E-CRC');
}
