// LifeScan OneTouch Ultra 2 reply payloads (the text inside a checksummed line, spec D.1):
// serial number, meter clock, display unit, dump header and dump records. Times are the meter's local wall
// time without zone; `localTime` renders them as `YYYY-MM-DDTHH:MM:SS` for the caller to place in a zone.
import { CodecError } from './codec-error.ts';

export type Ultra2Meal = 'none' | 'before' | 'after';
export type Ultra2Unit = 'mg/dL' | 'mmol/L';

export interface Ultra2Clock {
  dayOfWeek: string;
  /** Meter wall time as sent: `MM/DD/YY HH:MM:SS`. */
  deviceTime: string;
  /** Same instant as `YYYY-MM-DDTHH:MM:SS` (year = 2000 + YY). */
  localTime: string;
}

export interface Ultra2DumpHeader {
  count: number;
  serial: string;
  unit: Ultra2Unit;
}

export interface Ultra2RecordFields {
  dayOfWeek: string;
  localTime: string;
  control: boolean;
  /** mg/dL (the meter stores mg/dL whatever it displays); the range limit for LO/HI. */
  value: number;
  /** `HI`/`LO` in the value field (unverified on real meters; see docs/serial-meters.md). */
  flag?: 'low' | 'high';
  /** `?` marker: the meter flags the stored value as unreliable. */
  parityError: boolean;
  meal: Ultra2Meal;
  comment: number;
}

export interface Ultra2Record extends Ultra2RecordFields {
  deviceTime: string;
}

/** Measuring range of the Ultra 2, used as the value of LO/HI results. */
export const ULTRA2_LOW_LIMIT = 20;
export const ULTRA2_HIGH_LIMIT = 600;

const DAYS = ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'];
const MEALS: Record<string, Ultra2Meal> = { N: 'none', B: 'before', A: 'after' };
const MEAL_CODES: Record<Ultra2Meal, string> = { none: 'N', before: 'B', after: 'A' };

function malformed(what: string, payload: string): CodecError {
  return new CodecError(
    'ERR_MALFORMED',
    `${what}: unexpected payload ${JSON.stringify(payload.slice(0, 80))}`,
  );
}

function two(n: number): string {
  return String(n).padStart(2, '0');
}

function checkWallTime(y: number, mo: number, d: number, h: number, mi: number, s: number): void {
  const dim = new Date(Date.UTC(y, mo, 0)).getUTCDate();
  if (mo < 1 || mo > 12 || d < 1 || d > dim || h > 23 || mi > 59 || s > 59) {
    throw new CodecError(
      'ERR_OUT_OF_RANGE',
      `meter time ${y}-${two(mo)}-${two(d)} ${two(h)}:${two(mi)}:${two(s)} is not a valid date`,
    );
  }
}

/** `MM/DD/YY` + `HH:MM:SS` → `YYYY-MM-DDTHH:MM:SS`, checked against the calendar. */
function toLocal(date: string, time: string): string {
  const [mo, d, yy] = date.split('/').map(Number);
  const [h, mi, s] = time.split(':').map(Number);
  const y = 2000 + yy;
  checkWallTime(y, mo, d, h, mi, s);
  return `${y}-${date.slice(0, 2)}-${date.slice(3, 5)}T${time}`;
}

const LOCAL_RE = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})$/;

function fromLocal(localTime: string): { date: string; time: string } {
  const m = LOCAL_RE.exec(localTime);
  if (!m)
    throw new CodecError(
      'ERR_INVALID_ARGUMENT',
      `localTime ${JSON.stringify(localTime)} is not YYYY-MM-DDTHH:MM:SS`,
    );
  const [y, mo, d, h, mi, s] = m.slice(1).map(Number);
  if (y < 2000 || y > 2099) throw new CodecError('ERR_OUT_OF_RANGE', `year ${y} does not fit the meter's YY`);
  checkWallTime(y, mo, d, h, mi, s);
  return { date: `${m[2]}/${m[3]}/${m[1].slice(2)}`, time: `${m[4]}:${m[5]}:${m[6]}` };
}

