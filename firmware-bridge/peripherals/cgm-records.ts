// The CGM simulator's records (spec A.2): given ones (structured, or raw hex sent byte for byte) and generated
// ones (a glucose pattern with the patient alert warnings and an optional trend), with LO/HI outside the
// measuring range, encoded once, E2E-CRC included, as they go out.
import type { CgmAnnunciation } from '../../drivers/codecs/cgm-annunciation.ts';
import {
  decodeCgmMeasurement,
  encodeCgmMeasurement,
  type CgmMeasurementRecordInput,
} from '../../drivers/codecs/cgm-measurement.ts';
import { CodecError } from '../../drivers/codecs/codec-error.ts';
import { parseHex } from '../../drivers/codecs/hex.ts';
import { sfloatFromNumber, type Sfloat } from '../../drivers/codecs/sfloat.ts';
import { corruptTrailingCrc, isEveryNth } from './faults.ts';
import { patternValue, type Pattern } from './patterns.ts';

export type CgmGlucoseSpec = number | 'LO' | 'HI' | 'NaN';

export interface CgmRecordSpec {
  /** minutes since the session start */
  timeOffset: number;
  /** mg/dL; LO/HI follow the simulator's `loHi` rule, NaN is the SFLOAT NaN (invalid result) */
  glucose: CgmGlucoseSpec;
  trend?: number;
  quality?: number;
  annunciation?: CgmAnnunciation;
}

export interface CgmHistoryOptions {
  /** number of records (or use `days`) */
  count?: number;
  /** days of history at the interval: days × 1440 / interval records */
  days?: number;
  pattern?: Pattern;
  value?: number;
  seed?: number;
  /** time offset of the first record, minutes (default 0) */
  startOffset?: number;
}

export interface CgmAlertLevels {
  patientLow?: number;
  patientHigh?: number;
  hypo?: number;
  hyper?: number;
}

export interface StoredCgmRecord {
  readonly timeOffset: number;
  /** the record as it goes out (CRC included when it has one) */
  readonly bytes: Buffer;
  /** the record ends in an E2E-CRC (the corrupt-CRC fault has something to corrupt) */
  readonly hasCrc: boolean;
}

/** How the sensor makes its records. */
export interface CgmRecordRules {
  intervalMinutes: 1 | 5;
  e2eCrc: boolean;
  /** the measuring range, mg/dL */
  range: { low: number; high: number };
  /** outside the range: SFLOAT ±INF, or the range limit with the Warning bit only */
  loHi: 'infinity' | 'annunciation';
  alerts: CgmAlertLevels;
  trend: boolean;
  quality: boolean;
  generator: { pattern: Pattern; value?: number; seed: number };
}

// Warning octet bits (spec A.2)
const W_BELOW_PATIENT_LOW = 0x01;
const W_ABOVE_PATIENT_HIGH = 0x02;
const W_BELOW_HYPO = 0x04;
const W_ABOVE_HYPER = 0x08;
const W_BELOW_DEVICE = 0x40;
const W_ABOVE_DEVICE = 0x80;

/** A record as sent at `position` of a transfer or live stream: the corrupt-CRC fault hits every Nth. */
export function recordBytesAt(r: StoredCgmRecord, position: number, corruptCrcEvery: number | null): Buffer {
  return r.hasCrc && isEveryNth(position, corruptCrcEvery) ? corruptTrailingCrc(r.bytes) : r.bytes;
}

export class CgmRecordFactory {
  private readonly rules: CgmRecordRules;
  /** the previous generated value, for the trend */
  private lastGlucose: number | null = null;

  /** rules.range is checked by the caller (low below high) */
  constructor(rules: CgmRecordRules) {
    this.rules = rules;
  }

  /** A given record: structured, or raw hex sent byte for byte. */
  given(spec: CgmRecordSpec | string): StoredCgmRecord {
    return typeof spec === 'string' ? this.fromHex(spec) : this.fromSpec(spec);
  }

