// A glucose meter's clock (the "read config and clock" step): read it where the meter has one (Current Time
// Service 0x1805, Roche's Date Time in the Glucose service, the i-SENS vendor characteristic), measure how far it
// is from the hub's clock (the offset goes on every reading), and set it only when ble.setMeterClock says so,
// always with a log line.
import type { DateTime } from '../codecs/date-time.ts';
import { epochMsToDateTime, formatDateTime } from '../codecs/date-time.ts';
import { localTimeToUtc, zoneOffsetMs } from '../serial/local-time.ts';
import type { Logger } from '../../gateway/log.ts';
import {
  decodeCurrentTime,
  decodeDateTime,
  decodeIsensTime,
  encodeCurrentTime,
  encodeDateTime,
  encodeIsensTime,
} from './clock-values.ts';
import type { ClockSource } from './quirks.ts';
import type { GattLink } from './transport.ts';
import { CHAR, SERVICE } from './uuids.ts';

/** How long an i-SENS meter may take to notify its time (Tidepool's abort timer). */
const ISENS_ANSWER_MS = 5000;

export interface MeterClock {
  source: ClockSource;
  /** The meter's wall clock as it said it, YYYY-MM-DDTHH:MM:SS. */
  meterTime: string;
  /** Hub clock minus meter clock (the meter's wall time placed in the gateway's zone). */
  offsetMs: number;
}

export interface ClockOptions {
  timeZone: string;
  now: () => Date;
  log: Logger;
  setPolicy: 'never' | 'if-off';
  toleranceSeconds: number;
}

function wallClock(date: Date, timeZone: string): DateTime {
  return epochMsToDateTime(date.getTime() + zoneOffsetMs(date.getTime(), timeZone));
}

function isensChar(link: GattLink): [string, string] | null {
  if (link.has(SERVICE.isensVendor, CHAR.isensTime)) return [SERVICE.isensVendor, CHAR.isensTime];
  if (link.has(SERVICE.isensVendorV15, CHAR.isensTimeV15)) return [SERVICE.isensVendorV15, CHAR.isensTimeV15];
  return null;
}

/** The i-SENS answer: subscribe, ask with a zero date, take the first frame that decodes. */
async function readIsens(link: GattLink, at: [string, string]): Promise<DateTime | null> {
  let settle!: (dt: DateTime | null) => void;
  const answer = new Promise<DateTime | null>((resolve) => (settle = resolve));
  const timer = setTimeout(() => settle(null), ISENS_ANSWER_MS);
  await link.subscribe(at[0], at[1], (v) => {
    try {
      settle(decodeIsensTime(v));
    } catch {
      // another vendor frame: keep waiting
    }
  });
  await link.write(at[0], at[1], encodeIsensTime(null));
  const dt = await answer;
  clearTimeout(timer);
  return dt;
}

async function readRaw(
  link: GattLink,
  source: ClockSource,
): Promise<{ dt: DateTime; source: ClockSource } | null> {
  if (source === 'isens-vendor') {
    const at = isensChar(link);
    const dt = at ? await readIsens(link, at) : null;
    return dt ? { dt, source } : null;
  }
  if (source === 'date-time-in-glucose-service' && link.has(SERVICE.glucose, CHAR.dateTime))
    return { dt: decodeDateTime(await link.read(SERVICE.glucose, CHAR.dateTime)), source };
  if (source !== 'none' && link.has(SERVICE.currentTime, CHAR.currentTime)) {
    const ct = decodeCurrentTime(await link.read(SERVICE.currentTime, CHAR.currentTime));
    return { dt: ct.dateTime, source: 'current-time-service' };
  }
  return null;
}

/** Reads the meter's clock; null when it has none the gateway can read (the offset is then unknown: 0). */
export async function readMeterClock(
  link: GattLink,
  source: ClockSource,
  o: ClockOptions,
): Promise<MeterClock | null> {
  const raw = await readRaw(link, source);
  if (!raw) return null;
  const meterTime = formatDateTime(raw.dt);
  const offsetMs = o.now().getTime() - localTimeToUtc(meterTime, o.timeZone).getTime();
  return { source: raw.source, meterTime, offsetMs };
}

async function writeClock(link: GattLink, source: ClockSource, dt: DateTime): Promise<boolean> {
  if (source === 'isens-vendor') {
    const at = isensChar(link);
    // Tidepool does not wait for the echo: the meter takes long to confirm
    if (at) await link.write(at[0], at[1], encodeIsensTime(dt));
    return at !== null;
  }
  if (source === 'date-time-in-glucose-service') {
    await link.write(SERVICE.glucose, CHAR.dateTime, encodeDateTime(dt));
    return true;
  }
  await link.write(SERVICE.currentTime, CHAR.currentTime, encodeCurrentTime(dt));
  return true;
}

/** Applies ble.setMeterClock to a clock that is off; every decision is logged. */
export async function maybeSetMeterClock(
  link: GattLink,
  clock: MeterClock,
  o: ClockOptions,
): Promise<boolean> {
  const offSeconds = Math.round(clock.offsetMs / 1000);
  if (Math.abs(offSeconds) <= o.toleranceSeconds) return false;
  const facts = { meterTime: clock.meterTime, offsetSeconds: offSeconds, source: clock.source };
  if (o.setPolicy === 'never') {
    o.log.warn(
      facts,
      'meter clock is off; not set (ble.setMeterClock is "never"); readings keep their offset',
    );
    return false;
  }
  const target = wallClock(o.now(), o.timeZone);
  try {
    const done = await writeClock(link, clock.source, target);
    if (done)
      o.log.warn({ ...facts, setTo: formatDateTime(target) }, 'meter clock was off; set it to the hub time');
    return done;
  } catch (err) {
    o.log.warn({ ...facts, reason: (err as Error).message }, 'meter clock is off; setting it failed');
    return false;
  }
}
