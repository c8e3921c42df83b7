// A simulated glucose meter: GLS 0x1808 (spec B) with sequence-numbered records, Base Time + Time
// Offset, kg/L or mol/L, Glucose Measurement Context records, RACP, and measurements added at runtime.
import { dateTimeToEpochMs } from '../../drivers/codecs/date-time.ts';
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
import { patternValue } from './patterns.ts';
import type { RacpBackend } from './racp-server.ts';
import {
  clockCharacteristics,
  clockServices,
  MeterClockSim,
  RacpGate,
  renumbered,
} from './meter-behaviours.ts';
import { SimulatedSensor } from './simulated-sensor.ts';
import {
  instant,
  wallClock,
  type GlucoseContextSpec,
  type GlucoseHistoryOptions,
  type GlucoseMeterOptions,
  type GlucoseRawRecord,
  type GlucoseRecordSpec,
  type StoredGlucoseRecord,
} from './glucose-meter-options.ts';
import { MGDL_PER_MMOLL } from '../../gateway/hddt/codes.ts';

export const GLS_UUID = '1808';
export const GLUCOSE_MEASUREMENT_UUID = '2a18';
export const GLUCOSE_CONTEXT_UUID = '2a34';
export const GLUCOSE_FEATURE_UUID = '2a51';

/** Flags announce a time offset that is missing (spec B.6 G2). */
export const MALFORMED_GLUCOSE_MEASUREMENT = Buffer.from('1b0000e207041a0b091e1e00120501', 'hex');

const STATUS_RESULT_TOO_HIGH = 0x0020;
const STATUS_RESULT_TOO_LOW = 0x0040;

export type {
  GlucoseContextSpec,
  GlucoseRecordSpec,
  GlucoseRawRecord,
  GlucoseHistoryOptions,
  GlucoseMeterOptions,
  StoredGlucoseRecord,
} from './glucose-meter-options.ts';

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
  private readonly firstSequence: number;
  private readonly afterReset: GlucoseHistoryOptions;
  private links = 0;
  /** The meter's clock (meter-behaviours.ts); set in the constructor, used by handlers built before it. */
  private clockSim!: MeterClockSim;
  private gate!: RacpGate;
  private reversed = false;

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
    this.firstSequence = opts.firstSequence ?? 1;
    this.next = this.firstSequence;
    this.afterReset = opts.afterReset ?? {};
    this.utcOffset = opts.utcOffsetMinutes ?? 60;
    this.timeOffset = opts.timeOffsetMinutes ?? 0;
    this.sampleType = opts.sampleType ?? 1;
    this.sampleLocation = opts.sampleLocation ?? 1;
    this.featureBits = opts.features ?? 0x0107;
    this.range = opts.range ?? { low: 20, high: 600 };
    this.clockSim = new MeterClockSim(opts.clock, this.utcOffset);
    this.gate = new RacpGate({
      ...(opts.racpSettleMs !== undefined ? { settleMs: opts.racpSettleMs } : {}),
      ...(opts.bond ? { bond: opts.bond } : {}),
    });
    this.reversed = opts.sequenceOrder === 'reversed';
    this.peripheral.on('connect', () => this.gate.linkUp());

    this.generate(opts.history ?? {});
    for (const r of opts.records ?? []) this.store(this.build(r));
    this.setFaults(opts.faults ?? {});
    // a battery change between two visits: after the Nth link ends, the memory is empty and numbering starts over
    this.peripheral.on('disconnect', () => {
      this.links++;
      if (this.currentFaults.resetSequenceAfterLinks === this.links) this.resetSequence(this.afterReset);
    });
  }

  /** The meter's clock: how wrong it is, and what a central wrote to it. */
  get clock(): MeterClockSim {
    return this.clockSim;
  }

  /** A bond exists (bond: "required" meters answer RACP only then); stands in for BlueZ pairing. */
  get bonded(): boolean {
    return this.gate.bonded;
  }

  set bonded(v: boolean) {
    this.gate.bonded = v;
  }

  protected override racpDrops(): boolean {
    return this.gate.drops();
  }

  protected override extraServices(opts: GlucoseMeterOptions): ServiceDefinition[] {
    return clockServices(
      opts.clock?.service,
      () => this.clockSim,
      (uuid, bytes) => this.peripheral.notify(uuid, bytes),
    );
  }

  /** What goes on the air: a meter that numbers backwards gives the newest record 0. */
  private wire(r: StoredGlucoseRecord): { measurement: Buffer; context?: Buffer } {
    if (!this.reversed) return r;
    return renumbered(r, this.storage.length - 1 - this.storage.indexOf(r));
  }

  /**
   * Fault "reset the sequence": the record memory is cleared and numbering starts again at firstSequence, as after
   * a battery change or factory reset; `history` are the records measured since (ending now).
   */
  resetSequence(history: GlucoseHistoryOptions = {}): void {
    this.storage.length = 0;
    this.next = this.firstSequence;
    this.generate({ end: new Date(), ...history });
  }

  private generate(h: GlucoseHistoryOptions): void {
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
    const w = this.wire(rec);
    if (this.peripheral.notify(GLUCOSE_MEASUREMENT_UUID, w.measurement) && w.context) {
      this.peripheral.notify(GLUCOSE_CONTEXT_UUID, w.context);
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
    // the meter stamps a record with its own (possibly wrong) clock
    const baseTime = wallClock(utc + this.clockSim.errorMs, this.utcOffset - this.timeOffset);
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

  protected ownService(opts: GlucoseMeterOptions): ServiceDefinition {
    return {
      uuid: GLS_UUID,
      characteristics: [
        ...clockCharacteristics(opts.clock?.service, () => this.clockSim),
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
        const w = this.wire(r);
        await this.peripheral.notifyPaced(GLUCOSE_MEASUREMENT_UUID, w.measurement);
        if (w.context) this.peripheral.notify(GLUCOSE_CONTEXT_UUID, w.context);
      },
      sendMalformed: () => this.sendMalformedNotification(),
      faults: () => this.currentFaults,
      dropLinkFired: () => this.dropLinkFired(),
      paceMs: () => this.transferPaceMs,
    };
  }
}
