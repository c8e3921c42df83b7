// A simulated glucose meter: GLS 0x1808 (spec B) with sequence-numbered records, Base Time + Time
// Offset, kg/L or mol/L, Glucose Measurement Context records, RACP, and measurements added at runtime.
import { dateTimeToEpochMs, type DateTime } from '../../drivers/codecs/date-time.ts';
import { encodeGlucoseContext, type GlucoseContext } from '../../drivers/codecs/glucose-context.ts';
import { encodeGlucoseFeature } from '../../drivers/codecs/glucose-feature.ts';
import {
  decodeGlucoseMeasurement,
  encodeGlucoseMeasurement,
  type GlucoseConcentrationUnit,
} from '../../drivers/codecs/glucose-measurement.ts';
import { parseHex } from '../../drivers/codecs/hex.ts';
import { sfloatFromParts, type Sfloat } from '../../drivers/codecs/sfloat.ts';
import type { PeripheralHost, ServiceDefinition } from '../hci/index.ts';
import type { Faults } from './faults.ts';
import { patternValue, type Pattern } from './patterns.ts';
import type { RacpBackend } from './racp-server.ts';
import { SimulatedSensor, type SensorOptions } from './simulated-sensor.ts';
import { MGDL_PER_MMOLL } from '../../gateway/hddt/codes.ts';

export const GLS_UUID = '1808';
export const GLUCOSE_MEASUREMENT_UUID = '2a18';
export const GLUCOSE_CONTEXT_UUID = '2a34';
export const GLUCOSE_FEATURE_UUID = '2a51';

/** Flags announce a time offset that is missing (spec B.6 G2). */
export const MALFORMED_GLUCOSE_MEASUREMENT = Buffer.from('1b0000e207041a0b091e1e00120501', 'hex');

const STATUS_RESULT_TOO_HIGH = 0x0020;
const STATUS_RESULT_TOO_LOW = 0x0040;

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
}

export interface StoredGlucoseRecord {
  readonly sequence: number;
  /** user facing time (Base Time + Time Offset) as epoch ms of the wall clock read as UTC */
  readonly uft: number;
  readonly measurement: Buffer;
  readonly context?: Buffer;
}

function wallClock(utcMs: number, offsetMinutes: number): DateTime {
  const t = new Date(utcMs + offsetMinutes * 60_000);
  return {
    year: t.getUTCFullYear(),
    month: t.getUTCMonth() + 1,
    day: t.getUTCDate(),
    hours: t.getUTCHours(),
    minutes: t.getUTCMinutes(),
    seconds: t.getUTCSeconds(),
  };
}

function instant(v: Date | string | undefined, what: string): number {
  const ms = v === undefined ? Date.now() : new Date(v).getTime();
  if (Number.isNaN(ms)) throw new RangeError(`${what} ${String(v)} is not a date`);
  return ms;
}

export class GlucoseMeterSimulator extends SimulatedSensor<StoredGlucoseRecord> {
  readonly unit: GlucoseConcentrationUnit;
  private readonly storage: StoredGlucoseRecord[] = [];
  private next: number;
  private readonly utcOffset: number;
  private readonly timeOffset: number;
  private readonly sampleType: number;
  private readonly sampleLocation: number;
  private readonly featureBits: number;
  private readonly range: { low: number; high: number };

