import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import {
  carbohydrateName,
  decodeGlucoseContext,
  encodeGlucoseContext,
  healthName,
  mealName,
  medicationName,
  testerName,
} from '../../../drivers/codecs/glucose-context.ts';
import type { GlucoseContext } from '../../../drivers/codecs/glucose-context.ts';
import { parseHex, toHex } from '../../../drivers/codecs/hex.ts';
import { sfloatFromParts } from '../../../drivers/codecs/sfloat.ts';
import { arbNibble, arbSfloat, arbU16, arbU8, assertCodecError, fuzzDecoder } from './ble-arbitraries.ts';

const decode = (hex: string) => decodeGlucoseContext(parseHex(hex));

describe('Glucose Measurement Context (spec B.3)', () => {
  // The fields of Android GlucoseMeasurementContextDataCallbackTest (spec B.6); the spec does not give
  // that test's SFLOAT bytes, so these are derived: 100.0 = 1×10², 123.45 → nearest SFLOAT 1235×10⁻¹,
  // 34.5 = 345×10⁻¹.
  const ALL = 'FF 00 00 B3 03 01 20 04 12 3C 00 32 04 D3 F4 59 F1';

  it('all fields: dinner 100, casual, HCP/minor issues, 60 s at 50 %, long-acting 123.5 L, HbA1c 34.5 %', () => {
    const c = decode(ALL);
    assert.deepEqual(c, {
      sequenceNumber: 0,
      extendedFlags: 0xb3,
      carbohydrate: { id: 3, amount: sfloatFromParts(1, 2) },
      meal: 4,
      testerHealth: { tester: 2, health: 1 },
      exercise: { durationSeconds: 60, intensityPercent: 50 },
      medication: { id: 4, amount: sfloatFromParts(1235, -1), unit: 'L' },
      hba1c: sfloatFromParts(345, -1),
    });
    assert.equal(carbohydrateName(3), 'dinner');
    assert.equal(mealName(4), 'casual');
    assert.equal(testerName(2), 'health-care-professional');
    assert.equal(healthName(1), 'minor-health-issues');
    assert.equal(medicationName(4), 'long-acting-insulin');
    assert.equal(mealName(9), 'reserved');
    assert.equal(toHex(encodeGlucoseContext(c)), ALL.toLowerCase());
  });

  it('only a meal, medication in kg (bit 5 clear)', () => {
    assert.deepEqual(decode('02 2A 00 01'), { sequenceNumber: 42, meal: 1 });
    assert.deepEqual(decode('10 2A 00 01 37 C0'), {
      sequenceNumber: 42,
      medication: { id: 1, amount: sfloatFromParts(55, -4), unit: 'kg' },
    });
  });

  it('invalid data', () => {
    assertCodecError(() => decode('00 2A'), 'ERR_TOO_SHORT');
    assertCodecError(() => decode('02 2A 00'), 'ERR_TOO_SHORT');
    assertCodecError(() => decode('02 2A 00 01 00'), 'ERR_TOO_LONG');
    assertCodecError(() => decode('40 2A 00 01 08'), 'ERR_RESERVED_VALUE');
  });

  const arbContext: fc.Arbitrary<GlucoseContext> = fc.record(
    {
      sequenceNumber: arbU16,
      extendedFlags: arbU8,
      carbohydrate: fc.record({ id: arbU8, amount: arbSfloat }, { noNullPrototype: true }),
      meal: arbU8,
      testerHealth: fc.record({ tester: arbNibble, health: arbNibble }, { noNullPrototype: true }),
      exercise: fc.record({ durationSeconds: arbU16, intensityPercent: arbU8 }, { noNullPrototype: true }),
      medication: fc.record(
        { id: arbU8, amount: arbSfloat, unit: fc.constantFrom('kg' as const, 'L' as const) },
        { noNullPrototype: true },
      ),
      hba1c: arbSfloat,
    },
    { requiredKeys: ['sequenceNumber'], noNullPrototype: true },
  );

  it('property: encode → decode is the identity', () => {
    fc.assert(
      fc.property(arbContext, (c) => {
        assert.deepEqual(decodeGlucoseContext(encodeGlucoseContext(c)), c);
      }),
    );
  });

  it('fuzz: only CodecError', () => {
    assert.ok(fuzzDecoder(decodeGlucoseContext) > 0);
  });
});
