// A capture of a real device (`hddt-gateway ble capture`, drivers/ble/capture-file.ts) as a scenario the simulator
// runs: the advertised name, the Device Information strings, the feature bits, the clock (meters) or the session
// (CGMs) as read, and the records exactly as they came over the air, replayed byte for byte on RACP. Records that
// do not decode cannot be stored by a simulator; they are left out and the description says how many.
import { cgmSupportsE2eCrc, decodeCgmFeature } from '../../drivers/codecs/cgm-feature.ts';
import { decodeCgmMeasurement } from '../../drivers/codecs/cgm-measurement.ts';
import { decodeCgmSessionRunTime } from '../../drivers/codecs/cgm-session-run-time.ts';
import { decodeCgmSessionStartTime } from '../../drivers/codecs/cgm-session-start-time.ts';
import { decodeCgmStatus } from '../../drivers/codecs/cgm-status.ts';
import { dateTimeToEpochMs, type DateTime } from '../../drivers/codecs/date-time.ts';
import { decodeGlucoseContext } from '../../drivers/codecs/glucose-context.ts';
import { decodeGlucoseFeature } from '../../drivers/codecs/glucose-feature.ts';
import { decodeGlucoseMeasurement } from '../../drivers/codecs/glucose-measurement.ts';
import { decodeCurrentTime, decodeDateTime } from '../../drivers/ble/clock-values.ts';
import {
  CaptureError,
  capturedRecords,
  capturedValue,
  type BleCapture,
  type CapturedGlucoseRecord,
} from '../../drivers/ble/capture-file.ts';
import { CHAR, SERVICE } from '../../drivers/ble/uuids.ts';
import type { MeterClockOptions } from './glucose-meter-options.ts';
import type { CgmScenario, GlucoseScenario, Scenario } from './scenario.ts';

/** Decodes a value read during the capture, or throws a CaptureError naming its field. */
function decoded<T>(c: BleCapture, service: string, char: string, what: string, decode: (b: Buffer) => T) {
  const v = capturedValue(c, service, char);
  if (!v) return null;
  try {
    return { value: decode(v.bytes), t: v.t };
  } catch (e) {
    throw new CaptureError(
      `capture field '${v.field}' (${what}) is not a valid value: ${(e as Error).message}`,
    );
  }
}

function text(c: BleCapture, char: string): string | undefined {
  const v = capturedValue(c, SERVICE.deviceInformation, char);
  const s = v?.bytes.toString('utf8').replace(/\0+$/, '').trim();
  return s ? s : undefined;
}

function common(c: BleCapture): Omit<GlucoseScenario, 'kind'> {
  const name = c.device.name?.slice(0, 29);
  const fields = {
    manufacturer: text(c, CHAR.manufacturerName),
    model: text(c, CHAR.modelNumber),
    serial: text(c, CHAR.serialNumber),
    firmware: text(c, '2a26'),
  };
  const info = Object.fromEntries(Object.entries(fields).filter(([, v]) => v !== undefined));
  return { address: c.device.address.toLowerCase(), ...(name ? { name } : {}), ...info };
}

/** Where the meter's clock is, and how far off it was from the hub's wall clock when it was read. */
function meterClock(c: BleCapture): MeterClockOptions | undefined {
  const writable = (service: string, char: string) =>
    c.gatt.some((g) => g.service === service && g.characteristic === char && g.properties.includes('write'));
  const errorSeconds = (read: { value: DateTime; t: number } | null) => {
    const meterWall = read ? dateTimeToEpochMs(read.value) : null;
    if (meterWall === null || !read) return 0;
    const hubWall = Date.parse(c.capturedAt) + read.t + c.hub.utcOffsetMinutes * 60_000;
    return Math.max(-315360000, Math.min(315360000, Math.round((meterWall - hubWall) / 1000)));
  };
  const cts = decoded(
    c,
    SERVICE.currentTime,
    CHAR.currentTime,
    'Current Time',
    (b) => decodeCurrentTime(b).dateTime,
  );
  if (cts) {
    const w = writable(SERVICE.currentTime, CHAR.currentTime);
    return { service: 'current-time', errorSeconds: errorSeconds(cts), writable: w };
  }
  const dt = decoded(c, SERVICE.glucose, CHAR.dateTime, 'Date Time', decodeDateTime);
  if (dt)
    return {
      service: 'date-time',
      errorSeconds: errorSeconds(dt),
      writable: writable(SERVICE.glucose, CHAR.dateTime),
    };
  if (c.gatt.some((g) => g.service === SERVICE.isensVendor && g.characteristic === CHAR.isensTime))
    return { service: 'isens' };
  return undefined;
}

