import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import {
  decodeGlucoseMeasurement,
  encodeGlucoseMeasurement,
  glsSensorStatusNames,
  glucoseDisplayValue,
  glucoseUserFacingTime,
} from '../../../drivers/codecs/glucose-measurement.ts';
import type { GlucoseMeasurement } from '../../../drivers/codecs/glucose-measurement.ts';
import { parseHex, toHex } from '../../../drivers/codecs/hex.ts';
import { sampleLocationName, sampleTypeName } from '../../../drivers/codecs/sample-type.ts';
import { sfloatFromParts } from '../../../drivers/codecs/sfloat.ts';
import {
  arbDateTime,
  arbNibble,
  arbSfloat,
  arbU16,
  assertCodecError,
  fuzzDecoder,
} from './ble-arbitraries.ts';

const decode = (hex: string) => decodeGlucoseMeasurement(parseHex(hex));

describe('Glucose Measurement (spec B.2, B.6)', () => {
  it('G1: flags 0x1B, seq 1, 2019-02-27 11:10:30 −5 min, 30 kg/L, capillary plasma, finger, status 0x0105', () => {
    const m = decode('1B 01 00 E3 07 02 1B 0B 0A 1E FB FF 1E 00 12 05 01');
    assert.deepEqual(m, {
      sequenceNumber: 1,
      baseTime: { year: 2019, month: 2, day: 27, hours: 11, minutes: 10, seconds: 30 },
      timeOffsetMinutes: -5,
      unit: 'kg/L',
      concentration: { value: sfloatFromParts(30, 0), sampleType: 2, sampleLocation: 1 },
      sensorStatus: 0x0105,
      contextFollows: true,
    });
    assert.equal(glucoseUserFacingTime(m), '2019-02-27T11:05:30');
    assert.deepEqual(glucoseDisplayValue(m), { value: 3_000_000, unit: 'mg/dL' });
    assert.deepEqual(glsSensorStatusNames(0x0105), [
      'device-battery-low',
      'sample-size-insufficient',
      'temperature-too-low',
    ]);
    assert.equal(sampleTypeName(2), 'capillary-plasma');
    assert.equal(sampleLocationName(1), 'finger');
  });

  it('G2: flags announce a time offset that is missing → ERR_TOO_SHORT', () => {
    assertCodecError(() => decode('1B 00 00 E2 07 04 1A 0B 09 1E 1E 00 12 05 01'), 'ERR_TOO_SHORT');
  });

  it('G5: seq 42, 2024-03-15 08:30:00, offset 0, 0.00120 kg/L = 120 mg/dL, capillary whole blood, finger', () => {
    const m = decode('03 2A 00 E8 07 03 0F 08 1E 00 00 00 78 B0 11');
    assert.deepEqual(m, {
      sequenceNumber: 42,
      baseTime: { year: 2024, month: 3, day: 15, hours: 8, minutes: 30, seconds: 0 },
      timeOffsetMinutes: 0,
      unit: 'kg/L',
      concentration: { value: sfloatFromParts(120, -5), sampleType: 1, sampleLocation: 1 },
      contextFollows: false,
    });
    assert.deepEqual(glucoseDisplayValue(m), { value: 120, unit: 'mg/dL' });
    assert.equal(glucoseUserFacingTime(m), '2024-03-15T08:30:00');
  });

  it('G6: same record in mol/L: 0.0055 mol/L = 5.5 mmol/L', () => {
    const m = decode('07 2A 00 E8 07 03 0F 08 1E 00 00 00 37 C0 11');
    assert.equal(m.unit, 'mol/L');
    assert.deepEqual(m.concentration?.value, sfloatFromParts(55, -4));
    assert.deepEqual(glucoseDisplayValue(m), { value: 5.5, unit: 'mmol/L' });
  });

  it('encodes G1, G5, G6 back to their bytes', () => {
    for (const hex of [
      '1B 01 00 E3 07 02 1B 0B 0A 1E FB FF 1E 00 12 05 01',
      '03 2A 00 E8 07 03 0F 08 1E 00 00 00 78 B0 11',
      '07 2A 00 E8 07 03 0F 08 1E 00 00 00 37 C0 11',
    ]) {
      assert.equal(toHex(encodeGlucoseMeasurement(decode(hex))), hex.toLowerCase());
    }
  });

  it('minimal record (no optional fields): value null, offset absent, user facing time = base time', () => {
    const m = decode('00 05 00 E8 07 03 0F 08 1E 00');
    assert.deepEqual(m, {
      sequenceNumber: 5,
      baseTime: { year: 2024, month: 3, day: 15, hours: 8, minutes: 30, seconds: 0 },
      unit: 'kg/L',
      contextFollows: false,
    });
    assert.deepEqual(glucoseDisplayValue(m), { value: null, unit: 'mg/dL' });
    assert.equal(glucoseUserFacingTime(m), '2024-03-15T08:30:00');
  });

  it('LO/HI as ±INF, NaN as no value; reserved SFLOAT is invalid', () => {
    const hi = decode('02 01 00 E8 07 03 0F 08 1E 00 FE 07 11');
    assert.deepEqual(hi.concentration?.value, { kind: '+inf' });
    assert.deepEqual(glucoseDisplayValue(hi), { value: null, unit: 'mg/dL' });
    assert.deepEqual(decode('02 01 00 E8 07 03 0F 08 1E 00 02 08 11').concentration?.value, { kind: '-inf' });
    assertCodecError(() => decode('02 01 00 E8 07 03 0F 08 1E 00 01 08 11'), 'ERR_RESERVED_VALUE');
  });

  it('time offset crossing midnight and month end', () => {
    const m = decode('01 01 00 E8 07 02 1D 17 3B 00 02 00');
    assert.equal(glucoseUserFacingTime(m), '2024-03-01T00:01:00');
  });

  it('invalid data', () => {
    assertCodecError(() => decodeGlucoseMeasurement(new Uint8Array(0)), 'ERR_TOO_SHORT');
    assertCodecError(() => decode('03 2A 00 E8 07 03 0F 08 1E 00 00 00 78 B0 11 00'), 'ERR_TOO_LONG');
    assertCodecError(() => decode('00 05 00 E8 07 0D 0F 08 1E 00'), 'ERR_OUT_OF_RANGE');
    assertCodecError(() => decode('00 05 00 E8 07 02 1E 08 1E 00'), 'ERR_OUT_OF_RANGE');
    assertCodecError(() => decode('00 05 00 E8 07 03 0F 08 3C 00'), 'ERR_OUT_OF_RANGE');
  });

  const arbMeasurement: fc.Arbitrary<GlucoseMeasurement> = fc.record(
    {
      sequenceNumber: arbU16,
      baseTime: arbDateTime,
      timeOffsetMinutes: fc.integer({ min: -0x8000, max: 0x7fff }),
      unit: fc.constantFrom('kg/L' as const, 'mol/L' as const),
      concentration: fc.record(
        { value: arbSfloat, sampleType: arbNibble, sampleLocation: arbNibble },
        { noNullPrototype: true },
      ),
      sensorStatus: arbU16,
      contextFollows: fc.boolean(),
    },
    { requiredKeys: ['sequenceNumber', 'baseTime', 'unit', 'contextFollows'], noNullPrototype: true },
  );

  it('property: encode → decode is the identity', () => {
    fc.assert(
      fc.property(arbMeasurement, (m) => {
        assert.deepEqual(decodeGlucoseMeasurement(encodeGlucoseMeasurement(m)), m);
      }),
    );
  });

  it('property: display conversion is exact (kg/L×10⁵, mol/L×10³)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 2045 }), (mantissa) => {
        const mg = glucoseDisplayValue({
          unit: 'kg/L',
          concentration: { value: sfloatFromParts(mantissa, -5), sampleType: 1, sampleLocation: 1 },
        });
        assert.equal(mg.value, mantissa);
        const mmol = glucoseDisplayValue({
          unit: 'mol/L',
          concentration: { value: sfloatFromParts(mantissa, -4), sampleType: 1, sampleLocation: 1 },
        });
        assert.equal(mmol.value, mantissa / 10);
      }),
    );
  });

  it('fuzz: only CodecError', () => {
    fuzzDecoder(decodeGlucoseMeasurement);
    // A plausible header (flags, seq, 2024-03-15 …) followed by random fields reaches the later checks.
    const plausible = fc
      .tuple(fc.integer({ min: 0, max: 0x1f }), fc.uint8Array({ maxLength: 14 }))
      .map(([flags, rest]) => Uint8Array.from([flags, 1, 0, 0xe8, 0x07, 3, 15, 8, 30, 0, ...rest]));
    assert.ok(fuzzDecoder(decodeGlucoseMeasurement, plausible) > 100);
  });
});
