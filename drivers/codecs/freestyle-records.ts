// FreeStyle clock replies and result records, per model family. Field positions are 0-based CSV indexes.
//  - Precision Neo / Optium Neo `$result?` (glucometer-protocols abbott/freestyle-precision-neo.md;
//    Tidepool abbottFreeStyleNeo.js): type 7 glucose, 9 β-ketone, 10 insulin, 6 time change, 11 titration;
//    1 id, 2 month, 3 day, 4 two-digit year, 5 hour, 6 minute, 8 value (`HI`/`LO` out of range).
//    Control solution (Tidepool `buildBGRecords`): glucose field 10, ketone field 9, `0` = control test.
//    Ketone values are mg/dL-scaled: divide by 18 for mmol/L (both sources).
//  - InsuLinx `$result?` (glucometerutils drivers/fsinsulinx.py, untested there): type 0 glucose,
//    same date fields, value at 13; no control-solution field is known.
//  - Libre (first reader) `$arresult?` (glucometerutils support/freestyle_libre.py): 1 type (2 = result,
//    5 = time adjustment), 2..7 month, day, year, hour, minute, second; for type 2: 9 reading type
//    (0 blood glucose strip, 1 ketone strip, 2 sensor scan), 12 value, 28 errors (non-zero = invalid).
// `$date?` = month,day,year (two digits) and `$time?` = hour,minute; 255 everywhere = clock not set.
import { CodecError } from './codec-error.ts';

export type FreeStyleFamily = 'neo' | 'insulinx' | 'libre';

export type FreeStyleResultKind = 'glucose' | 'ketone' | 'sensor-scan' | 'other';

export interface FreeStyleResult {
  kind: FreeStyleResultKind;
  /** The record type code (first or second field) as sent. */
  typeCode: string;
  /** `YYYY-MM-DDTHH:MM:SS` meter wall time. */
  localTime: string;
  /** The value field as sent (`123`, `HI`, `LO`); empty for kind `other`. */
  valueText: string;
  /** Glucose mg/dL, ketone mmol/L; for HI/LO the range limit. */
  value: number;
  unit: 'mg/dL' | 'mmol/L';
  flag?: 'low' | 'high';
  control: boolean;
  /** Non-zero error field (Libre): the meter itself marks the result invalid. */
  errors?: number;
  /** The record line as the meter sent it. */
  line: string;
}

/** Neo glucose range (Tidepool: "HI > 500 and LO < 20"). */
export const NEO_GLUCOSE_RANGE = { low: 20, high: 500 };
/** Ketone mg/dL-scale → mmol/L (freestyle-precision-neo.md, glucometerutils `convert_ketone_unit`). */
export const FREESTYLE_KETONE_FACTOR = 18;

function malformed(what: string): CodecError {
  return new CodecError('ERR_MALFORMED', what);
}

function int(field: string | undefined, what: string): number {
  if (field === undefined || !/^\d{1,5}$/.test(field))
    throw malformed(`FreeStyle ${what} ${JSON.stringify(field ?? null)} is not a number`);
  return Number(field);
}

/** month, day, 2-digit year, hour, minute, second → calendar-checked local time. */
export function freeStyleLocalTime(mo: number, d: number, yy: number, h: number, mi: number, s = 0): string {
  if ([mo, d, yy, h, mi].every((v) => v === 255))
    throw new CodecError('ERR_OUT_OF_RANGE', 'FreeStyle clock is not set (255)');
  const y = 2000 + yy;
  const dim = new Date(Date.UTC(y, mo, 0)).getUTCDate();
  if (yy > 99 || mo < 1 || mo > 12 || d < 1 || d > dim || h > 23 || mi > 59 || s > 59) {
    throw new CodecError('ERR_OUT_OF_RANGE', `FreeStyle date ${mo}/${d}/${yy} ${h}:${mi}:${s} is not valid`);
  }
  const p = (n: number): string => String(n).padStart(2, '0');
  return `${y}-${p(mo)}-${p(d)}T${p(h)}:${p(mi)}:${p(s)}`;
}

/** `$date?` and `$time?` message texts (CRLF included or not) → local time. */
export function decodeFreeStyleClock(dateText: string, timeText: string): string {
  const date = dateText.trim().split(',');
  const time = timeText.trim().split(',');
  if (date.length !== 3 || time.length !== 2) {
    throw malformed(`FreeStyle clock ${JSON.stringify(dateText.trim())} ${JSON.stringify(timeText.trim())}`);
  }
  const [mo, d, yy] = date.map((f) => int(f, 'date field'));
  const [h, mi] = time.map((f) => int(f, 'time field'));
  return freeStyleLocalTime(mo, d, yy, h, mi);
}

