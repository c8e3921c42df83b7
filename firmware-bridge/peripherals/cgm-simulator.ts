// A simulated CGM sensor: CGMS 0x181F (spec A) with stored and live records, RACP by Time Offset,
// SOCP, a writable Session Start Time, LO/HI values, annunciations and the per-record E2E-CRC.
import type { CgmAnnunciation } from '../../drivers/codecs/cgm-annunciation.ts';
import { CGM_FEATURE_E2E_CRC, encodeCgmFeature } from '../../drivers/codecs/cgm-feature.ts';
import {
  decodeCgmMeasurement,
  encodeCgmMeasurement,
  type CgmMeasurementRecordInput,
} from '../../drivers/codecs/cgm-measurement.ts';
import { encodeCgmSessionRunTime } from '../../drivers/codecs/cgm-session-run-time.ts';
import {
  decodeCgmSessionStartTime,
  encodeCgmSessionStartTime,
  type DstOffsetMinutes,
} from '../../drivers/codecs/cgm-session-start-time.ts';
import {
  CGM_ALERTS,
  CGM_CALIBRATION_LAST,
  CGM_INTERVAL_DISABLED,
  CGM_INTERVAL_FASTEST,
  CGM_SOCP_OP_CODES,
  decodeCgmSocp,
  encodeCgmSocp,
  type CgmAlertName,
  type CgmCalibrationRecord,
  type CgmSocpMessage,
  type CgmSocpResponseCodeName,
} from '../../drivers/codecs/cgm-socp.ts';
import { encodeCgmStatus } from '../../drivers/codecs/cgm-status.ts';
import { CodecError } from '../../drivers/codecs/codec-error.ts';
import { dateTimeToEpochMs } from '../../drivers/codecs/date-time.ts';
import { parseHex } from '../../drivers/codecs/hex.ts';
import { sfloatFromNumber, type Sfloat } from '../../drivers/codecs/sfloat.ts';
import { AttError, type PeripheralHost, type ServiceDefinition, type WriteResult } from '../hci/index.ts';
import { corruptTrailingCrc, isEveryNth, type Faults } from './faults.ts';
import { patternValue, type Pattern } from './patterns.ts';
import type { RacpBackend } from './racp-server.ts';
import { logEntry, type RequestLogEntry } from './request-log.ts';
import { SimulatedSensor, type SensorOptions } from './simulated-sensor.ts';

export const CGMS_UUID = '181f';
export const CGM_MEASUREMENT_UUID = '2aa7';
export const CGM_FEATURE_UUID = '2aa8';
export const CGM_STATUS_UUID = '2aa9';
export const CGM_SESSION_START_TIME_UUID = '2aaa';
export const CGM_SESSION_RUN_TIME_UUID = '2aab';
export const CGM_SOCP_UUID = '2aac';

/** Application ATT errors for CGMS writes (spec 0.2). */
export const CGM_ATT_MISSING_CRC = 0x80;
export const CGM_ATT_INVALID_CRC = 0x81;

/** Size 7 does not match flags 0xE3 (spec A.7 C5). */
export const MALFORMED_CGM_MEASUREMENT = Buffer.from('07e30c10060000', 'hex');

// Warning octet bits (spec A.2)
const W_BELOW_PATIENT_LOW = 0x01;
const W_ABOVE_PATIENT_HIGH = 0x02;
const W_BELOW_HYPO = 0x04;
const W_ABOVE_HYPER = 0x08;
const W_BELOW_DEVICE = 0x40;
const W_ABOVE_DEVICE = 0x80;
const STATUS_SESSION_STOPPED = 0x01;
const CALTEMP_TIME_SYNC_REQUIRED = 0x01;

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

