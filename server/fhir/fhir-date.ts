// FHIR date search values: a prefix plus a date of any precision, turned into the implicit range [lo, hi).
// Dates and times without a zone are read as UTC (documented in the CapabilityStatement).
import type { DateCond } from '../../gateway/store/fhir-search.ts';
import { GatewayError } from '../../lib/errors.ts';

export const PREFIXES = ['eq', 'ne', 'gt', 'lt', 'ge', 'le', 'sa', 'eb', 'ap'] as const;
export type Prefix = (typeof PREFIXES)[number];

const DATE_RE =
  /^(\d{4})(?:-(\d{2})(?:-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?(Z|[+-]\d{2}:\d{2})?)?)?)?$/;

export class DateParamError extends GatewayError {
  constructor(message: string) {
    super('ERR_DATE_PARAM', message);
  }
}

/** Splits a leading R4 prefix off a search value (default `eq`). */
export function splitPrefix(value: string): { prefix: Prefix; rest: string } {
  const p = value.slice(0, 2);
  if ((PREFIXES as readonly string[]).includes(p) && !/^\d/.test(p))
    return { prefix: p as Prefix, rest: value.slice(2) };
  return { prefix: 'eq', rest: value };
}

/** The range [lo, hi) in epoch ms a FHIR date/dateTime/instant of any precision stands for. */
export function dateRange(text: string): { lo: number; hi: number } {
  const m = DATE_RE.exec(text);
  if (!m) throw new DateParamError(`'${text}' is not a FHIR date (YYYY, YYYY-MM, YYYY-MM-DD or a dateTime)`);
  const [, y, mo, d, h, mi, s, frac, tz] = m;
  const year = Number(y);
  const month = mo === undefined ? 1 : Number(mo);
  const day = d === undefined ? 1 : Number(d);
  const hour = h === undefined ? 0 : Number(h);
  const minute = mi === undefined ? 0 : Number(mi);
  const second = s === undefined ? 0 : Number(s);
  if (month < 1 || month > 12) throw new DateParamError(`'${text}' has an invalid month`);
  const daysInMonth = new Date(Date.UTC(year, month, 0)).getUTCDate();
  if (day < 1 || day > daysInMonth) throw new DateParamError(`'${text}' has an invalid day`);
  if (hour > 23 || minute > 59 || second > 59) throw new DateParamError(`'${text}' has an invalid time`);
  let offsetMs = 0;
  if (tz && tz !== 'Z') {
    const sign = tz.startsWith('-') ? -1 : 1;
    const oh = Number(tz.slice(1, 3));
    const om = Number(tz.slice(4, 6));
    if (oh > 14 || om > 59) throw new DateParamError(`'${text}' has an invalid time zone`);
    offsetMs = sign * (oh * 60 + om) * 60_000;
  }
  const fracMs = frac === undefined ? 0 : Number(`0.${frac}`) * 1000;
  const lo = Date.UTC(year, month - 1, day, hour, minute, second) + fracMs - offsetMs;
  let hi: number;
  if (mo === undefined) hi = Date.UTC(year + 1, 0, 1);
  else if (d === undefined) hi = Date.UTC(year, month, 1);
  else if (h === undefined) hi = Date.UTC(year, month - 1, day + 1);
  else if (s === undefined) hi = lo + 60_000;
  else if (frac === undefined) hi = lo + 1000;
  else hi = lo + Math.max(1, 10 ** (3 - frac.length));
  return { lo, hi };
}

/** A date search value (`ge2025-01-01`) as a store condition; `ap` widens by 10 % of the distance to now. */
export function parseDateParam(value: string, nowMs: number): DateCond {
  const { prefix, rest } = splitPrefix(value);
  const { lo, hi } = dateRange(rest);
  if (prefix === 'ap') {
    const tolerance = Math.round(Math.abs(nowMs - lo) * 0.1);
    return { prefix, lo, hi, tolerance };
  }
  return { prefix, lo, hi };
}