function glucoseScenario(c: BleCapture, records: CapturedGlucoseRecord[], left: string[]): GlucoseScenario {
  const usable = records.filter((r, i) => {
    try {
      decodeGlucoseMeasurement(Buffer.from(r.measurement, 'hex'));
      if (r.context) decodeGlucoseContext(Buffer.from(r.context, 'hex'));
      return true;
    } catch (e) {
      left.push(`record ${i + 1} (${(e as Error).message})`);
      return false;
    }
  });
  const feature = decoded(c, SERVICE.glucose, CHAR.glucoseFeature, 'Glucose Feature', decodeGlucoseFeature);
  const clock = meterClock(c);
  return {
    kind: 'glucose',
    ...common(c),
    utcOffsetMinutes: c.hub.utcOffsetMinutes,
    ...(feature ? { features: feature.value.features } : {}),
    ...(clock ? { clock } : {}),
    records: usable,
  };
}

/** The session as the CGM reported it: the same Session Start Time bytes come out of the simulator. */
function cgmSession(c: BleCapture, crc: boolean): Partial<CgmScenario> {
  const opts = { crc };
  const start = decoded(c, SERVICE.cgm, CHAR.cgmSessionStartTime, 'CGM Session Start Time', (b) =>
    decodeCgmSessionStartTime(b, opts),
  );
  const run = decoded(c, SERVICE.cgm, CHAR.cgmSessionRunTime, 'CGM Session Run Time', (b) =>
    decodeCgmSessionRunTime(b, opts),
  );
  const status = decoded(c, SERVICE.cgm, CHAR.cgmStatus, 'CGM Status', (b) => decodeCgmStatus(b, opts));
  const out: Partial<CgmScenario> = {
    ...(run ? { sessionRunTimeHours: run.value.runTimeHours } : {}),
    ...(status
      ? {
          status: {
            status: status.value.status,
            calTemp: status.value.calTemp,
            warning: status.value.warning,
          },
        }
      : {}),
  };
  if (!start) return out;
  const { dateTime, timeZoneMinutes, dstOffsetMinutes } = start.value;
  const local = dateTimeToEpochMs(dateTime);
  if (local === null) return { ...out, sessionStartUnknown: true, timeZoneMinutes, dstOffsetMinutes };
  // the simulator writes utc + zone + DST (0 for an unknown one) as the local time
  const utc = local - ((timeZoneMinutes ?? 0) + (dstOffsetMinutes ?? 0)) * 60_000;
  return { ...out, sessionStart: new Date(utc).toISOString(), timeZoneMinutes, dstOffsetMinutes };
}

/** Records per notification as the sensor packed them, and its interval (5 min when no gap is shorter). */
function cgmPacking(
  c: BleCapture,
  offsets: number[],
): Pick<CgmScenario, 'recordsPerNotification' | 'intervalMinutes'> {
  let most = 1;
  for (const e of c.exchanges) {
    if (
      e.service !== SERVICE.cgm ||
      e.characteristic !== CHAR.cgmMeasurement ||
      e.dir === 'read' ||
      e.dir === 'write'
    )
      continue;
    try {
      most = Math.max(most, decodeCgmMeasurement(Buffer.from(e.hex, 'hex'), { crc: false }).records.length);
    } catch {
      // a malformed notification packs nothing
    }
  }
  const sorted = [...offsets].sort((a, b) => a - b);
  let gap = Infinity;
  for (let i = 1; i < sorted.length; i++)
    if (sorted[i] > sorted[i - 1]) gap = Math.min(gap, sorted[i] - sorted[i - 1]);
  return {
    recordsPerNotification: Math.min(255, most),
    intervalMinutes: gap >= 5 && gap !== Infinity ? 5 : 1,
  };
}

function cgmScenario(c: BleCapture, records: string[], left: string[]): CgmScenario {
  const feature = decoded(c, SERVICE.cgm, CHAR.cgmFeature, 'CGM Feature', decodeCgmFeature);
  const crc = feature ? cgmSupportsE2eCrc(feature.value) : false;
  const offsets: number[] = [];
  const usable = records.filter((hex, i) => {
    try {
      const m = decodeCgmMeasurement(Buffer.from(hex, 'hex'), { crc: false });
      if (m.records.length !== 1) throw new Error(`holds ${m.records.length} records`);
      offsets.push(m.records[0].timeOffsetMinutes);
      return true;
    } catch (e) {
      left.push(`record ${i + 1} (${(e as Error).message})`);
      return false;
    }
  });
  return {
    kind: 'cgm',
    ...common(c),
    live: false,
    e2eCrc: crc,
    ...(feature
      ? {
          features: feature.value.features,
          sampleType: feature.value.sampleType,
          sampleLocation: feature.value.sampleLocation,
        }
      : {}),
    ...cgmSession(c, crc),
    ...cgmPacking(c, offsets),
    records: usable,
  };
}

/** The scenario that replays a capture: one peripheral, no live values of its own. */
export function scenarioFromCapture(c: BleCapture, source = 'capture'): Scenario {
  const left: string[] = [];
  const got = capturedRecords(c);
  const peripheral =
    got.family === 'glucose' ? glucoseScenario(c, got.records, left) : cgmScenario(c, got.records, left);
  const dropped =
    left.length > 0 ? `; ${left.length} undecodable record(s) left out: ${left.join(', ')}` : '';
  return {
    description: `replay of ${source}: ${c.device.family} ${c.device.address} captured ${c.capturedAt}${dropped}`,
    peripherals: [peripheral],
  };
}
