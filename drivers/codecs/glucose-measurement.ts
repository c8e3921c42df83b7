// Glucose Measurement (0x2A18, spec B.2): one record per notification. The concentration is SFLOAT in
// kg/L (flag bit 2 = 0) or mol/L (bit 2 = 1); glucoseDisplayValue converts to mg/dL / mmol/L exactly.
// Base Time is the meter's local wall time without zone; user facing time = Base Time + Time Offset.
import { CodecError } from './codec-error.ts';
import { addMinutesToDateTime, readDateTime, writeDateTime } from './date-time.ts';
import type { DateTime } from './date-time.ts';
import { LeReader } from './le-reader.ts';
import { LeWriter } from './le-writer.ts';
import { joinTypeLocation, splitTypeLocation } from './sample-type.ts';
import { readSfloat, sfloatScaled, writeSfloat } from './sfloat.ts';
import type { Sfloat } from './sfloat.ts';

export const GLS_FLAG_TIME_OFFSET = 0x01;
export const GLS_FLAG_CONCENTRATION = 0x02;
export const GLS_FLAG_MOL_PER_L = 0x04;
export const GLS_FLAG_STATUS = 0x08;
export const GLS_FLAG_CONTEXT_FOLLOWS = 0x10;

/** Sensor Status Annunciation bits 0–11 (bits 5/6 as in spec B.2; open question 2 notes a disagreement). */
export const GLS_SENSOR_STATUS_BITS = [
  'device-battery-low',
  'sensor-malfunction',
  'sample-size-insufficient',
  'strip-insertion-error',
  'strip-type-incorrect',
  'result-too-high',
  'result-too-low',
  'temperature-too-high',
  'temperature-too-low',
  'read-interrupted',
  'general-device-fault',
  'time-fault',
] as const;
export type GlsSensorStatusName = (typeof GLS_SENSOR_STATUS_BITS)[number];

export type GlucoseConcentrationUnit = 'kg/L' | 'mol/L';

export interface GlucoseConcentration {
  /** SFLOAT in the record's unit (kg/L or mol/L). */
  readonly value: Sfloat;
  readonly sampleType: number;
  readonly sampleLocation: number;
}

export interface GlucoseMeasurement {
  readonly sequenceNumber: number;
  /** The meter's local wall time (no zone). */
  readonly baseTime: DateTime;
  /** sint16 minutes; omitted when the record has none (user facing time = base time). */
  readonly timeOffsetMinutes?: number;
  /** Unit of the concentration (flag bit 2); meaningful even when the concentration is absent. */
  readonly unit: GlucoseConcentrationUnit;
  readonly concentration?: GlucoseConcentration;
  /** Sensor Status Annunciation, uint16. */
  readonly sensorStatus?: number;
  /** A Glucose Measurement Context with the same sequence number follows. */
  readonly contextFollows: boolean;
}

function expectedLength(flags: number): number {
  return (
    10 +
    (flags & GLS_FLAG_TIME_OFFSET ? 2 : 0) +
    (flags & GLS_FLAG_CONCENTRATION ? 3 : 0) +
    (flags & GLS_FLAG_STATUS ? 2 : 0)
  );
}

