// The "process" step for CGMS: one CGM Measurement notification (one or more records) → Readings, or the
// reasons its records are refused. Pure: no I/O, never throws. A record with a wrong E2E-CRC is refused on its
// own; a notification that does not decode is refused whole (its records cannot be told apart).
import { CGM_CAL_TEMP_BITS, CGM_STATUS_BITS } from '../codecs/cgm-annunciation.ts';
import {
  decodeCgmMeasurement,
  type AnnunciationOrder,
  type CgmMeasurementRecord,
} from '../codecs/cgm-measurement.ts';
import { CodecError } from '../codecs/codec-error.ts';
import type { DeviceInfo, Reading, SensorSession, Specimen } from '../../gateway/readings/reading.ts';
import type { RejectionReason } from './rejections.ts';

export interface CgmRecordContext {
  device: DeviceInfo;
  /** startedAt is the canonical UTC ISO form; it is part of every identity. */
  session: SensorSession;
  /** Epoch ms of session.startedAt (parsed once, not per record). */
  sessionStartMs: number;
  /** Whether the sensor announced E2E-CRC (CGM Feature bit 12): then every record must carry one. */
  crc: boolean;
  annunciationOrder: AnnunciationOrder;
  specimen: Specimen;
  /** Values shown for LO/HI (SFLOAT ∓INFINITY): the device's measuring range. */
  limits: { lower: number; upper: number };
  clockOffsetMs: number;
  receivedAt: string;
}

export interface Refusal {
  reason: RejectionReason;
  detail: string;
  raw: string;
  recordNumber?: number;
}

export interface CgmOutcome {
  readings: Reading[];
  refused: Refusal[];
}

const WARNING_BELOW_DEVICE_RANGE = 0x40;
const WARNING_ABOVE_DEVICE_RANGE = 0x80;
const CAL_TEMP_CALIBRATION_REQUIRED = 0x08;

function firstName(octet: number | undefined, names: readonly string[]): string | undefined {
  if (octet === undefined) return undefined;
  return names.find((_, i) => (octet & (1 << i)) !== 0);
}

function toReading(rec: CgmMeasurementRecord, raw: string, ctx: CgmRecordContext): Reading {
  const offset = rec.timeOffsetMinutes;
  const a = rec.annunciation;
  const g = rec.glucose;
  // one object literal per reading (no spreads: this runs once per record of a 20,160-record backfill)
  const r: Reading = {
    device: ctx.device,
    identity: `cgm:${ctx.session.startedAt}:${offset}`,
    recordNumber: offset,
    value: null,
    unit: 'mg/dL',
    specimen: ctx.specimen,
    deviceTime: `offset+${offset}min`,
    receivedAt: ctx.receivedAt,
    effectiveAt: new Date(ctx.sessionStartMs + offset * 60_000).toISOString(),
    clockOffsetMs: ctx.clockOffsetMs,
    raw,
    session: ctx.session,
  };
  if (a?.calTemp !== undefined) {
    r.calibration = {
      state: a.calTemp & CAL_TEMP_CALIBRATION_REQUIRED ? 'calibration-required' : 'calibrated',
    };
  }
  switch (g.kind) {
    case 'number': {
      r.value = g.value;
      const w = a?.warning ?? 0;
      if (w & WARNING_BELOW_DEVICE_RANGE) r.flag = 'low';
      else if (w & WARNING_ABOVE_DEVICE_RANGE) r.flag = 'high';
      return r;
    }
    case '-inf':
      r.value = ctx.limits.lower;
      r.flag = 'low';
      return r;
    case '+inf':
      r.value = ctx.limits.upper;
      r.flag = 'high';
      return r;
    default:
      r.flag = 'error';
      r.flagReason =
        firstName(a?.status, CGM_STATUS_BITS) ??
        firstName(a?.calTemp, CGM_CAL_TEMP_BITS) ??
        (g.kind === 'nres' ? 'not-at-this-resolution' : 'invalid-result');
      return r;
  }
}

export function cgmNotificationToReadings(bytes: Uint8Array, ctx: CgmRecordContext): CgmOutcome {
  const hex = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).toString('hex');
  let records: CgmMeasurementRecord[];
  try {
    records = decodeCgmMeasurement(bytes, { crc: ctx.crc, annunciationOrder: ctx.annunciationOrder }).records;
  } catch (err) {
    const detail = err instanceof CodecError ? `${err.code}: ${err.message}` : String(err);
    return { readings: [], refused: [{ reason: 'malformed', detail, raw: hex }] };
  }
  const out: CgmOutcome = { readings: [], refused: [] };
  let at = 0;
  for (const rec of records) {
    const size = bytes[at];
    const raw = records.length === 1 ? hex : hex.slice(at * 2, (at + size) * 2);
    at += size;
    if (rec.crc === 'mismatch') {
      out.refused.push({
        reason: 'crc-mismatch',
        detail: `E2E-CRC mismatch in the record at time offset ${rec.timeOffsetMinutes}`,
        raw,
        recordNumber: rec.timeOffsetMinutes,
      });
      continue;
    }
    out.readings.push(toReading(rec, raw, ctx));
  }
  return out;
}
