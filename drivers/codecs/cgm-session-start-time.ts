// CGM Session Start Time (0x2AAA, spec A.4 / 0.3): local Date Time + Time Zone (sint8, 15-minute units,
// −128 unknown) + DST Offset code (0, 2, 4, 8 = +0, +0.5, +1, +2 h; 255 unknown) + optional E2E-CRC.
// The time zone is decoded to minutes here (×15); Nordic's Android callback passes the raw byte as
// minutes, a bug this codec does not copy (spec 0.3).
import { CodecError } from './codec-error.ts';
import { appendCrc, readTrailingCrc } from './crc16-mcrf4xx.ts';
import type { CrcOptions, CrcStatus } from './crc16-mcrf4xx.ts';
import { dateTimeToEpochMs, epochMsToDateTime, readDateTime, writeDateTime } from './date-time.ts';
import type { DateTime } from './date-time.ts';
import { LeReader } from './le-reader.ts';
import { LeWriter } from './le-writer.ts';

export type DstOffsetMinutes = 0 | 30 | 60 | 120;

export interface CgmSessionStartTime {
  /** Local wall-clock time at the sensor. */
  readonly dateTime: DateTime;
  /** Offset from UTC without DST, in minutes (a multiple of 15, −720..+840); null = unknown. */
  readonly timeZoneMinutes: number | null;
  /** Daylight saving offset in minutes; null = unknown. */
  readonly dstOffsetMinutes: DstOffsetMinutes | null;
  readonly crc: CrcStatus;
}

export const TIME_ZONE_UNKNOWN = -128;
export const DST_UNKNOWN = 255;

const DST_BY_CODE: Record<number, DstOffsetMinutes> = { 0: 0, 2: 30, 4: 60, 8: 120 };
const CODE_BY_DST: Record<number, number> = { 0: 0, 30: 2, 60: 4, 120: 8 };

export function decodeCgmSessionStartTime(
  bytes: Uint8Array,
  opts: CrcOptions = { crc: false },
): CgmSessionStartTime {
  if (!(bytes instanceof Uint8Array))
    throw new CodecError('ERR_INVALID_ARGUMENT', 'bytes must be a Uint8Array');
  const r = new LeReader(bytes);
  const dateTime = readDateTime(r, 'Session Start Time');
  const tz = r.s8('Time Zone');
  const dst = r.u8('DST Offset');
  const crc = readTrailingCrc(r, 0, opts, 'CGM Session Start Time');
  if (tz !== TIME_ZONE_UNKNOWN && (tz < -48 || tz > 56)) {
    throw new CodecError('ERR_OUT_OF_RANGE', `Time Zone ${tz} (×15 min) is not in -48..56 or -128`);
  }
  if (dst !== DST_UNKNOWN && !(dst in DST_BY_CODE)) {
    throw new CodecError('ERR_RESERVED_VALUE', `DST Offset code ${dst} is reserved (0, 2, 4, 8 or 255)`);
  }
  return {
    dateTime,
    timeZoneMinutes: tz === TIME_ZONE_UNKNOWN ? null : tz * 15,
    dstOffsetMinutes: dst === DST_UNKNOWN ? null : DST_BY_CODE[dst],
    crc,
  };
}

export function encodeCgmSessionStartTime(
  v: Omit<CgmSessionStartTime, 'crc'>,
  opts: CrcOptions = { crc: false },
): Uint8Array {
  const w = new LeWriter();
  writeDateTime(w, v.dateTime, 'Session Start Time');
  const tz = v.timeZoneMinutes;
  if (tz !== null && (!Number.isInteger(tz) || tz % 15 !== 0 || tz < -720 || tz > 840)) {
    throw new CodecError(
      'ERR_INVALID_ARGUMENT',
      `time zone ${String(tz)} min is not a multiple of 15 in -720..840`,
    );
  }
  w.s8(tz === null ? TIME_ZONE_UNKNOWN : tz / 15, 'Time Zone');
  const dst = v.dstOffsetMinutes;
  if (dst !== null && !(dst in CODE_BY_DST)) {
    throw new CodecError('ERR_INVALID_ARGUMENT', `DST offset ${String(dst)} min is not 0, 30, 60 or 120`);
  }
  w.u8(dst === null ? DST_UNKNOWN : CODE_BY_DST[dst], 'DST Offset');
  appendCrc(w, opts);
  return w.toBytes();
}

/**
 * The session start as a UTC ISO instant: local − time zone − DST (spec A.2). Returns null when the
 * date is unknown, or when zone/DST are unknown and no fallback (total UTC offset in minutes, e.g. the
 * gateway's configured zone) is given; the caller can tell a fallback was used from the null fields.
 */
export function cgmSessionStartToUtcIso(
  st: Pick<CgmSessionStartTime, 'dateTime' | 'timeZoneMinutes' | 'dstOffsetMinutes'>,
  fallbackUtcOffsetMinutes?: number,
): string | null {
  const local = dateTimeToEpochMs(st.dateTime);
  if (local === null) return null;
  let offset: number;
  if (st.timeZoneMinutes !== null && st.dstOffsetMinutes !== null) {
    offset = st.timeZoneMinutes + st.dstOffsetMinutes;
  } else if (fallbackUtcOffsetMinutes !== undefined && Number.isFinite(fallbackUtcOffsetMinutes)) {
    offset = fallbackUtcOffsetMinutes;
  } else {
    return null;
  }
  return new Date(local - offset * 60_000).toISOString();
}

/** UTC ISO time of a CGM record: session start (UTC) + Time Offset minutes; null when the start is unknown. */
export function cgmRecordUtcIso(
  st: Pick<CgmSessionStartTime, 'dateTime' | 'timeZoneMinutes' | 'dstOffsetMinutes'>,
  timeOffsetMinutes: number,
  fallbackUtcOffsetMinutes?: number,
): string | null {
  const start = cgmSessionStartToUtcIso(st, fallbackUtcOffsetMinutes);
  return start === null ? null : new Date(Date.parse(start) + timeOffsetMinutes * 60_000).toISOString();
}

/**
 * The value a collector writes: the wall-clock time of `instant` in a zone of `timeZoneMinutes` with
 * `dstOffsetMinutes` of daylight saving (seconds truncated to whole seconds).
 */
export function cgmSessionStartTimeAt(
  instant: Date,
  timeZoneMinutes: number,
  dstOffsetMinutes: DstOffsetMinutes,
): Omit<CgmSessionStartTime, 'crc'> {
  const t = new Date(instant.getTime() + (timeZoneMinutes + dstOffsetMinutes) * 60_000);
  if (Number.isNaN(t.getTime())) throw new CodecError('ERR_INVALID_ARGUMENT', 'invalid instant');
  return {
    dateTime: epochMsToDateTime(t.getTime()),
    timeZoneMinutes,
    dstOffsetMinutes,
  };
}