export interface CgmSimulatorOptions extends SensorOptions {
  intervalMinutes?: 1 | 5;
  /** UTC instant; default: now − the latest record's time offset */
  sessionStart?: Date | string;
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

export interface StoredCgmRecord {
  readonly timeOffset: number;
  /** the record as it goes out (CRC included when it has one) */
  readonly bytes: Buffer;
  /** the record ends in an E2E-CRC (the corrupt-CRC fault has something to corrupt) */
  readonly hasCrc: boolean;
}

type AlertLevels = Record<CgmAlertName, Sfloat>;

const DEFAULT_ALERT_LEVELS: Record<CgmAlertName, number> = {
  'patient-high': 180,
  'patient-low': 70,
  hypo: 55,
  hyper: 250,
  'rate-of-decrease': 2,
  'rate-of-increase': 2,
};

function defaultFeatures(o: {
  calibration: boolean;
  crc: boolean;
  trend: boolean;
  quality: boolean;
}): number {
  let f = 0b1011_0100_1110; // patient high/low, hypo, hyper, malfunction, result high/low, low battery, fault
  if (o.calibration) f |= 1 << 0;
  if (o.crc) f |= CGM_FEATURE_E2E_CRC;
  if (o.trend) f |= 1 << 15;
  if (o.quality) f |= 1 << 16;
  return f;
}

export class CgmSimulator extends SimulatedSensor<StoredCgmRecord> {
  readonly socpRequests: RequestLogEntry[] = [];
  readonly intervalMinutes: 1 | 5;
  readonly e2eCrc: boolean;
  readonly speed: number;
  readonly recordsPerNotification: number;
  private readonly storage: StoredCgmRecord[] = [];
  private minutes = 0;
  private startUtcMs: number;
  private timeZone: number | null;
  private dst: DstOffsetMinutes | null;
  private readonly runTimeHours: number;
  private readonly featureBits: number;
  private readonly sampleType: number;
  private readonly sampleLocation: number;
  private readonly range: { low: number; high: number };
  private readonly loHi: 'infinity' | 'annunciation';
  private readonly alerts: CgmAlertLevels;
  private readonly withTrend: boolean;
  private readonly withQuality: boolean;
  private readonly calibrationSupported: boolean;
  private readonly generator: { pattern: Pattern; value?: number; seed: number };
  private statusOctets: { status: number; calTemp: number; warning: number };
  private running = true;
  private commInterval: number;
  private readonly alertLevels: AlertLevels;
  private readonly calibrations: CgmCalibrationRecord[] = [];
  private liveTimer: NodeJS.Timeout | null = null;
  private liveCount = 0;
  private lastGlucose: number | null = null;

  constructor(controller: PeripheralHost, opts: CgmSimulatorOptions) {
    // checked before the peripheral goes on the air
    const perNotification = opts.recordsPerNotification ?? 1;
    if (!Number.isInteger(perNotification) || perNotification < 1)
      throw new RangeError(`recordsPerNotification must be an integer >= 1, got ${perNotification}`);
    super(controller, opts, {
      kind: 'cgm',
      defaultName: 'Sim CGM',
      defaultModel: 'GCGM-SIM',
      serviceUuid: CGMS_UUID,
      appearance: 0x0d40,
    });
    this.intervalMinutes = opts.intervalMinutes ?? 1;
    if (this.intervalMinutes !== 1 && this.intervalMinutes !== 5) {
      throw new RangeError(`intervalMinutes must be 1 or 5, got ${String(opts.intervalMinutes)}`);
    }
    this.e2eCrc = opts.e2eCrc ?? true;
    this.speed = opts.speed ?? 1;
    if (!(this.speed > 0) || !Number.isFinite(this.speed))
      throw new RangeError(`speed must be > 0, got ${opts.speed}`);
    this.recordsPerNotification = perNotification;
    this.timeZone = opts.timeZoneMinutes === undefined ? 60 : opts.timeZoneMinutes;
    this.dst = opts.dstOffsetMinutes === undefined ? 0 : opts.dstOffsetMinutes;
    // validates zone and DST once, with the codec's own rules
    encodeCgmSessionStartTime({
      dateTime: { year: 2024, month: 1, day: 1, hours: 0, minutes: 0, seconds: 0 },
      timeZoneMinutes: this.timeZone,
      dstOffsetMinutes: this.dst,
    });
    this.runTimeHours = opts.sessionRunTimeHours ?? 336;
    this.calibrationSupported = opts.calibration ?? true;
    this.withTrend = opts.trend ?? false;
    this.withQuality = opts.quality ?? false;
    this.featureBits =
      ((opts.features ??
        defaultFeatures({
          calibration: this.calibrationSupported,
          crc: this.e2eCrc,
          trend: this.withTrend,
          quality: this.withQuality,
        })) &
        ~CGM_FEATURE_E2E_CRC) |
      (this.e2eCrc ? CGM_FEATURE_E2E_CRC : 0);
    this.sampleType = opts.sampleType ?? 9;
    this.sampleLocation = opts.sampleLocation ?? 5;
    this.range = opts.range ?? { low: 40, high: 400 };
    if (!(this.range.low < this.range.high)) throw new RangeError('range.low must be below range.high');
    this.loHi = opts.loHi ?? 'infinity';
    this.alerts = opts.alerts ?? {};
    this.statusOctets = { status: 0, calTemp: 0, warning: 0, ...opts.status };
    this.commInterval = this.intervalMinutes;
    const levels = { ...DEFAULT_ALERT_LEVELS };
    if (this.alerts.patientLow !== undefined) levels['patient-low'] = this.alerts.patientLow;
    if (this.alerts.patientHigh !== undefined) levels['patient-high'] = this.alerts.patientHigh;
    if (this.alerts.hypo !== undefined) levels.hypo = this.alerts.hypo;
    if (this.alerts.hyper !== undefined) levels.hyper = this.alerts.hyper;
    this.alertLevels = Object.fromEntries(
      CGM_ALERTS.map((a) => [a, sfloatFromNumber(levels[a])]),
    ) as AlertLevels;

    const h = opts.history ?? {};
    this.generator = { pattern: h.pattern ?? 'meals', value: h.value, seed: h.seed ?? 1 };
    const count = h.count ?? (h.days !== undefined ? Math.round((h.days * 1440) / this.intervalMinutes) : 0);
    const first = h.startOffset ?? 0;
    if (!Number.isInteger(count) || count < 0)
      throw new RangeError(`history count must be >= 0, got ${count}`);
    if (first + (count - 1) * this.intervalMinutes > 0xffff) {
      throw new RangeError(`history of ${count} records does not fit the 16-bit time offset`);
    }
    for (let k = 0; k < count; k++) this.store(this.generate(first + k * this.intervalMinutes));
    for (const r of opts.records ?? []) this.addRecord(r);

    this.startUtcMs =
      opts.sessionStart === undefined
        ? Date.now() - this.minutes * 60_000
        : new Date(opts.sessionStart).getTime();
    if (Number.isNaN(this.startUtcMs))
      throw new RangeError(`sessionStart ${String(opts.sessionStart)} is not a date`);
    this.setFaults(opts.faults ?? {});
    if (opts.live ?? true) this.startLive();
  }