export function encodeFreeStyleClock(localTime: string): { date: string; time: string } {
  const m = /^20(\d{2})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):\d{2}$/.exec(localTime);
  if (!m)
    throw new CodecError(
      'ERR_INVALID_ARGUMENT',
      `local time ${JSON.stringify(localTime)} is not 20YY-MM-DDTHH:MM:SS`,
    );
  const [yy, mo, d, h, mi] = m.slice(1).map(Number);
  freeStyleLocalTime(mo, d, yy, h, mi);
  return { date: `${mo},${d},${yy}`, time: `${h},${mi}` };
}

function glucoseValue(
  text: string,
  range: { low: number; high: number },
): Pick<FreeStyleResult, 'value' | 'flag'> {
  if (text === 'HI') return { value: range.high, flag: 'high' };
  if (text === 'LO') return { value: range.low, flag: 'low' };
  return { value: int(text, 'value') };
}

function other(typeCode: string, localTime: string, line: string): FreeStyleResult {
  return { kind: 'other', typeCode, localTime, valueText: '', value: 0, unit: 'mg/dL', control: false, line };
}

function decodeNeo(f: string[], line: string): FreeStyleResult {
  const typeCode = f[0];
  const localTime = freeStyleLocalTime(
    int(f[2], 'month'),
    int(f[3], 'day'),
    int(f[4], 'year'),
    int(f[5], 'hour'),
    int(f[6], 'minute'),
  );
  if (typeCode === '7') {
    if (f.length < 11) throw malformed(`Neo glucose record has ${f.length} fields, at least 11 expected`);
    const v = glucoseValue(f[8], NEO_GLUCOSE_RANGE);
    return {
      kind: 'glucose',
      typeCode,
      localTime,
      valueText: f[8],
      ...v,
      unit: 'mg/dL',
      control: int(f[10], 'control field') === 0,
      line,
    };
  }
  if (typeCode === '9') {
    if (f.length < 10) throw malformed(`Neo ketone record has ${f.length} fields, at least 10 expected`);
    const high = f[8] === 'HI';
    const value = high ? 8 : int(f[8], 'ketone value') / FREESTYLE_KETONE_FACTOR;
    return {
      kind: 'ketone',
      typeCode,
      localTime,
      valueText: f[8],
      value,
      unit: 'mmol/L',
      control: int(f[9], 'control field') === 0,
      ...(high ? { flag: 'high' as const } : {}),
      line,
    };
  }
  return other(typeCode, localTime, line);
}

function decodeInsulinx(f: string[], line: string): FreeStyleResult {
  const localTime = freeStyleLocalTime(
    int(f[2], 'month'),
    int(f[3], 'day'),
    int(f[4], 'year'),
    int(f[5], 'hour'),
    int(f[6], 'minute'),
  );
  if (f[0] !== '0') return other(f[0], localTime, line);
  if (f.length < 14) throw malformed(`InsuLinx glucose record has ${f.length} fields, at least 14 expected`);
  return {
    kind: 'glucose',
    typeCode: '0',
    localTime,
    valueText: f[13],
    value: int(f[13], 'value'),
    unit: 'mg/dL',
    control: false,
    line,
  };
}

const LIBRE_KINDS: Record<string, FreeStyleResultKind> = {
  '0': 'glucose',
  '1': 'ketone',
  '2': 'sensor-scan',
};

function decodeLibre(f: string[], line: string): FreeStyleResult {
  const typeCode = f[1];
  const localTime = freeStyleLocalTime(
    int(f[2], 'month'),
    int(f[3], 'day'),
    int(f[4], 'year'),
    int(f[5], 'hour'),
    int(f[6], 'minute'),
    int(f[7], 'second'),
  );
  if (typeCode !== '2') return other(typeCode, localTime, line);
  if (f.length < 29) throw malformed(`Libre result record has ${f.length} fields, at least 29 expected`);
  const kind = LIBRE_KINDS[f[9]] ?? 'other';
  const raw = int(f[12], 'value');
  const errors = int(f[28], 'error field');
  const ketone = kind === 'ketone';
  return {
    kind,
    typeCode,
    localTime,
    valueText: f[12],
    value: ketone ? raw / FREESTYLE_KETONE_FACTOR : raw,
    unit: ketone ? 'mmol/L' : 'mg/dL',
    control: false,
    errors,
    line,
  };
}

export function decodeFreeStyleResult(family: FreeStyleFamily, line: string): FreeStyleResult {
  if (!/^[\x20-\x7e]+$/.test(line)) throw malformed('FreeStyle record is empty or not printable ASCII');
  const f = line.split(',');
  if (f.length < 8) throw malformed(`FreeStyle record has ${f.length} fields`);
  if (family === 'neo') return decodeNeo(f, line);
  if (family === 'insulinx') return decodeInsulinx(f, line);
  return decodeLibre(f, line);
}