/** Day of the week the meter would print for a local date. */
export function ultra2DayOfWeek(localTime: string): string {
  const m = LOCAL_RE.exec(localTime);
  if (!m)
    throw new CodecError(
      'ERR_INVALID_ARGUMENT',
      `localTime ${JSON.stringify(localTime)} is not YYYY-MM-DDTHH:MM:SS`,
    );
  return DAYS[new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]))).getUTCDay()];
}

// ---- serial number: `@ "XXXXXXXXY"` -------------------------------------------------------------------------

const SERIAL_RE = /^@ "([0-9A-Z]{8}Y)"$/;

export function decodeUltra2Serial(payload: string): string {
  const m = SERIAL_RE.exec(payload);
  if (!m) {
    if (/^@ "[0-9A-Z]{9}"$/.test(payload)) {
      throw new CodecError(
        'ERR_MALFORMED',
        `serial ${payload.slice(3, 12)} does not end in Y: not an Ultra 2`,
      );
    }
    throw malformed('OneTouch serial', payload);
  }
  return m[1];
}

export function encodeUltra2Serial(serial: string): string {
  if (!/^[0-9A-Z]{8}Y$/.test(serial)) {
    throw new CodecError('ERR_INVALID_ARGUMENT', `serial ${JSON.stringify(serial)} is not 8 characters + Y`);
  }
  return `@ "${serial}"`;
}

// ---- clock: `F "SAT","08/03/13","22:12:00   "` (read) or `T ...` (set echo) ----------------------------------

const CLOCK_RE = /^([FT]) "([A-Z]{3})","(\d{2}\/\d{2}\/\d{2})","(\d{2}:\d{2}:\d{2}) {3}"$/;

export function decodeUltra2Clock(payload: string): Ultra2Clock {
  const m = CLOCK_RE.exec(payload);
  if (!m) throw malformed('OneTouch clock', payload);
  return { dayOfWeek: m[2], deviceTime: `${m[3]} ${m[4]}`, localTime: toLocal(m[3], m[4]) };
}

export function encodeUltra2Clock(localTime: string, command: 'F' | 'T' = 'F'): string {
  const { date, time } = fromLocal(localTime);
  return `${command} "${ultra2DayOfWeek(localTime)}","${date}","${time}   "`;
}

/** The set-clock command `DMTMM/DD/YY HH:MM:SS`. */
export function encodeUltra2SetClockCommand(localTime: string): string {
  const { date, time } = fromLocal(localTime);
  return `DMT${date} ${time}`;
}

// ---- unit: `SU?,"MG/DL "` / `SU?,"MMOL/L"` -------------------------------------------------------------------

function unitFromText(text: string, payload: string): Ultra2Unit {
  if (text === 'MG/DL ') return 'mg/dL';
  if (text === 'MMOL/L') return 'mmol/L';
  throw malformed('OneTouch unit', payload);
}

function unitText(unit: Ultra2Unit): string {
  if (unit === 'mg/dL') return 'MG/DL ';
  if (unit === 'mmol/L') return 'MMOL/L';
  throw new CodecError('ERR_INVALID_ARGUMENT', `unit ${JSON.stringify(unit)} is not mg/dL or mmol/L`);
}

export function decodeUltra2Unit(payload: string): Ultra2Unit {
  const m = /^SU\?,"(.{6})"$/.exec(payload);
  if (!m) throw malformed('OneTouch unit', payload);
  return unitFromText(m[1], payload);
}

export function encodeUltra2Unit(unit: Ultra2Unit): string {
  return `SU?,"${unitText(unit)}"`;
}

// ---- dump header: `P nnn,"SERIALNUM","MG/DL "` --------------------------------------------------------------

const HEADER_RE = /^P (\d{3}),"([0-9A-Z]{9})","(.{6})"$/;