  // ---- state ----------------------------------------------------------------------------------

  get records(): readonly StoredCgmRecord[] {
    return this.storage;
  }

  /** Time offset of the latest measurement (the sensor's clock), minutes. */
  get sessionMinutes(): number {
    return this.minutes;
  }

  get sessionStartUtc(): Date {
    return new Date(this.startUtcMs);
  }

  get sessionRunning(): boolean {
    return this.running;
  }

  get communicationIntervalMinutes(): number {
    return this.commInterval;
  }

  get status(): { status: number; calTemp: number; warning: number } {
    return { ...this.statusOctets };
  }

  setStatus(s: CgmAnnunciation): void {
    this.statusOctets = { ...this.statusOctets, ...s };
  }

  protected override checkFaults(f: Faults): void {
    if (f.corruptCrcEvery !== null && !this.e2eCrc) {
      throw new RangeError('fault corruptCrcEvery needs e2eCrc: this CGM sends no CRC');
    }
  }

  // ---- records --------------------------------------------------------------------------------

  /** Stores a record (structured, or raw hex sent byte for byte); returns it. */
  addRecord(spec: CgmRecordSpec | string): StoredCgmRecord {
    return this.store(typeof spec === 'string' ? this.fromHex(spec) : this.fromSpec(spec));
  }

  /** Advances the clock one interval, stores the new record and notifies it when subscribed. */
  tick(): StoredCgmRecord | null {
    if (!this.running) return null;
    const offset = this.storage.length > 0 || this.minutes > 0 ? this.minutes + this.intervalMinutes : 0;
    if (offset > 0xffff) return null;
    const rec = this.store(this.generate(offset));
    if (this.commInterval !== CGM_INTERVAL_DISABLED && this.peripheral.isSubscribed(CGM_MEASUREMENT_UUID)) {
      this.liveCount++;
      const bytes =
        isEveryNth(this.liveCount, this.currentFaults.corruptCrcEvery) && rec.hasCrc
          ? corruptTrailingCrc(rec.bytes)
          : rec.bytes;
      this.peripheral.notify(CGM_MEASUREMENT_UUID, bytes);
    }
    return rec;
  }

