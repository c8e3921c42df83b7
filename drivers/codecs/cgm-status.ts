// CGM Status (0x2AA9, spec A.4): Time Offset (minutes) + the three annunciation octets (Status,
// Cal/Temp, Warning, i.e. the 24-bit field little-endian) + optional E2E-CRC.
import { CodecError } from './codec-error.ts';
import { appendCrc, readTrailingCrc } from './crc16-mcrf4xx.ts';
import type { CrcOptions, CrcStatus } from './crc16-mcrf4xx.ts';
import { LeReader } from './le-reader.ts';
import { LeWriter } from './le-writer.ts';

export interface CgmStatus {
  readonly timeOffsetMinutes: number;
  readonly status: number;
  readonly calTemp: number;
  readonly warning: number;
  readonly crc: CrcStatus;
}

export function decodeCgmStatus(bytes: Uint8Array, opts: CrcOptions = { crc: false }): CgmStatus {
  if (!(bytes instanceof Uint8Array))
    throw new CodecError('ERR_INVALID_ARGUMENT', 'bytes must be a Uint8Array');
  const r = new LeReader(bytes);
  const timeOffsetMinutes = r.u16('CGM Status time offset');
  const status = r.u8('CGM Status status octet');
  const calTemp = r.u8('CGM Status cal/temp octet');
  const warning = r.u8('CGM Status warning octet');
  const crc = readTrailingCrc(r, 0, opts, 'CGM Status');
  return { timeOffsetMinutes, status, calTemp, warning, crc };
}

export function encodeCgmStatus(s: Omit<CgmStatus, 'crc'>, opts: CrcOptions = { crc: false }): Uint8Array {
  const w = new LeWriter();
  w.u16(s.timeOffsetMinutes, 'time offset')
    .u8(s.status, 'status')
    .u8(s.calTemp, 'cal/temp')
    .u8(s.warning, 'warning');
  appendCrc(w, opts);
  return w.toBytes();
}