  constructor(controller: PeripheralHost, opts: GlucoseMeterOptions) {
    super(controller, opts, {
      kind: 'glucose',
      defaultName: 'Sim Meter',
      defaultModel: 'GBGM-SIM',
      serviceUuid: GLS_UUID,
      appearance: 0x0c40,
    });
    this.unit = opts.unit ?? 'kg/L';
    if (this.unit !== 'kg/L' && this.unit !== 'mol/L') throw new RangeError(`unit must be kg/L or mol/L`);
    this.next = opts.firstSequence ?? 1;
    this.utcOffset = opts.utcOffsetMinutes ?? 60;
    this.timeOffset = opts.timeOffsetMinutes ?? 0;
    this.sampleType = opts.sampleType ?? 1;
    this.sampleLocation = opts.sampleLocation ?? 1;
    this.featureBits = opts.features ?? 0x0107;
    this.range = opts.range ?? { low: 20, high: 600 };

    const h = opts.history ?? {};
    const count = h.count ?? 0;
    const spacing = h.spacingMinutes ?? 240;
    const end = instant(h.end, 'history.end');
    const every = h.contextEvery ?? 0;
    for (let k = 0; k < count; k++) {
      const utc = end - (count - 1 - k) * spacing * 60_000;
      const mgdl = patternValue(Math.floor(utc / 60_000), {
        pattern: h.pattern,
        value: h.value,
        seed: h.seed ?? 2,
      });
      const glucose: GlucoseRecordSpec['glucose'] =
        mgdl < this.range.low
          ? 'LO'
          : mgdl > this.range.high
            ? 'HI'
            : this.unit === 'kg/L'
              ? mgdl
              : Math.round((mgdl / MGDL_PER_MMOLL) * 10) / 10;
      const nth = k + 1;
      const context: GlucoseContextSpec | undefined =
        every > 0 && nth % every === 0
          ? {
              meal: ((nth / every - 1) % 5) + 1,
              tester: 1,
              health: 5,
              ...(nth % (every * 2) === 0
                ? { carbohydrate: { id: ((nth / every) % 3) + 1, grams: 60 } }
                : {}),
            }
          : undefined;
      this.store(this.fromSpec({ time: new Date(utc), glucose, ...(context ? { context } : {}) }));
    }
    for (const r of opts.records ?? []) this.store(this.build(r));
    this.setFaults(opts.faults ?? {});
  }

  get records(): readonly StoredGlucoseRecord[] {
    return this.storage;
  }

  /** The sequence number the next measurement gets. */
  get nextSequence(): number {
    return this.next;
  }

  protected override checkFaults(f: Faults): void {
    if (f.corruptCrcEvery !== null)
      throw new RangeError('fault corruptCrcEvery: GLS records carry no E2E-CRC');
  }

  /** Stores a measurement and notifies it (then its context) when the central is subscribed. */
  addMeasurement(spec: GlucoseRecordSpec | GlucoseRawRecord | string): StoredGlucoseRecord {
    const rec = this.store(this.build(spec));
    if (this.peripheral.notify(GLUCOSE_MEASUREMENT_UUID, rec.measurement) && rec.context) {
      this.peripheral.notify(GLUCOSE_CONTEXT_UUID, rec.context);
    }
    return rec;
  }

  sendMalformedNotification(): boolean {
    return this.peripheral.notify(GLUCOSE_MEASUREMENT_UUID, MALFORMED_GLUCOSE_MEASUREMENT);
  }

  private build(spec: GlucoseRecordSpec | GlucoseRawRecord | string): StoredGlucoseRecord {
    if (typeof spec === 'string') return this.fromRaw({ measurement: spec });
    if ('measurement' in spec) return this.fromRaw(spec);
    return this.fromSpec(spec);
  }

  private store(rec: StoredGlucoseRecord): StoredGlucoseRecord {
    let i = this.storage.length;
    while (i > 0 && this.storage[i - 1].sequence > rec.sequence) i--;
    this.storage.splice(i, 0, rec);
    this.next = Math.max(this.next, rec.sequence + 1);
    this.emit('record', rec);
    return rec;
  }

  private fromRaw(raw: GlucoseRawRecord): StoredGlucoseRecord {
    const measurement = Buffer.from(parseHex(raw.measurement));
    const m = decodeGlucoseMeasurement(measurement);
    const uft = dateTimeToEpochMs(m.baseTime);
    return {
      sequence: m.sequenceNumber,
      uft: uft === null ? NaN : uft + (m.timeOffsetMinutes ?? 0) * 60_000,
      measurement,
      ...(raw.context !== undefined ? { context: Buffer.from(parseHex(raw.context)) } : {}),
    };
  }