  sendMalformedNotification(): boolean {
    return this.peripheral.notify(CGM_MEASUREMENT_UUID, MALFORMED_CGM_MEASUREMENT);
  }

  private store(rec: StoredCgmRecord): StoredCgmRecord {
    // keep time-offset order (given records may come in any order)
    let i = this.storage.length;
    while (i > 0 && this.storage[i - 1].timeOffset > rec.timeOffset) i--;
    this.storage.splice(i, 0, rec);
    this.minutes = Math.max(this.minutes, rec.timeOffset);
    this.emit('record', rec);
    return rec;
  }

  private encode(input: CgmMeasurementRecordInput): StoredCgmRecord {
    const bytes = Buffer.from(encodeCgmMeasurement({ records: [input] }, { crc: this.e2eCrc }));
    return { timeOffset: input.timeOffsetMinutes, bytes, hasCrc: this.e2eCrc };
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
    if (v < this.range.low) {
      const glucose =
        this.loHi === 'infinity' ? ({ kind: '-inf' } as const) : sfloatFromNumber(this.range.low);
      return { glucose, warning: warning | W_BELOW_DEVICE };
    }
    if (v > this.range.high) {
      const glucose =
        this.loHi === 'infinity' ? ({ kind: '+inf' } as const) : sfloatFromNumber(this.range.high);
      return { glucose, warning: warning | W_ABOVE_DEVICE };
    }
    return { glucose: sfloatFromNumber(Math.round(v)), warning };
  }

  private generate(offset: number): StoredCgmRecord {
    const v = patternValue(offset, this.generator);
    let warning = 0;
    const a = this.alerts;
    if (a.patientLow !== undefined && v < a.patientLow) warning |= W_BELOW_PATIENT_LOW;
    if (a.patientHigh !== undefined && v > a.patientHigh) warning |= W_ABOVE_PATIENT_HIGH;
    if (a.hypo !== undefined && v < a.hypo) warning |= W_BELOW_HYPO;
    if (a.hyper !== undefined && v > a.hyper) warning |= W_ABOVE_HYPER;
    const field = this.glucoseField(v, warning);
    const { status, calTemp } = this.statusOctets;
    const annunciation: CgmAnnunciation = {
      ...(status !== 0 ? { status } : {}),
      ...(calTemp !== 0 ? { calTemp } : {}),
      ...(field.warning !== 0 ? { warning: field.warning } : {}),
    };
    const trend =
      this.withTrend && this.lastGlucose !== null
        ? sfloatFromNumber(Math.round(((v - this.lastGlucose) / this.intervalMinutes) * 10) / 10)
        : this.withTrend
          ? sfloatFromNumber(0)
          : undefined;
    this.lastGlucose = v;
    return this.encode({
      glucose: field.glucose,
      timeOffsetMinutes: offset,
      ...(Object.keys(annunciation).length > 0 ? { annunciation } : {}),
      ...(trend ? { trend } : {}),
      ...(this.withQuality ? { quality: sfloatFromNumber(95) } : {}),
    });
  }

  private startLive(): void {
    this.stopLive();
    const periodMs = Math.max(1, (this.intervalMinutes * 60_000) / this.speed);
    this.liveTimer = setInterval(() => this.tick(), periodMs);
    this.liveTimer.unref();
  }

  private stopLive(): void {
    if (this.liveTimer) clearInterval(this.liveTimer);
    this.liveTimer = null;
  }

  protected override onClose(): void {
    this.stopLive();
  }

  // ---- GATT -----------------------------------------------------------------------------------

  private get crcOpts() {
    return { crc: this.e2eCrc };
  }

  protected ownService(): ServiceDefinition {
    return {
      uuid: CGMS_UUID,
      characteristics: [
        { uuid: CGM_MEASUREMENT_UUID, properties: ['notify'] },
        {
          uuid: CGM_FEATURE_UUID,
          properties: ['read'],
          onRead: () =>
            encodeCgmFeature({
              features: this.featureBits,
              sampleType: this.sampleType,
              sampleLocation: this.sampleLocation,
            }),
        },
        {
          uuid: CGM_STATUS_UUID,
          properties: ['read'],
          onRead: () =>
            encodeCgmStatus({ timeOffsetMinutes: this.minutes, ...this.statusOctets }, this.crcOpts),
        },
        {
          uuid: CGM_SESSION_START_TIME_UUID,
          properties: ['read', 'write'],
          onRead: () => this.sessionStartTimeValue(),
          onWrite: (data) => this.writeSessionStartTime(data),
        },
        {
          uuid: CGM_SESSION_RUN_TIME_UUID,
          properties: ['read'],
          onRead: () => encodeCgmSessionRunTime({ runTimeHours: this.runTimeHours }, this.crcOpts),
        },
        {
          uuid: CGM_SOCP_UUID,
          properties: ['write', 'indicate'],
          onWrite: (data) => this.onSocpWrite(data),
        },
      ],
    };
  }

