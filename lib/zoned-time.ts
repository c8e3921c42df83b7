// The wall clock of an IANA time zone at an instant, from the platform's zone data (Intl, so the rules come
// from the runtime's ICU): the fields and the offset in force then, so DST changes come out right. One
// formatter per zone, made once. Meter clocks (drivers/serial/local-time.ts) and the patient's export
// (server/export/local-time.ts) both read time this way.
import { GatewayError } from './errors.ts';

export class TimeZoneError extends GatewayError {
  constructor(message: string) {
    super('ERR_TIME_ZONE', message);
  }
}

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatterOf(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (!f) {
    try {
      f = new Intl.DateTimeFormat('en-US', {
        timeZone,
        hourCycle: 'h23',
        year: 'numeric',
        month: '2-digit',
        day: '2-digit',
        hour: '2-digit',
        minute: '2-digit',
        second: '2-digit',
      });
    } catch {
      throw new TimeZoneError(`unknown time zone ${JSON.stringify(timeZone)}`);
    }
    formatters.set(timeZone, f);
  }
  return f;
}

/** Throws a TimeZoneError naming `timeZone` unless the platform knows it. */
export function assertTimeZone(timeZone: string): void {
  formatterOf(timeZone);
}

export interface ZonedParts {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
  /** The zone's offset at that instant, minutes east of UTC. */
  offsetMinutes: number;
}

/** The wall-clock fields of `ms` in `timeZone` and the zone's offset then. */
export function zonedParts(ms: number, timeZone: string): ZonedParts {
  const parts: Record<string, number> = {};
  for (const p of formatterOf(timeZone).formatToParts(new Date(ms))) {
    if (p.type !== 'literal') parts[p.type] = Number(p.value);
  }
  const { year, month, day, hour, minute, second } = parts as Record<string, number>;
  const wallAsUtc = Date.UTC(year!, month! - 1, day!, hour!, minute!, second!);
  const offsetMinutes = Math.round((wallAsUtc - Math.floor(ms / 1000) * 1000) / 60_000);
  return {
    year: year!,
    month: month!,
    day: day!,
    hour: hour!,
    minute: minute!,
    second: second!,
    offsetMinutes,
  };
}

/** Offset of `timeZone` from UTC at instant `ms`, in ms (Berlin summer: +7,200,000). */
export function zoneOffsetMs(ms: number, timeZone: string): number {
  return zonedParts(ms, timeZone).offsetMinutes * 60_000;
}
