// What simulated glucose meters do beyond the Glucose Profile, so each vendor quirk in drivers/ble/quirks.ts has a
// meter to be tested against: a clock in the Current Time Service, in Roche's Date Time characteristic or behind
// the i-SENS vendor characteristic (possibly wrong, and settable); RACP requests that go unanswered when they come
// too early (Roche) or on a link without a bond; records numbered backwards from the newest (TaiDoc).
import { dateTimeToEpochMs, type DateTime } from '../../drivers/codecs/date-time.ts';
import { decodeGlucoseContext, encodeGlucoseContext } from '../../drivers/codecs/glucose-context.ts';
import {
  decodeGlucoseMeasurement,
  encodeGlucoseMeasurement,
} from '../../drivers/codecs/glucose-measurement.ts';
import {
  decodeCurrentTime,
  decodeDateTime,
  decodeIsensTime,
  encodeCurrentTime,
  encodeDateTime,
  encodeIsensTime,
} from '../../drivers/ble/clock-values.ts';
import { AttError, type CharacteristicDefinition, type ServiceDefinition } from '../hci/index.ts';
import { wallClock, type MeterClockOptions, type StoredGlucoseRecord } from './glucose-meter-options.ts';

export const CURRENT_TIME_SERVICE_UUID = '1805';
export const CURRENT_TIME_UUID = '2a2b';
export const DATE_TIME_UUID = '2a08';
export const ISENS_SERVICE_UUID = 'fff0';
export const ISENS_TIME_UUID = 'fff1';

/** The meter's clock: the true wall time plus an error, which a central's write corrects. */
export class MeterClockSim {
  readonly service: MeterClockOptions['service'];
  readonly writable: boolean;
  private readonly utcOffsetMinutes: number;
  errorMs: number;
  /** every time a central set the clock, as it wrote it */
  readonly writes: DateTime[] = [];

  constructor(opts: MeterClockOptions | undefined, utcOffsetMinutes: number) {
    this.service = opts?.service ?? 'none';
    this.writable = opts?.writable ?? true;
    this.errorMs = (opts?.errorSeconds ?? 0) * 1000;
    this.utcOffsetMinutes = utcOffsetMinutes;
  }

  /** The meter's wall clock now. */
  wall(): DateTime {
    return wallClock(Date.now() + this.errorMs, this.utcOffsetMinutes);
  }

  set(dt: DateTime): void {
    const target = dateTimeToEpochMs(dt);
    if (target === null) return;
    this.writes.push(dt);
    this.errorMs = target - (Date.now() + this.utcOffsetMinutes * 60_000);
  }

  /** A write of the clock characteristic: sets the clock, or the ATT error a meter answers with. */
  write(decode: (b: Buffer) => DateTime, data: Buffer): number | void {
    if (!this.writable) return AttError.writeNotPermitted;
    try {
      this.set(decode(data));
    } catch {
      return AttError.invalidPdu;
    }
  }
}

/**
 * The clock's GATT parts. Built before the simulator's fields exist (in its super() call), so the handlers reach
 * the clock through `clock()`, called only when the central reads or writes.
 */
export function clockCharacteristics(
  service: MeterClockOptions['service'] | undefined,
  clock: () => MeterClockSim,
): CharacteristicDefinition[] {
  if (service !== 'date-time') return [];
  return [
    {
      uuid: DATE_TIME_UUID,
      properties: ['read', 'write'],
      onRead: () => encodeDateTime(clock().wall()),
      onWrite: (data) => clock().write(decodeDateTime, data),
    },
  ];
}

/** The Current Time Service, or the i-SENS vendor service (which answers through `notify`). */
export function clockServices(
  service: MeterClockOptions['service'] | undefined,
  clock: () => MeterClockSim,
  notify: (uuid: string, bytes: Uint8Array) => void,
): ServiceDefinition[] {
  if (service === 'current-time') {
    const char: CharacteristicDefinition = {
      uuid: CURRENT_TIME_UUID,
      properties: ['read', 'write'],
      onRead: () => encodeCurrentTime(clock().wall()),
      onWrite: (data) => clock().write((b) => decodeCurrentTime(b).dateTime, data),
    };
    return [{ uuid: CURRENT_TIME_SERVICE_UUID, characteristics: [char] }];
  }
  if (service !== 'isens') return [];
  const onWrite = (data: Buffer) => {
    const zeroDate = data.length === 11 && data.subarray(4).every((b) => b === 0);
    if (!zeroDate) {
      const refused = clock().write(decodeIsensTime, data);
      if (refused !== undefined) return refused;
    }
    // the meter answers a request (and echoes a set) with its time, after the write response
    setImmediate(() => notify(ISENS_TIME_UUID, encodeIsensTime(clock().wall())));
  };
  return [
    {
      uuid: ISENS_SERVICE_UUID,
      characteristics: [{ uuid: ISENS_TIME_UUID, properties: ['write', 'notify'], onWrite }],
    },
  ];
}

/** Decides which RACP requests a quirky meter leaves unanswered. */
export class RacpGate {
  private readonly settleMs: number;
  private readonly bondRequired: boolean;
  bonded = false;
  private lastAt = 0;

  constructor(o: { settleMs?: number; bond?: 'none' | 'required' }) {
    this.settleMs = o.settleMs ?? 0;
    this.bondRequired = o.bond === 'required';
  }

  /** The link came up. */
  linkUp(): void {
    this.lastAt = Date.now();
  }

  /** True: the request is dropped (no response will come). */
  drops(): boolean {
    if (this.bondRequired && !this.bonded) return true;
    const early = this.settleMs > 0 && Date.now() - this.lastAt < this.settleMs;
    this.lastAt = Date.now();
    return early;
  }
}

/** A record as a meter that numbers backwards sends it: measurement and context with sequence `seq`. */
export function renumbered(rec: StoredGlucoseRecord, seq: number): { measurement: Buffer; context?: Buffer } {
  const measurement = Buffer.from(
    encodeGlucoseMeasurement({ ...decodeGlucoseMeasurement(rec.measurement), sequenceNumber: seq }),
  );
  if (!rec.context) return { measurement };
  const context = Buffer.from(
    encodeGlucoseContext({ ...decodeGlucoseContext(rec.context), sequenceNumber: seq }),
  );
  return { measurement, context };
}
