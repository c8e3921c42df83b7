// CGM Measurement (0x2AA7, spec A.2): one notification carries one or more records, each starting
// with its own Size octet. Each record is checked for size/flags consistency and, when it carries an
// E2E-CRC, the CRC is verified per record (a mismatch is reported on the record, not thrown).
import { CodecError } from './codec-error.ts';
import type { CgmAnnunciation } from './cgm-annunciation.ts';
import { appendCrc, readTrailingCrc } from './crc16-mcrf4xx.ts';
import type { CrcOptions, CrcStatus } from './crc16-mcrf4xx.ts';
import { LeReader } from './le-reader.ts';
import { LeWriter } from './le-writer.ts';
import { readSfloat, writeSfloat } from './sfloat.ts';
import type { Sfloat } from './sfloat.ts';

export const CGM_FLAG_TREND = 0x01;
export const CGM_FLAG_QUALITY = 0x02;
export const CGM_FLAG_WARNING = 0x20;
export const CGM_FLAG_CAL_TEMP = 0x40;
export const CGM_FLAG_STATUS = 0x80;

/** Size + Flags + Glucose + Time Offset */
const BASE_SIZE = 6;

export interface CgmMeasurementRecord {
  /** CGM Glucose Concentration in mg/dL. */
  readonly glucose: Sfloat;
  /** Minutes since the session start. */
  readonly timeOffsetMinutes: number;
  /** The annunciation octets the record carries; omitted when it carries none. */
  readonly annunciation?: CgmAnnunciation;
  /** CGM Trend Information, mg/dL/min. */
  readonly trend?: Sfloat;
  /** CGM Quality, %. */
  readonly quality?: Sfloat;
  readonly crc: CrcStatus;
}

export interface CgmMeasurement {
  readonly records: CgmMeasurementRecord[];
}

/**
 * Wire order of the annunciation octets. Public code disagrees (spec A.2, open question 1):
 * parsers read Status, Cal/Temp, Warning; Nordic's/Cypress's peripherals write Warning first.
 */
export type AnnunciationOrder = 'status-first' | 'warning-first';

export interface CgmMeasurementOptions extends CrcOptions {
  readonly annunciationOrder?: AnnunciationOrder;
}

type OctetKey = keyof CgmAnnunciation;
const OCTETS: Record<AnnunciationOrder, ReadonlyArray<readonly [OctetKey, number]>> = {
  'status-first': [
    ['status', CGM_FLAG_STATUS],
    ['calTemp', CGM_FLAG_CAL_TEMP],
    ['warning', CGM_FLAG_WARNING],
  ],
  'warning-first': [
    ['warning', CGM_FLAG_WARNING],
    ['calTemp', CGM_FLAG_CAL_TEMP],
    ['status', CGM_FLAG_STATUS],
  ],
};

function octetOrder(opts: CgmMeasurementOptions): ReadonlyArray<readonly [OctetKey, number]> {
  const order = opts.annunciationOrder ?? 'status-first';
  const octets = OCTETS[order];
  if (octets === undefined) {
    throw new CodecError('ERR_INVALID_ARGUMENT', `unknown annunciation order ${String(order)}`);
  }
  return octets;
}

/** Record size (without CRC) implied by the flags. */
export function cgmRecordSizeForFlags(flags: number): number {
  let size = BASE_SIZE;
  if (flags & CGM_FLAG_TREND) size += 2;
  if (flags & CGM_FLAG_QUALITY) size += 2;
  if (flags & CGM_FLAG_WARNING) size += 1;
  if (flags & CGM_FLAG_CAL_TEMP) size += 1;
  if (flags & CGM_FLAG_STATUS) size += 1;
  return size;
}

