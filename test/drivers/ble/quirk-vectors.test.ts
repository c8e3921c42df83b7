// Byte vectors of the quirks' wire formats (drivers/ble/clock-values.ts, the ketone record) and round trips.
// Sources: Current Time / Date Time layouts: Bluetooth GATT Specification Supplement ("Current Time", "Date Time");
// the i-SENS time frame: Tidepool uploader lib/drivers/bluetoothLE/bluetoothLEDriver.js getConfigInfo (struct
// 'bbbbsbbbbb' = C0 03 01 00, year uint16, month, day, hours, minutes, seconds) and xDrip+
// glucosemeter/caresens/TimeTx.java; the ketone record: Glucose Measurement + Context (Bluetooth GLS 1.0 §3.106 /
// §3.107 layout, as in test/drivers/codecs/glucose-*.test.ts), meal = 6 and value / 10 per Tidepool processData.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  decodeCurrentTime,
  decodeDateTime,
  decodeIsensTime,
  encodeCurrentTime,
  encodeDateTime,
  encodeIsensTime,
} from '../../../drivers/ble/clock-values.ts';
import { glucoseToReading } from '../../../drivers/ble/glucose-records.ts';
import { CodecError } from '../../../drivers/codecs/codec-error.ts';
import { decodeGlucoseContext } from '../../../drivers/codecs/glucose-context.ts';
import { decodeGlucoseMeasurement } from '../../../drivers/codecs/glucose-measurement.ts';
import type { DateTime } from '../../../drivers/codecs/date-time.ts';

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
const SAT_1_MARCH_2025_13H: DateTime = { year: 2025, month: 3, day: 1, hours: 13, minutes: 0, seconds: 0 };

test('Current Time 0x2A2B: 2025-03-01 13:00:00, Saturday (6), fractions 0, adjust reason manual', () => {
  assert.equal(hex(encodeCurrentTime(SAT_1_MARCH_2025_13H)), 'e90703010d0000060001');
  const ct = decodeCurrentTime(Buffer.from('e90703010d000006000c', 'hex'));
  assert.deepEqual(ct, { dateTime: SAT_1_MARCH_2025_13H, dayOfWeek: 6, fractions256: 0, adjustReason: 0x0c });
  assert.throws(
    () => decodeCurrentTime(Buffer.from('e9070d010d0000060000', 'hex')),
    (e: unknown) => e instanceof CodecError && /month 13/.test(e.message),
  );
  assert.throws(() => decodeCurrentTime(Buffer.from('e90703010d00000900', 'hex')), /day of week 9/);
  assert.throws(() => decodeCurrentTime(Buffer.from('e907', 'hex')), CodecError);
});

test('Date Time 0x2A08 (Roche): the 7 octets', () => {
  assert.equal(hex(encodeDateTime(SAT_1_MARCH_2025_13H)), 'e90703010d0000');
  assert.deepEqual(decodeDateTime(Buffer.from('e90703010d0000', 'hex')), SAT_1_MARCH_2025_13H);
});

test('i-SENS time frame: request (zero date), set, and the answer', () => {
  assert.equal(hex(encodeIsensTime(null)), 'c003010000000000000000');
  assert.equal(hex(encodeIsensTime(SAT_1_MARCH_2025_13H)), 'c0030100e90703010d0000');
  assert.deepEqual(decodeIsensTime(Buffer.from('c0030100e90703010d0000', 'hex')), SAT_1_MARCH_2025_13H);
  assert.throws(
    () => decodeIsensTime(Buffer.from('c1030100e90703010d0000', 'hex')),
    (e: unknown) => e instanceof CodecError && /header byte c1 is not c0/.test(e.message),
  );
});

const dateTimes = fc.record({
  year: fc.integer({ min: 1582, max: 9999 }),
  month: fc.integer({ min: 1, max: 12 }),
  day: fc.integer({ min: 1, max: 28 }),
  hours: fc.integer({ min: 0, max: 23 }),
  minutes: fc.integer({ min: 0, max: 59 }),
  seconds: fc.integer({ min: 0, max: 59 }),
});

test('round trips, and any bytes decode or give a CodecError', () => {
  fc.assert(
    fc.property(dateTimes, (generated) => {
      const dt = { ...generated };
      assert.deepEqual(decodeCurrentTime(encodeCurrentTime(dt)).dateTime, dt);
      assert.deepEqual(decodeDateTime(encodeDateTime(dt)), dt);
      assert.deepEqual(decodeIsensTime(encodeIsensTime(dt)), dt);
    }),
  );
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 14 }), (b) => {
      for (const decode of [decodeCurrentTime, decodeDateTime, decodeIsensTime]) {
        try {
          decode(b);
        } catch (e) {
          assert.ok(e instanceof CodecError, String(e));
        }
      }
    }),
  );
});

// flags 0x12 (concentration + type/location, context follows; kg/L), sequence 2, 2026-01-10 08:05:00,
// SFLOAT 12 × 10⁻⁵ kg/L (0xB00C), capillary whole blood / finger (0x11); context: flags 0x02 (meal), seq 2, meal 6
const KETONE_MEASUREMENT = '120200ea07010a0805000cb011';
const KETONE_CONTEXT = '02020006';

test('a ketone record (context meal 6): 1.2 mmol/L, analyte ketone, never a glucose value', () => {
  const m = decodeGlucoseMeasurement(Buffer.from(KETONE_MEASUREMENT, 'hex'));
  assert.equal(m.contextFollows, true);
  assert.equal(decodeGlucoseContext(Buffer.from(KETONE_CONTEXT, 'hex')).meal, 6);
  const ctx = {
    device: { key: 'ble:c0:aa:bb:cc:05:05', transport: 'ble' as const, kind: 'bgm' as const },
    timeZone: 'Europe/Berlin',
    clockOffsetMs: 0,
    receivedAt: '2026-01-10T08:00:00.000Z',
  };
  const out = glucoseToReading(
    m,
    { measurement: KETONE_MEASUREMENT, context: KETONE_CONTEXT },
    { ...ctx, ketone: true },
  );
  assert.ok('reading' in out);
  assert.equal(out.reading.analyte, 'ketone');
  assert.equal(out.reading.value, 1.2);
  assert.equal(out.reading.unit, 'mmol/L');
  assert.equal(out.reading.raw, `${KETONE_MEASUREMENT}/${KETONE_CONTEXT}`);
  const glucose = glucoseToReading(m, { measurement: KETONE_MEASUREMENT }, ctx);
  assert.ok('reading' in glucose);
  assert.equal(glucose.reading.analyte, undefined);
  assert.equal(glucose.reading.value, 12, 'the same bytes without the context read as 12 mg/dL');
});