/** Decode one Glucose Measurement. Reserved flag bits 5–7 are ignored. Throws only CodecError. */
export function decodeGlucoseMeasurement(bytes: Uint8Array): GlucoseMeasurement {
  if (!(bytes instanceof Uint8Array))
    throw new CodecError('ERR_INVALID_ARGUMENT', 'bytes must be a Uint8Array');
  const r = new LeReader(bytes);
  const flags = r.u8('Glucose Measurement flags');
  const expected = expectedLength(flags);
  if (bytes.length !== expected) {
    throw new CodecError(
      bytes.length < expected ? 'ERR_TOO_SHORT' : 'ERR_TOO_LONG',
      `Glucose Measurement: flags 0x${flags.toString(16).padStart(2, '0')} announce ${expected} octets, got ${bytes.length}`,
    );
  }
  const sequenceNumber = r.u16('sequence number');
  const baseTime = readDateTime(r, 'base time');
  const timeOffsetMinutes = flags & GLS_FLAG_TIME_OFFSET ? r.s16('time offset') : undefined;
  let concentration: GlucoseConcentration | undefined;
  if (flags & GLS_FLAG_CONCENTRATION) {
    const value = readSfloat(r, 'glucose concentration');
    concentration = { value, ...splitTypeLocation(r.u8('type/sample location')) };
  }
  const sensorStatus = flags & GLS_FLAG_STATUS ? r.u16('sensor status annunciation') : undefined;
  return {
    sequenceNumber,
    baseTime,
    ...(timeOffsetMinutes !== undefined ? { timeOffsetMinutes } : {}),
    unit: flags & GLS_FLAG_MOL_PER_L ? 'mol/L' : 'kg/L',
    ...(concentration ? { concentration } : {}),
    ...(sensorStatus !== undefined ? { sensorStatus } : {}),
    contextFollows: (flags & GLS_FLAG_CONTEXT_FOLLOWS) !== 0,
  };
}

export function encodeGlucoseMeasurement(m: GlucoseMeasurement): Uint8Array {
  if (m.unit !== 'kg/L' && m.unit !== 'mol/L') {
    throw new CodecError('ERR_INVALID_ARGUMENT', `unit ${String(m.unit)} is not kg/L or mol/L`);
  }
  let flags = 0;
  if (m.timeOffsetMinutes !== undefined) flags |= GLS_FLAG_TIME_OFFSET;
  if (m.concentration) flags |= GLS_FLAG_CONCENTRATION;
  if (m.unit === 'mol/L') flags |= GLS_FLAG_MOL_PER_L;
  if (m.sensorStatus !== undefined) flags |= GLS_FLAG_STATUS;
  if (m.contextFollows) flags |= GLS_FLAG_CONTEXT_FOLLOWS;
  const w = new LeWriter().u8(flags, 'flags').u16(m.sequenceNumber, 'sequence number');
  writeDateTime(w, m.baseTime, 'base time');
  if (m.timeOffsetMinutes !== undefined) w.s16(m.timeOffsetMinutes, 'time offset');
  if (m.concentration) {
    writeSfloat(w, m.concentration.value, 'glucose concentration');
    w.u8(
      joinTypeLocation(m.concentration.sampleType, m.concentration.sampleLocation),
      'type/sample location',
    );
  }
  if (m.sensorStatus !== undefined) w.u16(m.sensorStatus, 'sensor status annunciation');
  return w.toBytes();
}

/**
 * The concentration in display units: kg/L × 10⁵ = mg/dL, mol/L × 10³ = mmol/L (spec B.2).
 * `value` is null when the record has no concentration or carries a special SFLOAT (NaN, NRes, ±INF).
 */
export function glucoseDisplayValue(m: Pick<GlucoseMeasurement, 'unit' | 'concentration'>): {
  value: number | null;
  unit: 'mg/dL' | 'mmol/L';
} {
  const unit = m.unit === 'mol/L' ? 'mmol/L' : 'mg/dL';
  if (!m.concentration) return { value: null, unit };
  return { value: sfloatScaled(m.concentration.value, m.unit === 'mol/L' ? 3 : 5), unit };
}

/** Base Time + Time Offset as a local wall time `YYYY-MM-DDTHH:MM:SS`, or null when the date is unknown. */
export function glucoseUserFacingTime(
  m: Pick<GlucoseMeasurement, 'baseTime' | 'timeOffsetMinutes'>,
): string | null {
  return addMinutesToDateTime(m.baseTime, m.timeOffsetMinutes ?? 0);
}

export function glsSensorStatusNames(status: number): GlsSensorStatusName[] {
  return GLS_SENSOR_STATUS_BITS.filter((_, i) => (status & (1 << i)) !== 0);
}
