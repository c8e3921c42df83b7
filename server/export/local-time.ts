// An instant as ISO 8601 local time of an IANA zone with its UTC offset (2025-03-30T03:00:00.000+02:00), from
// the platform's time zone data (Intl): the offset is that of the instant, so DST changes come out right.
import { zonedParts } from '../../lib/zoned-time.ts';

const pad = (n: number, w = 2) => String(n).padStart(w, '0');

export function localIso(ms: number, zone: string): string {
  const p = zonedParts(ms, zone);
  const off = Math.abs(p.offsetMinutes);
  const sign = p.offsetMinutes < 0 ? '-' : '+';
  const millis = pad(((ms % 1000) + 1000) % 1000, 3);
  return (
    `${pad(p.year, 4)}-${pad(p.month)}-${pad(p.day)}T${pad(p.hour)}:${pad(p.minute)}:${pad(p.second)}` +
    `.${millis}${sign}${pad(Math.floor(off / 60))}:${pad(off % 60)}`
  );
}

/** The instant of local midnight starting the day y-m-d in `zone` (corrected once for the offset then). */
export function localMidnight(year: number, month: number, day: number, zone: string): number {
  const wall = Date.UTC(year, month - 1, day);
  let ms = wall - zonedParts(wall, zone).offsetMinutes * 60_000;
  ms = wall - zonedParts(ms, zone).offsetMinutes * 60_000;
  return ms;
}

/** Local midnights of the `days` calendar days ending with the day of `nowMs`, plus the next midnight. */
export function localDayStarts(nowMs: number, days: number, zone: string): number[] {
  const today = zonedParts(nowMs, zone);
  const out: number[] = [];
  for (let i = days - 1; i >= -1; i--) {
    // Date.UTC normalises day overflow (day 0 = the last day of the month before).
    const d = new Date(Date.UTC(today.year, today.month - 1, today.day - i));
    out.push(localMidnight(d.getUTCFullYear(), d.getUTCMonth() + 1, d.getUTCDate(), zone));
  }
  return out;
}
