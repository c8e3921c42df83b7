// The options of a simulated glucose meter (glucose-meter-simulator.ts): records by value or raw hex, generated
// history, the meter's clock and the vendor behaviours a scenario can switch on (meter-behaviours.ts).
import { epochMsToDateTime, type DateTime } from '../../drivers/codecs/date-time.ts';
import type { GlucoseConcentrationUnit } from '../../drivers/codecs/glucose-measurement.ts';
import type { Pattern } from './patterns.ts';
import type { SensorOptions } from './simulated-sensor.ts';

export interface MeterClockOptions {
  /** Current Time Service 0x1805, Date Time 0x2A08 in the Glucose service (Roche), i-SENS 0xFFF0/0xFFF1, none */
  service: 'current-time' | 'date-time' | 'isens' | 'none';
  /** the meter's clock minus the true wall time, seconds (it also stamps new records) */
  errorSeconds?: number;
  /** the central may set it (default true) */
  writable?: boolean;
}

export interface GlucoseContextSpec {
  /** 1 preprandial, 2 postprandial, 3 fasting, 4 casual, 5 bedtime */
  meal?: number;
  /** carbohydrate ID (1 breakfast ... 7 brunch) and grams */
  carbohydrate?: { id: number; grams: number };
  /** 1 self, 2 health care professional, 3 lab test, 15 n/a */
  tester?: number;
  /** 1 minor issues ... 5 none, 15 n/a */
  health?: number;
}

export interface GlucoseRecordSpec {
  /** default: the next sequence number */
  sequence?: number;
  /** UTC instant of the measurement (default now); Base Time is the meter's wall clock */
  time?: Date | string;
  /** mg/dL on a kg/L meter, mmol/L on a mol/L meter; LO/HI = SFLOAT −INF/+INF with status bits */
  glucose: number | 'LO' | 'HI';
  sensorStatus?: number;
  context?: GlucoseContextSpec;
}

/** Raw records: the measurement and an optional context, both sent byte for byte. */
export interface GlucoseRawRecord {
  measurement: string;
  context?: string;
}

export interface GlucoseHistoryOptions {
  count?: number;
  /** minutes between records (default 240) */
  spacingMinutes?: number;
  /** UTC instant of the last record (default now) */
  end?: Date | string;
  pattern?: Pattern;
  value?: number;
  seed?: number;
  /** every Nth record carries a context (0 = none) */
  contextEvery?: number;
}

export interface GlucoseMeterOptions extends SensorOptions {
  unit?: GlucoseConcentrationUnit;
  firstSequence?: number;
  /** the meter's wall clock vs UTC, minutes (default 60) */
  utcOffsetMinutes?: number;
  /** the Time Offset field of generated records (Base Time = wall time − offset) */
  timeOffsetMinutes?: number;
  history?: GlucoseHistoryOptions;
  records?: readonly (GlucoseRecordSpec | GlucoseRawRecord | string)[];
  sampleType?: number;
  sampleLocation?: number;
  features?: number;
  /** measuring range of generated values, mg/dL (default 20..600) */
  range?: { low: number; high: number };
  /** where and how wrong the meter's clock is (default: no clock service) */
  clock?: MeterClockOptions;
  /** RACP requests sooner than this after the link came up or the previous request go unanswered (Roche) */
  racpSettleMs?: number;
  /** reversed: record numbers count back from the newest, which is 0 (TaiDoc) */
  sequenceOrder?: 'ascending' | 'reversed';
  /** required: RACP requests go unanswered until the link is bonded (`bonded = true`) */
  bond?: 'none' | 'required';
  /** records the meter holds right after a sequence reset (fault resetSequenceAfterLinks), ending at the reset */
  afterReset?: GlucoseHistoryOptions;
}

export interface StoredGlucoseRecord {
  readonly sequence: number;
  /** user facing time (Base Time + Time Offset) as epoch ms of the wall clock read as UTC */
  readonly uft: number;
  readonly measurement: Buffer;
  readonly context?: Buffer;
}

export function wallClock(utcMs: number, offsetMinutes: number): DateTime {
  return epochMsToDateTime(utcMs + offsetMinutes * 60_000);
}

export function instant(v: Date | string | undefined, what: string): number {
  const ms = v === undefined ? Date.now() : new Date(v).getTime();
  if (Number.isNaN(ms)) throw new RangeError(`${what} ${String(v)} is not a date`);
  return ms;
}
