// Meter clocks show local wall time without a zone. This places such a time in an IANA zone (Intl only, so
// the zone rules come from the runtime's ICU data) and returns the UTC instant.
// DST: a wall time that does not exist (spring gap) is moved forward by the gap; a wall time that exists twice
// (autumn overlap) takes the earlier instant. This is Temporal's "compatible" disambiguation.
import { zoneOffsetMs } from '../../lib/zoned-time.ts';

export { assertTimeZone, TimeZoneError, zoneOffsetMs } from '../../lib/zoned-time.ts';

const LOCAL_RE = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})$/;

/** `YYYY-MM-DDTHH:MM:SS` wall time in `timeZone` → UTC Date. */
export function localTimeToUtc(localTime: string, timeZone: string): Date {
  const m = LOCAL_RE.exec(localTime);
  if (!m) throw new RangeError(`local time ${JSON.stringify(localTime)} is not YYYY-MM-DDTHH:MM:SS`);
  const wall = Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5], +m[6]);
  // The offset is one of the offsets in force a day either side of the wall time read as UTC.
  const before = zoneOffsetMs(wall - 86_400_000, timeZone);
  const after = zoneOffsetMs(wall + 86_400_000, timeZone);
  const candidates = [...new Set([before, after])]
    .map((off) => wall - off)
    .filter((t) => t + zoneOffsetMs(t, timeZone) === wall)
    .sort((a, b) => a - b);
  if (candidates.length > 0) return new Date(candidates[0]); // overlap: the earlier
  // Gap: read the wall time with the offset in force before the transition, which lands after it.
  return new Date(wall - before);
}

/** UTC instant → `YYYY-MM-DDTHH:MM:SS` wall time in `timeZone` (for simulators and tests). */
export function utcToLocalTime(date: Date, timeZone: string): string {
  const ms = date.getTime();
  return new Date(ms + zoneOffsetMs(ms, timeZone)).toISOString().slice(0, 19);
}
