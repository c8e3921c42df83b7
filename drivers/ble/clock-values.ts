// The three ways a glucose meter tells (and takes) its wall clock, as byte layouts. Pure; only CodecErrors.
// - Current Time (0x2A2B, Current Time Service 0x1805): Date Time, Day of Week (0 unknown, 1 = Monday),
//   Fractions256, Adjust Reason (Bluetooth GATT Specification Supplement, "Current Time").
// - Date Time (0x2A08): the 7 octets alone; Roche meters serve it in the Glucose service instead of a CTS
//   (xDrip+ BluetoothGlucoseMeter.java: "Roche Aviva Connect uses a DateTime characteristic instead").
// - i-SENS (CareSens) vendor characteristic 0xFFF1 in service 0xFFF0: C0 03 01 00 then year uint16, month, day,
//   hours, minutes, seconds; the same frame with a zero date asks for the time, which the meter notifies back
//   (Tidepool uploader lib/drivers/bluetoothLE/bluetoothLEDriver.js getConfigInfo; xDrip+ caresens/TimeTx.java).
import { CodecError } from '../codecs/codec-error.ts';
import { readDateTime, writeDateTime, type DateTime } from '../codecs/date-time.ts';
import { LeReader } from '../codecs/le-reader.ts';
import { LeWriter } from '../codecs/le-writer.ts';

export interface CurrentTime {
  dateTime: DateTime;
  /** 1 = Monday … 7 = Sunday; 0 unknown */
  dayOfWeek: number;
  fractions256: number;
  /** bit 0 manual, 1 external reference, 2 time zone change, 3 DST change */
  adjustReason: number;
}

export function decodeCurrentTime(bytes: Uint8Array): CurrentTime {
  const r = new LeReader(bytes);
  const dateTime = readDateTime(r, 'Current Time');
  const dayOfWeek = r.u8('Day of Week');
  if (dayOfWeek > 7)
    throw new CodecError('ERR_OUT_OF_RANGE', `Current Time: day of week ${dayOfWeek} is not 0..7`);
  const fractions256 = r.u8('Fractions256');
  const adjustReason = r.u8('Adjust Reason');
  // the characteristic may grow (spec: ignore what follows)
  return { dateTime, dayOfWeek, fractions256, adjustReason };
}

/** ISO day of week of a wall clock value (1 = Monday). */
function dayOfWeekOf(dt: DateTime): number {
  const d = new Date(Date.UTC(dt.year, dt.month - 1, dt.day));
  return ((d.getUTCDay() + 6) % 7) + 1;
}

/** A Current Time write: the wall clock, its weekday, no fractions, adjust reason "manual time update". */
export function encodeCurrentTime(dt: DateTime): Uint8Array {
  const w = new LeWriter();
  writeDateTime(w, dt, 'Current Time');
  return w.u8(dayOfWeekOf(dt), 'Day of Week').u8(0, 'Fractions256').u8(0x01, 'Adjust Reason').toBytes();
}

export function encodeDateTime(dt: DateTime): Uint8Array {
  const w = new LeWriter();
  writeDateTime(w, dt, 'Date Time');
  return w.toBytes();
}

export function decodeDateTime(bytes: Uint8Array): DateTime {
  return readDateTime(new LeReader(bytes), 'Date Time');
}

const ISENS_HEADER = [0xc0, 0x03, 0x01, 0x00] as const;

/** The i-SENS time frame; `null` asks the meter for its time (zero date). */
export function encodeIsensTime(dt: DateTime | null): Uint8Array {
  const w = new LeWriter();
  for (const b of ISENS_HEADER) w.u8(b, 'i-SENS header');
  if (dt) writeDateTime(w, dt, 'i-SENS time');
  else for (let i = 0; i < 7; i++) w.u8(0, 'i-SENS time');
  return w.toBytes();
}

/** The meter's answer to a time request (or the echo of a set); throws for another frame. */
export function decodeIsensTime(bytes: Uint8Array): DateTime {
  const r = new LeReader(bytes);
  for (const b of ISENS_HEADER) {
    const got = r.u8('i-SENS header');
    if (got !== b)
      throw new CodecError(
        'ERR_MALFORMED',
        `i-SENS time: header byte ${got.toString(16)} is not ${b.toString(16)}`,
      );
  }
  return readDateTime(r, 'i-SENS time');
}