function decodeRecord(
  bytes: Uint8Array,
  start: number,
  n: number,
  opts: CgmMeasurementOptions,
): { record: CgmMeasurementRecord; size: number } {
  const what = `CGM Measurement record ${n}`;
  const size = bytes[start];
  const left = bytes.length - start;
  if (size < BASE_SIZE) {
    throw new CodecError('ERR_LENGTH_MISMATCH', `${what}: Size ${size} is below the minimum of ${BASE_SIZE}`);
  }
  if (size > left) {
    throw new CodecError('ERR_TOO_SHORT', `${what}: Size ${size} but only ${left} octet(s) left`);
  }
  const flags = bytes[start + 1];
  const expected = cgmRecordSizeForFlags(flags);
  if (size !== expected && size !== expected + 2) {
    throw new CodecError(
      'ERR_FLAGS_INCONSISTENT',
      `${what}: Size ${size} does not match flags 0x${flags.toString(16).padStart(2, '0')} ` +
        `(${expected} without or ${expected + 2} with E2E-CRC)`,
    );
  }
  const r = new LeReader(bytes, start + 2, start + size);
  const glucose = readSfloat(r, `${what} glucose concentration`);
  const timeOffsetMinutes = r.u16(`${what} time offset`);
  const annunciation: { status?: number; calTemp?: number; warning?: number } = {};
  let hasAnnunciation = false;
  for (const [key, mask] of octetOrder(opts)) {
    if (flags & mask) {
      annunciation[key] = r.u8(`${what} annunciation ${key} octet`);
      hasAnnunciation = true;
    }
  }
  const trend = flags & CGM_FLAG_TREND ? readSfloat(r, `${what} trend`) : undefined;
  const quality = flags & CGM_FLAG_QUALITY ? readSfloat(r, `${what} quality`) : undefined;
  const crc = readTrailingCrc(r, start, opts, what);
  const record: CgmMeasurementRecord = {
    glucose,
    timeOffsetMinutes,
    ...(hasAnnunciation ? { annunciation } : {}),
    ...(trend ? { trend } : {}),
    ...(quality ? { quality } : {}),
    crc,
  };
  return { record, size };
}

/** Decode one CGM Measurement notification into its records. Throws only CodecError. */
export function decodeCgmMeasurement(bytes: Uint8Array, opts: CgmMeasurementOptions): CgmMeasurement {
  if (!(bytes instanceof Uint8Array))
    throw new CodecError('ERR_INVALID_ARGUMENT', 'bytes must be a Uint8Array');
  if (bytes.length === 0) throw new CodecError('ERR_TOO_SHORT', 'CGM Measurement: empty value, no record');
  const records: CgmMeasurementRecord[] = [];
  for (let at = 0; at < bytes.length;) {
    const { record, size } = decodeRecord(bytes, at, records.length + 1, opts);
    records.push(record);
    at += size;
  }
  return { records };
}

export type CgmMeasurementRecordInput = Omit<CgmMeasurementRecord, 'crc'>;

function encodeRecord(rec: CgmMeasurementRecordInput, opts: CgmMeasurementOptions): Uint8Array {
  const a = rec.annunciation ?? {};
  let flags = 0;
  if (rec.trend) flags |= CGM_FLAG_TREND;
  if (rec.quality) flags |= CGM_FLAG_QUALITY;
  for (const [key, mask] of octetOrder(opts)) if (a[key] !== undefined) flags |= mask;
  const w = new LeWriter();
  w.u8(0, 'Size').u8(flags, 'Flags');
  writeSfloat(w, rec.glucose, 'glucose concentration');
  w.u16(rec.timeOffsetMinutes, 'time offset');
  for (const [key] of octetOrder(opts)) {
    const v = a[key];
    if (v !== undefined) w.u8(v, `annunciation ${key} octet`);
  }
  if (rec.trend) writeSfloat(w, rec.trend, 'trend');
  if (rec.quality) writeSfloat(w, rec.quality, 'quality');
  w.setU8(0, w.length + (opts.crc ? 2 : 0), 'Size');
  appendCrc(w, opts);
  return w.toBytes();
}

/** Encode records into one notification value (with an E2E-CRC per record when `opts.crc`). */
export function encodeCgmMeasurement(
  m: { readonly records: readonly CgmMeasurementRecordInput[] },
  opts: CgmMeasurementOptions,
): Uint8Array {
  if (m.records.length === 0)
    throw new CodecError('ERR_INVALID_ARGUMENT', 'a notification needs at least one record');
  const w = new LeWriter();
  for (const rec of m.records) w.bytes(encodeRecord(rec, opts));
  return w.toBytes();
}
