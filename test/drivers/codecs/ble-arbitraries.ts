// Shared fast-check arbitraries and the fuzz harness for the BLE codec tests.
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { CodecError } from '../../../drivers/codecs/codec-error.ts';
import type { DateTime } from '../../../drivers/codecs/date-time.ts';
import { sfloatFromParts } from '../../../drivers/codecs/sfloat.ts';
import type { Sfloat } from '../../../drivers/codecs/sfloat.ts';

export const FUZZ_RUNS = 100_000;

/**
 * Feed `runs` random inputs to `decode`: it may return or throw a CodecError, nothing else.
 * Returns how many inputs decoded, so a test can also check the fuzzer reached valid data.
 */
export function fuzzDecoder(
  decode: (bytes: Uint8Array) => unknown,
  arb: fc.Arbitrary<Uint8Array> = fc.uint8Array({ maxLength: 40 }),
  runs = FUZZ_RUNS,
): number {
  let decoded = 0;
  fc.assert(
    fc.property(arb, (bytes) => {
      try {
        decode(bytes);
        decoded++;
      } catch (err) {
        if (!(err instanceof CodecError)) throw err;
        assert.equal(typeof err.code, 'string');
        assert.ok(err.message.length > 0);
      }
    }),
    { numRuns: runs },
  );
  return decoded;
}

/** Any SFLOAT number a device can send (mantissa/exponent not colliding with a special value). */
export const arbSfloatNumber: fc.Arbitrary<Sfloat> = fc
  .record({ mantissa: fc.integer({ min: -2048, max: 2047 }), exponent: fc.integer({ min: -8, max: 7 }) })
  .filter(({ mantissa, exponent }) => !(exponent === 0 && (mantissa >= 2046 || mantissa <= -2046)))
  .map(({ mantissa, exponent }) => sfloatFromParts(mantissa, exponent));

export const arbSfloat: fc.Arbitrary<Sfloat> = fc.oneof(
  { weight: 8, arbitrary: arbSfloatNumber },
  {
    weight: 1,
    arbitrary: fc.constantFrom<Sfloat>({ kind: 'nan' }, { kind: 'nres' }, { kind: '+inf' }, { kind: '-inf' }),
  },
);

/** Valid Date Time values, including unknown (0) year/month/day. */
export const arbDateTime: fc.Arbitrary<DateTime> = fc.record(
  {
    year: fc.oneof(fc.constant(0), fc.integer({ min: 1582, max: 9999 })),
    month: fc.integer({ min: 0, max: 12 }),
    day: fc.integer({ min: 0, max: 28 }),
    hours: fc.integer({ min: 0, max: 23 }),
    minutes: fc.integer({ min: 0, max: 59 }),
    seconds: fc.integer({ min: 0, max: 59 }),
  },
  { noNullPrototype: true },
);

export const arbNibble = fc.integer({ min: 0, max: 15 });
export const arbU8 = fc.integer({ min: 0, max: 0xff });
export const arbU16 = fc.integer({ min: 0, max: 0xffff });

/** Assert `fn` throws a CodecError with `code`. */
export function assertCodecError(fn: () => unknown, code: string): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof CodecError, `expected CodecError, got ${String(err)}`);
    assert.equal(err.code, code, err.message);
    return true;
  });
}