  /** The generated record at `offset`, carrying the sensor's current Status and Cal/Temp octets. */
  generate(offset: number, octets: { status: number; calTemp: number }): StoredCgmRecord {
    const { alerts, trend: withTrend, intervalMinutes } = this.rules;
    const v = patternValue(offset, this.rules.generator);
    let warning = 0;
    if (alerts.patientLow !== undefined && v < alerts.patientLow) warning |= W_BELOW_PATIENT_LOW;
    if (alerts.patientHigh !== undefined && v > alerts.patientHigh) warning |= W_ABOVE_PATIENT_HIGH;
    if (alerts.hypo !== undefined && v < alerts.hypo) warning |= W_BELOW_HYPO;
    if (alerts.hyper !== undefined && v > alerts.hyper) warning |= W_ABOVE_HYPER;
    const field = this.glucoseField(v, warning);
    const { status, calTemp } = octets;
    const annunciation: CgmAnnunciation = {
      ...(status !== 0 ? { status } : {}),
      ...(calTemp !== 0 ? { calTemp } : {}),
      ...(field.warning !== 0 ? { warning: field.warning } : {}),
    };
    const slope =
      this.lastGlucose === null ? 0 : Math.round(((v - this.lastGlucose) / intervalMinutes) * 10) / 10;
    const trend = withTrend ? sfloatFromNumber(slope) : undefined;
    this.lastGlucose = v;
    return this.encode({
      glucose: field.glucose,
      timeOffsetMinutes: offset,
      ...(Object.keys(annunciation).length > 0 ? { annunciation } : {}),
      ...(trend ? { trend } : {}),
      ...(this.rules.quality ? { quality: sfloatFromNumber(95) } : {}),
    });
  }

  private fromHex(hex: string): StoredCgmRecord {
    const bytes = Buffer.from(parseHex(hex));
    const m = decodeCgmMeasurement(bytes, { crc: false });
    if (m.records.length !== 1) {
      throw new CodecError(
        'ERR_INVALID_ARGUMENT',
        `raw CGM record holds ${m.records.length} records, expected 1`,
      );
    }
    const r = m.records[0];
    return { timeOffset: r.timeOffsetMinutes, bytes, hasCrc: r.crc !== 'absent' };
  }

  private fromSpec(spec: CgmRecordSpec): StoredCgmRecord {
    if (!Number.isInteger(spec.timeOffset) || spec.timeOffset < 0 || spec.timeOffset > 0xffff) {
      throw new RangeError(`timeOffset ${spec.timeOffset} is not a uint16`);
    }
    let warning = spec.annunciation?.warning ?? 0;
    let glucose: Sfloat;
    if (spec.glucose === 'NaN') glucose = { kind: 'nan' };
    else {
      const v = spec.glucose === 'LO' ? -Infinity : spec.glucose === 'HI' ? Infinity : spec.glucose;
      ({ glucose, warning } = this.glucoseField(v, warning));
    }
    const annunciation: CgmAnnunciation = {
      ...(spec.annunciation?.status !== undefined ? { status: spec.annunciation.status } : {}),
      ...(spec.annunciation?.calTemp !== undefined ? { calTemp: spec.annunciation.calTemp } : {}),
      ...(warning !== 0 || spec.annunciation?.warning !== undefined ? { warning } : {}),
    };
    return this.encode({
      glucose,
      timeOffsetMinutes: spec.timeOffset,
      ...(Object.keys(annunciation).length > 0 ? { annunciation } : {}),
      ...(spec.trend !== undefined ? { trend: sfloatFromNumber(spec.trend) } : {}),
      ...(spec.quality !== undefined ? { quality: sfloatFromNumber(spec.quality) } : {}),
    });
  }

  /** A value outside the measuring range becomes LO/HI per `loHi`, with Warning bit 6/7. */
  private glucoseField(v: number, warning: number): { glucose: Sfloat; warning: number } {
    const { range, loHi } = this.rules;
    if (v < range.low) {
      const glucose = loHi === 'infinity' ? ({ kind: '-inf' } as const) : sfloatFromNumber(range.low);
      return { glucose, warning: warning | W_BELOW_DEVICE };
    }
    if (v > range.high) {
      const glucose = loHi === 'infinity' ? ({ kind: '+inf' } as const) : sfloatFromNumber(range.high);
      return { glucose, warning: warning | W_ABOVE_DEVICE };
    }
    return { glucose: sfloatFromNumber(Math.round(v)), warning };
  }

  private encode(input: CgmMeasurementRecordInput): StoredCgmRecord {
    const e2eCrc = this.rules.e2eCrc;
    const bytes = Buffer.from(encodeCgmMeasurement({ records: [input] }, { crc: e2eCrc }));
    return { timeOffset: input.timeOffsetMinutes, bytes, hasCrc: e2eCrc };
  }
}
