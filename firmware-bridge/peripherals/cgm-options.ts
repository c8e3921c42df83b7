// The CGM simulator's options: what a scenario or a test may set, the defaults, and the checks that turn a
// wrong value into a RangeError naming it.
import type { CgmAnnunciation } from '../../drivers/codecs/cgm-annunciation.ts';
import { CGM_FEATURE_E2E_CRC } from '../../drivers/codecs/cgm-feature.ts';
import type { DstOffsetMinutes } from '../../drivers/codecs/cgm-session-start-time.ts';
import type { CgmAlertLevels, CgmHistoryOptions, CgmRecordRules, CgmRecordSpec } from './cgm-records.ts';
import { checkSessionZone, type SessionZone } from './cgm-session-start.ts';
import type { SensorOptions } from './simulated-sensor.ts';

export interface CgmSimulatorOptions extends SensorOptions {
  intervalMinutes?: 1 | 5;
  /** UTC instant; default: now − the latest record's time offset */
  sessionStart?: Date | string;
  /** Session Start Time reports no date until a collector writes its time (a sensor nobody set up yet) */
  sessionStartUnknown?: boolean;
  /** multiple of 15 in −720..840, or null = unknown (default 60) */
  timeZoneMinutes?: number | null;
  dstOffsetMinutes?: DstOffsetMinutes | null;
  sessionRunTimeHours?: number;
  e2eCrc?: boolean;
  /** extra CGM Feature bits (bit 12 always follows e2eCrc) */
  features?: number;
  sampleType?: number;
  sampleLocation?: number;
  history?: CgmHistoryOptions;
  /** given records (structured or raw hex), stored after the history */
  records?: readonly (CgmRecordSpec | string)[];
  live?: boolean;
  speed?: number;
  range?: { low: number; high: number };
  loHi?: 'infinity' | 'annunciation';
  alerts?: CgmAlertLevels;
  trend?: boolean;
  quality?: boolean;
  status?: CgmAnnunciation;
  calibration?: boolean;
  /**
   * Records per CGM Measurement notification in a RACP transfer (spec A.2 allows several), as many as fit
   * ATT_MTU − 3; default 1. Live records always go one per notification.
   */
  recordsPerNotification?: number;
}

/** The options with their defaults, checked. */
export interface ResolvedCgmOptions {
  intervalMinutes: 1 | 5;
  e2eCrc: boolean;
  speed: number;
  zone: SessionZone;
  runTimeHours: number;
  featureBits: number;
  sampleType: number;
  sampleLocation: number;
  records: CgmRecordRules;
  /** time offsets of the generated history */
  history: number[];
  status: { status: number; calTemp: number; warning: number };
  calibration: boolean;
  alerts: CgmAlertLevels;
}

/** Checked before the peripheral goes on the air. */
export function checkRecordsPerNotification(opts: CgmSimulatorOptions): number {
  const n = opts.recordsPerNotification ?? 1;
  if (!Number.isInteger(n) || n < 1)
    throw new RangeError(`recordsPerNotification must be an integer >= 1, got ${n}`);
  return n;
}

export function resolveCgmOptions(opts: CgmSimulatorOptions): ResolvedCgmOptions {
  const intervalMinutes = opts.intervalMinutes ?? 1;
  if (intervalMinutes !== 1 && intervalMinutes !== 5) {
    throw new RangeError(`intervalMinutes must be 1 or 5, got ${String(opts.intervalMinutes)}`);
  }
  const e2eCrc = opts.e2eCrc ?? true;
  const speed = opts.speed ?? 1;
  if (!(speed > 0) || !Number.isFinite(speed)) throw new RangeError(`speed must be > 0, got ${opts.speed}`);
  const zone = {
    timeZoneMinutes: opts.timeZoneMinutes === undefined ? 60 : opts.timeZoneMinutes,
    dstOffsetMinutes: opts.dstOffsetMinutes === undefined ? 0 : opts.dstOffsetMinutes,
  };
  checkSessionZone(zone);
  const range = opts.range ?? { low: 40, high: 400 };
  if (!(range.low < range.high)) throw new RangeError('range.low must be below range.high');
  const h = opts.history ?? {};
  const alerts = opts.alerts ?? {};
  return {
    intervalMinutes,
    e2eCrc,
    speed,
    zone,
    runTimeHours: opts.sessionRunTimeHours ?? 336,
    featureBits: featureBitsOf(opts, e2eCrc),
    sampleType: opts.sampleType ?? 9,
    sampleLocation: opts.sampleLocation ?? 5,
    records: {
      intervalMinutes,
      e2eCrc,
      range,
      loHi: opts.loHi ?? 'infinity',
      alerts,
      trend: opts.trend ?? false,
      quality: opts.quality ?? false,
      generator: { pattern: h.pattern ?? 'meals', value: h.value, seed: h.seed ?? 1 },
    },
    history: historyOffsets(h, intervalMinutes),
    status: { status: 0, calTemp: 0, warning: 0, ...opts.status },
    calibration: opts.calibration ?? true,
    alerts,
  };
}

/** CGM Feature: the given bits or the simulator's defaults, with bit 12 (E2E-CRC) as e2eCrc says. */
function featureBitsOf(opts: CgmSimulatorOptions, e2eCrc: boolean): number {
  // patient high/low, hypo, hyper, malfunction, result high/low, low battery, fault
  let f = 0b1011_0100_1110;
  if (opts.calibration ?? true) f |= 1 << 0;
  if (opts.trend ?? false) f |= 1 << 15;
  if (opts.quality ?? false) f |= 1 << 16;
  return ((opts.features ?? f) & ~CGM_FEATURE_E2E_CRC) | (e2eCrc ? CGM_FEATURE_E2E_CRC : 0);
}

/** The time offsets of the generated history (checked to fit the 16-bit time offset). */
function historyOffsets(h: CgmHistoryOptions, intervalMinutes: number): number[] {
  const count = h.count ?? (h.days !== undefined ? Math.round((h.days * 1440) / intervalMinutes) : 0);
  const first = h.startOffset ?? 0;
  if (!Number.isInteger(count) || count < 0) throw new RangeError(`history count must be >= 0, got ${count}`);
  if (first + (count - 1) * intervalMinutes > 0xffff) {
    throw new RangeError(`history of ${count} records does not fit the 16-bit time offset`);
  }
  return Array.from({ length: count }, (_, k) => first + k * intervalMinutes);
}
