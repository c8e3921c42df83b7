// The pure "process" steps of the BLE drivers: CGM notifications and glucose measurements → Readings or
// refusals. Byte vectors from the spec, plus fuzzing: any bytes give an outcome, never an exception.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { encodeCgmMeasurement } from '../../../drivers/codecs/cgm-measurement.ts';
import { decodeGlucoseMeasurement } from '../../../drivers/codecs/glucose-measurement.ts';
import { sfloatFromParts } from '../../../drivers/codecs/sfloat.ts';
import { cgmNotificationToReadings, type CgmRecordContext } from '../../../drivers/ble/cgm-records.ts';
import { glucoseToReading } from '../../../drivers/ble/glucose-records.ts';
import { validateReading } from '../../../gateway/readings/validate.ts';

const hex = (s: string) => Buffer.from(s.replace(/\s/g, ''), 'hex');
const start = '2025-03-01T07:00:00.000Z';

function ctx(crc: boolean): CgmRecordContext {
  return {
    device: { key: 'ble:c0:11:22:33:44:55', transport: 'ble', kind: 'cgm' },
    session: { startedAt: start, intervalSeconds: 60 },
    sessionStartMs: Date.parse(start),
    crc,
    annunciationOrder: 'status-first',
    specimen: 'isf',
    limits: { lower: 40, upper: 400 },
    clockOffsetMs: 0,
    receivedAt: '2025-03-02T00:00:00.000Z',
  };
}

test('CGM: two records in one notification (spec C3) become two valid readings', () => {
  const out = cgmNotificationToReadings(hex('06 00 0C 10 05 00 06 00 0C 10 06 00'), ctx(false));
  assert.deepEqual(out.refused, []);
  assert.deepEqual(
    out.readings.map((r) => [r.identity, r.value, r.effectiveAt, r.raw]),
    [
      [`cgm:${start}:5`, 120, '2025-03-01T07:05:00.000Z', '06000c100500'],
      [`cgm:${start}:6`, 120, '2025-03-01T07:06:00.000Z', '06000c100600'],
    ],
  );
  for (const r of out.readings) assert.equal(validateReading(r), null);
});

test('CGM: a wrong E2E-CRC (spec C4) refuses that record only; the corrected one passes', () => {
  const bad = cgmNotificationToReadings(hex('08 00 0C 10 06 00 58 6F'), ctx(true));
  assert.equal(bad.readings.length, 0);
  assert.deepEqual(
    bad.refused.map((r) => [r.reason, r.raw, r.recordNumber]),
    [['crc-mismatch', '08000c100600586f', 6]],
  );
  const good = cgmNotificationToReadings(hex('08 00 0C 10 06 00 59 6F'), ctx(true));
  assert.equal(good.readings.length, 1);
  const mixed = cgmNotificationToReadings(hex('08 00 0C 10 06 00 58 6F 08 00 0C 10 06 00 59 6F'), ctx(true));
  assert.deepEqual([mixed.readings.length, mixed.refused.length], [1, 1]);
});

test('CGM: a malformed notification (spec C5) or a missing CRC is refused whole, with its raw hex', () => {
  const m = cgmNotificationToReadings(hex('07 E3 0C 10 06 00 00'), ctx(false));
  assert.deepEqual(
    m.refused.map((r) => [r.reason, r.raw]),
    [['malformed', '07e30c10060000']],
  );
  const noCrc = cgmNotificationToReadings(hex('06 00 0C 10 06 00'), ctx(true));
  assert.equal(noCrc.refused[0].reason, 'malformed');
  assert.match(noCrc.refused[0].detail, /ERR_CRC_MISSING/);
});