  protected backend(): RacpBackend<StoredCgmRecord> {
    return {
      service: 'cgms',
      measurementUuid: CGM_MEASUREMENT_UUID,
      records: () => this.storage,
      recordNumber: (r) => r.timeOffset,
      deleteRecords: (selected) => {
        const keep = this.storage.filter((r) => !selected.has(r));
        this.storage.splice(0, this.storage.length, ...keep);
      },
      sendRecord: async (r, position) => {
        await this.peripheral.notifyPaced(CGM_MEASUREMENT_UUID, this.transferBytes(r, position));
      },
      packCount: (selected, from, limit) => {
        const room = this.peripheral.mtu - 3;
        const max = Math.min(limit, this.recordsPerNotification, selected.length - from);
        let n = 0;
        for (let bytes = 0; n < max; n++) {
          bytes += selected[from + n].bytes.length;
          if (bytes > room) break;
        }
        return Math.max(1, n);
      },
      sendPacked: async (rs, firstPosition) => {
        const parts = rs.map((r, k) => this.transferBytes(r, firstPosition + k));
        await this.peripheral.notifyPaced(CGM_MEASUREMENT_UUID, Buffer.concat(parts));
      },
      sendMalformed: () => this.sendMalformedNotification(),
      faults: () => this.currentFaults,
      dropLinkFired: () => this.dropLinkFired(),
      paceMs: () => this.transferPaceMs,
    };
  }

  /** A stored record as the transfer sends it at `position` (the corrupt-CRC fault applies per record). */
  private transferBytes(r: StoredCgmRecord, position: number): Buffer {
    return r.hasCrc && isEveryNth(position, this.currentFaults.corruptCrcEvery)
      ? corruptTrailingCrc(r.bytes)
      : r.bytes;
  }

  private sessionStartTimeValue(): Uint8Array {
    const offset = (this.timeZone ?? 0) + (this.dst ?? 0);
    const local = new Date(this.startUtcMs + offset * 60_000);
    return encodeCgmSessionStartTime(
      {
        dateTime: {
          year: local.getUTCFullYear(),
          month: local.getUTCMonth() + 1,
          day: local.getUTCDate(),
          hours: local.getUTCHours(),
          minutes: local.getUTCMinutes(),
          seconds: local.getUTCSeconds(),
        },
        timeZoneMinutes: this.timeZone,
        dstOffsetMinutes: this.dst,
      },
      this.crcOpts,
    );
  }

  /** The collector writes its current local time: the session start moves so that "now" = the latest offset. */
  private writeSessionStartTime(data: Buffer): WriteResult {
    try {
      const v = decodeCgmSessionStartTime(data, this.crcOpts);
      if (v.crc === 'mismatch')
        return this.e2eCrc ? CGM_ATT_INVALID_CRC : AttError.invalidAttributeValueLength;
      const local = dateTimeToEpochMs(v.dateTime);
      if (local === null) return AttError.outOfRange;
      const nowUtc = local - ((v.timeZoneMinutes ?? 0) + (v.dstOffsetMinutes ?? 0)) * 60_000;
      this.startUtcMs = nowUtc - this.minutes * 60_000;
      this.timeZone = v.timeZoneMinutes;
      this.dst = v.dstOffsetMinutes;
      this.statusOctets.calTemp &= ~CALTEMP_TIME_SYNC_REQUIRED;
    } catch (e) {
      if (!(e instanceof CodecError)) throw e;
      if (e.code === 'ERR_CRC_MISSING') return CGM_ATT_MISSING_CRC;
      if (e.code === 'ERR_OUT_OF_RANGE' || e.code === 'ERR_RESERVED_VALUE') return AttError.outOfRange;
      return AttError.invalidAttributeValueLength;
    }
  }

