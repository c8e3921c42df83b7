// Bluetooth "Date Time" (7 octets: year uint16, month, day, hours, minutes, seconds). Year, month and
// day may be 0 = unknown; everything else is range-checked, and a known date must exist in the calendar.
import { CodecError } from './codec-error.ts';
import type { LeReader } from './le-reader.ts';
import type { LeWriter } from './le-writer.ts';

export interface DateTime {
  /** 1582..9999, 0 = unknown */
  readonly year: number;
  /** 1..12, 0 = unknown */
  readonly month: number;
  /** 1..31, 0 = unknown */
  readonly day: number;
  readonly hours: number;
  readonly minutes: number;
  readonly seconds: number;
}

function daysInMonth(year: number, month: number): number {
  return new Date(Date.UTC(year, month, 0)).getUTCDate();
}

/** Throws ERR_OUT_OF_RANGE naming the first field outside its range. */
export function validateDateTime(
  dt: DateTime,
  field: string,
  code: 'ERR_OUT_OF_RANGE' | 'ERR_INVALID_ARGUMENT',
) {
  const check = (name: string, v: number, min: number, max: number, unknownZero: boolean) => {
    if (!Number.isInteger(v) || ((v < min || v > max) && !(unknownZero && v === 0))) {
      throw new CodecError(
        code,
        `${field}: ${name} ${String(v)} is not in ${min}..${max}${unknownZero ? ' or 0' : ''}`,
      );
    }
  };
  check('year', dt.year, 1582, 9999, true);
  check('month', dt.month, 1, 12, true);
  check('day', dt.day, 1, 31, true);
  check('hours', dt.hours, 0, 23, false);
  check('minutes', dt.minutes, 0, 59, false);
  check('seconds', dt.seconds, 0, 59, false);
  if (dt.year !== 0 && dt.month !== 0 && dt.day > daysInMonth(dt.year, dt.month)) {
    throw new CodecError(code, `${field}: ${dt.year}-${dt.month}-${dt.day} is not a calendar date`);
  }
}

export function readDateTime(r: LeReader, field: string): DateTime {
  const at = r.take(7, field);
  const b = r.bytes;
  const dt: DateTime = {
    year: b[at] | (b[at + 1] << 8),
    month: b[at + 2],
    day: b[at + 3],
    hours: b[at + 4],
    minutes: b[at + 5],
    seconds: b[at + 6],
  };
  validateDateTime(dt, field, 'ERR_OUT_OF_RANGE');
  return dt;
}

export function writeDateTime(w: LeWriter, dt: DateTime, field: string): void {
  validateDateTime(dt, field, 'ERR_INVALID_ARGUMENT');
  w.u16(dt.year, `${field} year`)
    .u8(dt.month, `${field} month`)
    .u8(dt.day, `${field} day`)
    .u8(dt.hours, `${field} hours`)
    .u8(dt.minutes, `${field} minutes`)
    .u8(dt.seconds, `${field} seconds`);
}

export function isDateKnown(dt: DateTime): boolean {
  return dt.year !== 0 && dt.month !== 0 && dt.day !== 0;
}

const pad = (n: number, w = 2) => String(n).padStart(w, '0');

/** The wall-clock value as the device sent it, `YYYY-MM-DDTHH:MM:SS` (no zone; unknown parts print as 0). */
export function formatDateTime(dt: DateTime): string {
  return `${pad(dt.year, 4)}-${pad(dt.month)}-${pad(dt.day)}T${pad(dt.hours)}:${pad(dt.minutes)}:${pad(dt.seconds)}`;
}

/** Milliseconds of the wall-clock value read as if it were UTC, or null when the date is unknown. */
export function dateTimeToEpochMs(dt: DateTime): number | null {
  if (!isDateKnown(dt)) return null;
  const d = new Date(0);
  // setUTCFullYear keeps years < 100 literal (Date.UTC would map them to 19xx).
  d.setUTCFullYear(dt.year, dt.month - 1, dt.day);
  d.setUTCHours(dt.hours, dt.minutes, dt.seconds, 0);
  return d.getTime();
}

/** The wall-clock value of `ms` read as UTC (the inverse of dateTimeToEpochMs; seconds are truncated). */
export function epochMsToDateTime(ms: number): DateTime {
  const t = new Date(ms);
  return {
    year: t.getUTCFullYear(),
    month: t.getUTCMonth() + 1,
    day: t.getUTCDate(),
    hours: t.getUTCHours(),
    minutes: t.getUTCMinutes(),
    seconds: t.getUTCSeconds(),
  };
}

/** Wall-clock time plus `minutes`, formatted like formatDateTime, or null when the date is unknown. */
export function addMinutesToDateTime(dt: DateTime, minutes: number): string | null {
  const ms = dateTimeToEpochMs(dt);
  if (ms === null) return null;
  return new Date(ms + minutes * 60_000).toISOString().slice(0, 19);
}