test('CGM: LO/HI, range annunciations and invalid results', () => {
  const enc = (glucose: Parameters<typeof encodeCgmMeasurement>[0]['records'][0]) =>
    encodeCgmMeasurement({ records: [glucose] }, { crc: true });
  const lo = cgmNotificationToReadings(enc({ glucose: { kind: '-inf' }, timeOffsetMinutes: 1 }), ctx(true))
    .readings[0];
  assert.deepEqual([lo.flag, lo.value], ['low', 40]);
  const hi = cgmNotificationToReadings(enc({ glucose: { kind: '+inf' }, timeOffsetMinutes: 2 }), ctx(true))
    .readings[0];
  assert.deepEqual([hi.flag, hi.value], ['high', 400]);
  const above = cgmNotificationToReadings(
    enc({ glucose: sfloatFromParts(420, 0), timeOffsetMinutes: 3, annunciation: { warning: 0x80 } }),
    ctx(true),
  ).readings[0];
  assert.deepEqual([above.flag, above.value], ['high', 420]);
  const err = cgmNotificationToReadings(
    enc({ glucose: { kind: 'nan' }, timeOffsetMinutes: 4, annunciation: { status: 0x08 } }),
    ctx(true),
  ).readings[0];
  assert.deepEqual([err.flag, err.value, err.flagReason], ['error', null, 'sensor-malfunction']);
  const cal = cgmNotificationToReadings(
    enc({ glucose: sfloatFromParts(100, 0), timeOffsetMinutes: 5, annunciation: { calTemp: 0x08 } }),
    ctx(true),
  ).readings[0];
  assert.equal(cal.calibration?.state, 'calibration-required');
  for (const r of [lo, hi, above, err, cal]) assert.equal(validateReading(r), null);
});

test('CGM: any bytes give an outcome, never an exception (fuzz)', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 64 }), fc.boolean(), (bytes, crc) => {
      const out = cgmNotificationToReadings(bytes, ctx(crc));
      assert.ok(out.readings.length + out.refused.length >= 1, 'every value has an outcome');
      for (const r of out.readings) assert.equal(typeof r.identity, 'string');
    }),
    { numRuns: 20_000 },
  );
});

const meter = {
  device: { key: 'ble:c0:aa', transport: 'ble' as const, kind: 'bgm' as const },
  timeZone: 'Europe/Berlin',
  clockOffsetMs: 0,
  receivedAt: '2024-03-16T00:00:00.000Z',
};

test('GLS: 120 mg/dL (spec G5) and 5.5 mmol/L (G6) at the meter wall time in the gateway zone', () => {
  const g5 = glucoseToReading(
    decodeGlucoseMeasurement(hex('03 2A 00 E8 07 03 0F 08 1E 00 00 00 78 B0 11')),
    { measurement: 'g5' },
    meter,
  );
  assert.ok('reading' in g5);
  assert.deepEqual(
    [
      g5.reading.identity,
      g5.reading.recordNumber,
      g5.reading.value,
      g5.reading.unit,
      g5.reading.deviceTime,
      g5.reading.effectiveAt,
      g5.reading.specimen,
    ],
    ['seq:42', 42, 120, 'mg/dL', '2024-03-15T08:30:00', '2024-03-15T07:30:00.000Z', 'capillary'],
  );
  const g6 = glucoseToReading(
    decodeGlucoseMeasurement(hex('07 2A 00 E8 07 03 0F 08 1E 00 00 00 37 C0 11')),
    { measurement: 'g6', context: 'c' },
    meter,
  );
  assert.ok('reading' in g6);
  assert.deepEqual([g6.reading.value, g6.reading.unit, g6.reading.raw], [5.5, 'mmol/L', 'g6/c']);
  assert.equal(validateReading(g6.reading), null);
});

test('GLS: an unknown date is refused; any valid measurement gives a valid reading or a refusal (fuzz)', () => {
  const unknown = glucoseToReading(
    decodeGlucoseMeasurement(hex('02 01 00 00 00 00 00 08 1E 00 78 B0 11')),
    { measurement: 'x' },
    meter,
  );
  assert.ok('refused' in unknown);
  assert.equal(unknown.refused.reason, 'unknown-time');
  fc.assert(
    fc.property(fc.uint8Array({ minLength: 10, maxLength: 17 }), (bytes) => {
      let m;
      try {
        m = decodeGlucoseMeasurement(bytes);
      } catch {
        return; // the driver refuses undecodable values before this step
      }
      const out = glucoseToReading(m, { measurement: 'x' }, meter);
      if ('reading' in out && out.reading.flag !== undefined)
        assert.ok(['low', 'high', 'error'].includes(out.reading.flag));
    }),
    { numRuns: 20_000 },
  );
});
