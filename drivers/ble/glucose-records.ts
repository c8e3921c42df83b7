// The "process" step for GLS: a Glucose Measurement (and the Context that followed it) → a Reading, or the
// reason it is refused. Pure, never throws. The meter's Base Time is local wall time without a zone; it is
// placed in the gateway's configured zone (spec B.5 step 10) and kept verbatim as deviceTime.
import { formatDateTime } from '../codecs/date-time.ts';
import {
  glsSensorStatusNames,
  glucoseDisplayValue,
  glucoseUserFacingTime,
  type GlucoseMeasurement,
} from '../codecs/glucose-measurement.ts';
import type { DeviceInfo, Reading } from '../../gateway/readings/reading.ts';
import { localTimeToUtc } from '../serial/local-time.ts';
import type { Refusal } from './cgm-records.ts';
import { identityOf, recordNumberOf } from './sequence-reset.ts';
import { isControlSolution, specimenOf } from './specimen.ts';

export interface GlucoseRecordContext {
  device: DeviceInfo;
  timeZone: string;
  clockOffsetMs: number;
  receivedAt: string;
  /** The sequence epoch (sequence-reset.ts); 0 until the meter's numbering first started over. */
  epoch?: number;
  /** time: the meter's sequence numbers identify nothing (quirk taidoc-reversed-sequence); its time does. */
  identityBy?: 'sequence' | 'time';
  /** The record's context said it is a blood ketone test (quirk ketone-context-meal-6). */
  ketone?: boolean;
}

/** Ketone tests sent as kg/L are mg/dL-like tenths: value / 10 = mmol/L; HI above 8.0 (Tidepool bluetoothLEDriver.js). */
export const KETONE = { factor: 10, upper: 8.0 } as const;

/** What a meter shows as LO / HI when it sends SFLOAT ∓INFINITY (typical meter range 20–600 mg/dL). */
export const METER_LIMITS = {
  'mg/dL': { lower: 20, upper: 600 },
  'mmol/L': { lower: 1.1, upper: 33.3 },
} as const;

const STATUS_TOO_HIGH = 1 << 5;
const STATUS_TOO_LOW = 1 << 6;

export function glucoseToReading(
  m: GlucoseMeasurement,
  raw: { measurement: string; context?: string },
  ctx: GlucoseRecordContext,
): { reading: Reading } | { refused: Refusal } {
  const rawText = raw.context ? `${raw.measurement}/${raw.context}` : raw.measurement;
  const local = glucoseUserFacingTime(m);
  if (local === null) {
    return {
      refused: {
        reason: 'unknown-time',
        detail: `sequence ${m.sequenceNumber}: the meter's date is unknown (${formatDateTime(m.baseTime)})`,
        raw: rawText,
        recordNumber: m.sequenceNumber,
      },
    };
  }
  let effectiveAt: string;
  try {
    effectiveAt = localTimeToUtc(local, ctx.timeZone).toISOString();
  } catch (err) {
    return {
      refused: {
        reason: 'unknown-time',
        detail: `sequence ${m.sequenceNumber}: ${(err as Error).message}`,
        raw: rawText,
        recordNumber: m.sequenceNumber,
      },
    };
  }
  const c = m.concentration;
  const base = {
    device: ctx.device,
    ...(ctx.identityBy === 'time'
      ? { identity: `time:${local}` }
      : {
          identity: identityOf(ctx.epoch ?? 0, m.sequenceNumber),
          recordNumber: recordNumberOf(ctx.epoch ?? 0, m.sequenceNumber),
        }),
    specimen: c ? specimenOf(c.sampleType, 'capillary') : ('capillary' as const),
    deviceTime: local,
    receivedAt: ctx.receivedAt,
    effectiveAt,
    clockOffsetMs: ctx.clockOffsetMs,
    raw: rawText,
    ...(c && isControlSolution(c.sampleType, c.sampleLocation) ? { controlSolution: true } : {}),
  };
  if (ctx.ketone) return { reading: { ...base, ...ketoneFields(m) } };
  return { reading: { ...base, ...glucoseFields(m) } };
}

type ValueFields = Pick<Reading, 'value' | 'unit' | 'flag' | 'flagReason'>;

function glucoseFields(m: GlucoseMeasurement): ValueFields {
  const { value, unit } = glucoseDisplayValue(m);
  const c = m.concentration;
  const status = m.sensorStatus ?? 0;
  const base = { unit };
  let reading: ValueFields;
  if (c?.value.kind === '-inf') reading = { ...base, value: METER_LIMITS[unit].lower, flag: 'low' };
  else if (c?.value.kind === '+inf') reading = { ...base, value: METER_LIMITS[unit].upper, flag: 'high' };
  else if (value === null) {
    reading = {
      ...base,
      value: null,
      flag: 'error',
      flagReason: glsSensorStatusNames(status)[0] ?? (c ? 'invalid-result' : 'no-concentration'),
    };
  } else {
    const flag = status & STATUS_TOO_LOW ? 'low' : status & STATUS_TOO_HIGH ? 'high' : undefined;
    reading = { ...base, value, ...(flag ? { flag } : {}) };
  }
  return reading;
}

/** A blood ketone test in mmol/L (stored for audit, never a glucose Observation). */
function ketoneFields(m: GlucoseMeasurement): ValueFields & { analyte: 'ketone' } {
  const { value, unit } = glucoseDisplayValue(m);
  const kind = m.concentration?.value.kind;
  const k = { analyte: 'ketone' as const, unit: 'mmol/L' as const };
  if (kind === '+inf') return { ...k, value: KETONE.upper, flag: 'high' };
  if (kind === '-inf') return { ...k, value: 0, flag: 'low' };
  if (value === null) return { ...k, value: null, flag: 'error', flagReason: 'invalid-result' };
  const mmol = unit === 'mg/dL' ? Math.round((value / KETONE.factor) * 10) / 10 : value;
  return mmol > KETONE.upper ? { ...k, value: KETONE.upper, flag: 'high' } : { ...k, value: mmol };
}
