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
import { isControlSolution, specimenOf } from './specimen.ts';

export interface GlucoseRecordContext {
  device: DeviceInfo;
  timeZone: string;
  clockOffsetMs: number;
  receivedAt: string;
}

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
  const { value, unit } = glucoseDisplayValue(m);
  const c = m.concentration;
  const status = m.sensorStatus ?? 0;
  const base = {
    device: ctx.device,
    identity: `seq:${m.sequenceNumber}`,
    recordNumber: m.sequenceNumber,
    unit,
    specimen: c ? specimenOf(c.sampleType, 'capillary') : ('capillary' as const),
    deviceTime: local,
    receivedAt: ctx.receivedAt,
    effectiveAt,
    clockOffsetMs: ctx.clockOffsetMs,
    raw: rawText,
    ...(c && isControlSolution(c.sampleType, c.sampleLocation) ? { controlSolution: true } : {}),
  };
  let reading: Reading;
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
  return { reading };
}