  private concentration(g: GlucoseRecordSpec['glucose']): { value: Sfloat; status: number } {
    if (g === 'LO') return { value: { kind: '-inf' }, status: STATUS_RESULT_TOO_LOW };
    if (g === 'HI') return { value: { kind: '+inf' }, status: STATUS_RESULT_TOO_HIGH };
    if (!Number.isFinite(g) || g < 0) throw new RangeError(`glucose ${g} is not a concentration`);
    // kg/L: mg/dL × 10⁻⁵ (whole mg/dL); mol/L: mmol/L × 10⁻³ (0.1 mmol/L steps)
    return this.unit === 'kg/L'
      ? { value: sfloatFromParts(Math.round(g), -5), status: 0 }
      : { value: sfloatFromParts(Math.round(g * 10), -4), status: 0 };
  }

  private fromSpec(spec: GlucoseRecordSpec): StoredGlucoseRecord {
    const sequence = spec.sequence ?? this.next;
    if (!Number.isInteger(sequence) || sequence < 0 || sequence > 0xffff) {
      throw new RangeError(`sequence ${sequence} is not a uint16`);
    }
    const utc = instant(spec.time, 'time');
    const baseTime = wallClock(utc, this.utcOffset - this.timeOffset);
    const { value, status } = this.concentration(spec.glucose);
    const sensorStatus = (spec.sensorStatus ?? 0) | status;
    const c = spec.context;
    const measurement = Buffer.from(
      encodeGlucoseMeasurement({
        sequenceNumber: sequence,
        baseTime,
        timeOffsetMinutes: this.timeOffset,
        unit: this.unit,
        concentration: { value, sampleType: this.sampleType, sampleLocation: this.sampleLocation },
        ...(sensorStatus !== 0 || spec.sensorStatus !== undefined ? { sensorStatus } : {}),
        contextFollows: c !== undefined,
      }),
    );
    let context: Buffer | undefined;
    if (c) {
      const ctx: GlucoseContext = {
        sequenceNumber: sequence,
        ...(c.carbohydrate
          ? {
              carbohydrate: {
                id: c.carbohydrate.id,
                amount: sfloatFromParts(Math.round(c.carbohydrate.grams), -3),
              },
            }
          : {}),
        ...(c.meal !== undefined ? { meal: c.meal } : {}),
        ...(c.tester !== undefined || c.health !== undefined
          ? { testerHealth: { tester: c.tester ?? 15, health: c.health ?? 15 } }
          : {}),
      };
      context = Buffer.from(encodeGlucoseContext(ctx));
    }
    const uft = (dateTimeToEpochMs(baseTime) as number) + this.timeOffset * 60_000;
    return { sequence, uft, measurement, ...(context ? { context } : {}) };
  }

  protected ownService(): ServiceDefinition {
    return {
      uuid: GLS_UUID,
      characteristics: [
        { uuid: GLUCOSE_MEASUREMENT_UUID, properties: ['notify'] },
        { uuid: GLUCOSE_CONTEXT_UUID, properties: ['notify'] },
        {
          uuid: GLUCOSE_FEATURE_UUID,
          properties: ['read'],
          onRead: () => encodeGlucoseFeature({ features: this.featureBits }),
        },
      ],
    };
  }

  protected backend(): RacpBackend<StoredGlucoseRecord> {
    return {
      service: 'gls',
      measurementUuid: GLUCOSE_MEASUREMENT_UUID,
      records: () => this.storage,
      recordNumber: (r) => r.sequence,
      userFacingTime: (r) => r.uft,
      deleteRecords: (selected) => {
        const keep = this.storage.filter((r) => !selected.has(r));
        this.storage.splice(0, this.storage.length, ...keep);
      },
      sendRecord: async (r) => {
        await this.peripheral.notifyPaced(GLUCOSE_MEASUREMENT_UUID, r.measurement);
        if (r.context) this.peripheral.notify(GLUCOSE_CONTEXT_UUID, r.context);
      },
      sendMalformed: () => this.sendMalformedNotification(),
      faults: () => this.currentFaults,
      dropLinkFired: () => this.dropLinkFired(),
      paceMs: () => this.transferPaceMs,
    };
  }
}