  // ---- SOCP -----------------------------------------------------------------------------------

  get socpLog(): readonly RequestLogEntry[] {
    return this.socpRequests;
  }

  override clearLogs(): void {
    super.clearLogs();
    this.socpRequests.length = 0;
  }

  private onSocpWrite(data: Buffer): WriteResult {
    const entry = logEntry(data);
    this.socpRequests.push(entry);
    this.emit('socp', entry);
    if (!this.peripheral.subscription(CGM_SOCP_UUID).indicate) return AttError.cccdImproperlyConfigured;
    const op = data.length > 0 ? data[0] : 0;
    let answer: CgmSocpMessage;
    try {
      const m = decodeCgmSocp(data, this.crcOpts);
      // without E2E-CRC two trailing octets are not a CRC but a wrong operand
      if (m.crc === 'mismatch' && this.e2eCrc) return CGM_ATT_INVALID_CRC;
      answer = m.crc === 'mismatch' ? this.socpResponse(op, 'invalid-operand') : this.socp(m);
    } catch (e) {
      if (!(e instanceof CodecError)) throw e;
      if (e.code === 'ERR_CRC_MISSING') return CGM_ATT_MISSING_CRC;
      answer = this.socpResponse(
        op,
        e.code === 'ERR_UNKNOWN_OPCODE' ? 'op-code-not-supported' : 'invalid-operand',
      );
    }
    const bytes = encodeCgmSocp(answer, this.crcOpts);
    setImmediate(() => void this.peripheral.indicate(CGM_SOCP_UUID, bytes).catch(() => undefined));
  }

  private socpResponse(requestOpCode: number, response: CgmSocpResponseCodeName): CgmSocpMessage {
    return { opCode: 'response-code', requestOpCode, response };
  }

  private socp(m: CgmSocpMessage): CgmSocpMessage {
    const op = CGM_SOCP_OP_CODES[m.opCode];
    const ok = this.socpResponse(op, 'success');
    switch (m.opCode) {
      case 'set-communication-interval':
        this.commInterval = m.intervalMinutes === CGM_INTERVAL_FASTEST ? 1 : m.intervalMinutes;
        return ok;
      case 'get-communication-interval':
        return { opCode: 'communication-interval-response', intervalMinutes: this.commInterval };
      case 'set-calibration-value': {
        if (!this.calibrationSupported) return this.socpResponse(op, 'op-code-not-supported');
        if (m.calibration.glucose.kind !== 'number') return this.socpResponse(op, 'parameter-out-of-range');
        this.calibrations.push({ ...m.calibration, recordNumber: this.calibrations.length + 1, status: 0 });
        return ok;
      }
      case 'get-calibration-value': {
        if (!this.calibrationSupported) return this.socpResponse(op, 'op-code-not-supported');
        const n = m.recordNumber === CGM_CALIBRATION_LAST ? this.calibrations.length : m.recordNumber;
        const c = this.calibrations[n - 1];
        return c
          ? { opCode: 'calibration-value-response', calibration: c }
          : this.socpResponse(op, 'parameter-out-of-range');
      }
      case 'reset-device-specific-alert':
        this.statusOctets.status &= ~0x10;
        return ok;
      case 'start-session':
        if (this.running) return this.socpResponse(op, 'procedure-not-completed');
        this.storage.length = 0;
        this.minutes = 0;
        this.startUtcMs = Date.now();
        this.running = true;
        this.statusOctets.status &= ~STATUS_SESSION_STOPPED;
        return ok;
      case 'stop-session':
        this.running = false;
        this.statusOctets.status |= STATUS_SESSION_STOPPED;
        return ok;
      case 'communication-interval-response':
      case 'calibration-value-response':
      case 'response-code':
        return this.socpResponse(op, 'op-code-not-supported');
    }
    // alert levels
    const name = m.opCode.replace(/^(set|get)-/, '').replace(/-alert-level(-response)?$/, '') as CgmAlertName;
    if (m.opCode.endsWith('-response')) return this.socpResponse(op, 'op-code-not-supported');
    if (m.opCode.startsWith('set-') && 'level' in m) {
      if (m.level.kind !== 'number') return this.socpResponse(op, 'parameter-out-of-range');
      this.alertLevels[name] = m.level;
      return ok;
    }
    return { opCode: `${name}-alert-level-response`, level: this.alertLevels[name] };
  }
}