export function decodeUltra2DumpHeader(payload: string): Ultra2DumpHeader {
  const m = HEADER_RE.exec(payload);
  if (!m) throw malformed('OneTouch dump header', payload);
  return { count: Number(m[1]), serial: m[2], unit: unitFromText(m[3], payload) };
}

export function encodeUltra2DumpHeader(h: Ultra2DumpHeader): string {
  if (!Number.isInteger(h.count) || h.count < 0 || h.count > 999) {
    throw new CodecError('ERR_OUT_OF_RANGE', `record count ${h.count} does not fit 3 digits`);
  }
  if (!/^[0-9A-Z]{9}$/.test(h.serial)) {
    throw new CodecError('ERR_INVALID_ARGUMENT', `serial ${JSON.stringify(h.serial)} is not 9 characters`);
  }
  return `P ${String(h.count).padStart(3, '0')},"${h.serial}","${unitText(h.unit)}"`;
}

// ---- record: `P "DOW","MM/DD/YY","HH:MM:SS   ","C VVV?","M","CC", 00` ---------------------------------------

const RECORD_RE =
  /^P "([A-Z]{3})","(\d{2}\/\d{2}\/\d{2})","(\d{2}:\d{2}:\d{2}) {3}","([C ]) (\d{3}|HI |LO )([? ])","([NBA])","(\d{2})", 00$/;

/** Is this payload a dump record (as opposed to the header)? Cheap test for stream handling. */
export function isUltra2RecordPayload(payload: string): boolean {
  return payload.startsWith('P "');
}

export function decodeUltra2Record(payload: string): Ultra2Record {
  const m = RECORD_RE.exec(payload);
  if (!m) throw malformed('OneTouch record', payload);
  const comment = Number(m[8]);
  if (comment > 11) throw new CodecError('ERR_RESERVED_VALUE', `OneTouch comment code ${m[8]} is not 00..11`);
  const localTime = toLocal(m[2], m[3]);
  const rec: Ultra2Record = {
    dayOfWeek: m[1],
    localTime,
    deviceTime: `${m[2]} ${m[3]}`,
    control: m[4] === 'C',
    value: 0,
    parityError: m[6] === '?',
    meal: MEALS[m[7]],
    comment,
  };
  if (m[5] === 'HI ') {
    rec.value = ULTRA2_HIGH_LIMIT;
    rec.flag = 'high';
  } else if (m[5] === 'LO ') {
    rec.value = ULTRA2_LOW_LIMIT;
    rec.flag = 'low';
  } else {
    rec.value = Number(m[5]);
  }
  return rec;
}

export function encodeUltra2Record(r: Ultra2RecordFields): string {
  const { date, time } = fromLocal(r.localTime);
  if (!/^[A-Z]{3}$/.test(r.dayOfWeek)) {
    throw new CodecError(
      'ERR_INVALID_ARGUMENT',
      `day of week ${JSON.stringify(r.dayOfWeek)} is not 3 letters`,
    );
  }
  let value: string;
  if (r.flag === 'high') value = 'HI ';
  else if (r.flag === 'low') value = 'LO ';
  else {
    if (!Number.isInteger(r.value) || r.value < 0 || r.value > 999) {
      throw new CodecError('ERR_OUT_OF_RANGE', `value ${r.value} does not fit 3 digits`);
    }
    value = String(r.value).padStart(3, '0');
  }
  const meal = MEAL_CODES[r.meal];
  if (!meal) throw new CodecError('ERR_INVALID_ARGUMENT', `meal ${JSON.stringify(r.meal)} is unknown`);
  if (!Number.isInteger(r.comment) || r.comment < 0 || r.comment > 11) {
    throw new CodecError('ERR_OUT_OF_RANGE', `comment code ${r.comment} is not 0..11`);
  }
  return (
    `P "${r.dayOfWeek}","${date}","${time}   ","${r.control ? 'C' : ' '} ${value}${r.parityError ? '?' : ' '}",` +
    `"${meal}","${two(r.comment)}", 00`
  );
}
