import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { CodecError } from '../../../drivers/codecs/codec-error.ts';
import { parseHex } from '../../../drivers/codecs/hex.ts';
import { LeReader } from '../../../drivers/codecs/le-reader.ts';
import {
  decodeSfloat,
  encodeSfloat,
  readSfloat,
  sfloatFromNumber,
  sfloatFromParts,
} from '../../../drivers/codecs/sfloat.ts';
import { FUZZ_RUNS, arbSfloatNumber, assertCodecError, fuzzDecoder } from './ble-arbitraries.ts';

const fromWire = (hex: string) => {
  const b = parseHex(hex);
  return b[0] | (b[1] << 8);
};

describe('SFLOAT (spec 0.1)', () => {
  // Worked decodes, spec 0.1 (verified).
  const vectors: Array<[string, number, number, number]> = [
    ['78 00', 120, 120, 0],
    ['0C 10', 120, 12, 1],
    ['D2 E4', 12.34, 1234, -2],
    ['02 F0', 0.2, 2, -1],
    ['E5 F3', 99.7, 997, -1],
    ['37 F0', 5.5, 55, -1],
    ['78 B0', 0.0012, 120, -5],
    ['37 C0', 0.0055, 55, -4],
  ];
  for (const [hex, value, mantissa, exponent] of vectors) {
    it(`decodes ${hex} as ${value}`, () => {
      assert.deepEqual(decodeSfloat(fromWire(hex)), { kind: 'number', value, mantissa, exponent });
    });
  }

  it('decodes the special values on the raw value', () => {
    assert.deepEqual(decodeSfloat(0x07ff), { kind: 'nan' });
    assert.deepEqual(decodeSfloat(0x0800), { kind: 'nres' });
    assert.deepEqual(decodeSfloat(0x07fe), { kind: '+inf' });
    assert.deepEqual(decodeSfloat(0x0802), { kind: '-inf' });
    assert.deepEqual(decodeSfloat(0x0801), { kind: 'reserved' });
  });

  it('treats special mantissas with a non-zero exponent as ordinary numbers', () => {
    assert.deepEqual(decodeSfloat(0x17ff), { kind: 'number', value: 20470, mantissa: 2047, exponent: 1 });
    assert.deepEqual(decodeSfloat(0xf800), { kind: 'number', value: -204.8, mantissa: -2048, exponent: -1 });
  });

  it('decodes negative mantissas and zero', () => {
    assert.deepEqual(decodeSfloat(0x0fff), { kind: 'number', value: -1, mantissa: -1, exponent: 0 });
    assert.deepEqual(decodeSfloat(0x0000), { kind: 'number', value: 0, mantissa: 0, exponent: 0 });
    const negZero = decodeSfloat(0x8000); // mantissa 0, exponent −8
    assert.ok(negZero.kind === 'number' && Object.is(negZero.value, 0));
  });

  it('rejects the reserved value when read from a characteristic', () => {
    assertCodecError(() => readSfloat(new LeReader(parseHex('01 08')), 'glucose'), 'ERR_RESERVED_VALUE');
    assertCodecError(() => readSfloat(new LeReader(parseHex('01')), 'glucose'), 'ERR_TOO_SHORT');
  });

  it('encodes numbers with the largest exact exponent (spec 0.1 encoding rule)', () => {
    assert.equal(encodeSfloat(sfloatFromNumber(120)), 0x100c);
    assert.equal(encodeSfloat(sfloatFromNumber(12.34)), 0xe4d2);
    assert.equal(encodeSfloat(sfloatFromNumber(0.2)), 0xf002);
    assert.equal(encodeSfloat(sfloatFromNumber(99.7)), 0xf3e5);
    assert.equal(encodeSfloat(sfloatFromNumber(5.5)), 0xf037);
    assert.equal(encodeSfloat(sfloatFromNumber(0)), 0x0000);
    assert.equal(encodeSfloat(sfloatFromNumber(1000)), 0x3001);
    assert.equal(encodeSfloat(sfloatFromNumber(20470)), 0x17ff); // 2047 × 10¹ is exact
    assert.equal(encodeSfloat(sfloatFromNumber(2045)), 0x07fd);
    assert.equal(encodeSfloat(sfloatFromNumber(2046)), 0x10cd); // 204.6 × 10 rounds: 205 × 10¹
  });

  it('encodes non-finite numbers as special values and rounds what does not fit', () => {
    assert.equal(encodeSfloat(sfloatFromNumber(NaN)), 0x07ff);
    assert.equal(encodeSfloat(sfloatFromNumber(Infinity)), 0x07fe);
    assert.equal(encodeSfloat(sfloatFromNumber(-Infinity)), 0x0802);
    assert.deepEqual(sfloatFromNumber(123.45), sfloatFromParts(1235, -1));
    assert.deepEqual(sfloatFromNumber(-2048e7), sfloatFromParts(-2048, 7));
    assertCodecError(() => sfloatFromNumber(2048e7), 'ERR_OUT_OF_RANGE');
    assertCodecError(() => sfloatFromNumber(-1e12), 'ERR_OUT_OF_RANGE');
  });

  it('rejects parts that collide with special values or leave their ranges', () => {
    assertCodecError(() => sfloatFromParts(2047, 0), 'ERR_INVALID_ARGUMENT');
    assertCodecError(() => sfloatFromParts(-2046, 0), 'ERR_INVALID_ARGUMENT');
    assertCodecError(() => sfloatFromParts(0, 8), 'ERR_INVALID_ARGUMENT');
    assertCodecError(() => sfloatFromParts(2048, 0), 'ERR_INVALID_ARGUMENT');
    assertCodecError(() => sfloatFromParts(1.5, 0), 'ERR_INVALID_ARGUMENT');
  });

  it('round-trips every raw 16-bit value exactly', () => {
    for (let raw = 0; raw <= 0xffff; raw++) assert.equal(encodeSfloat(decodeSfloat(raw)), raw);
  });

  it('property: parts → encode → decode is the identity', () => {
    fc.assert(
      fc.property(arbSfloatNumber, (s) => {
        assert.deepEqual(decodeSfloat(encodeSfloat(s)), s);
      }),
    );
  });

  it('property: sfloatFromNumber finds an exact encoding for every SFLOAT value', () => {
    fc.assert(
      fc.property(arbSfloatNumber, (s) => {
        if (s.kind !== 'number') return;
        const again = sfloatFromNumber(s.value);
        assert.equal(again.kind === 'number' && again.value, s.value);
      }),
    );
  });

  it('property: sfloatFromNumber encodes any double or throws ERR_OUT_OF_RANGE', () => {
    fc.assert(
      fc.property(fc.double(), (x) => {
        try {
          const s = sfloatFromNumber(x);
          assert.deepEqual(decodeSfloat(encodeSfloat(s)), s);
        } catch (err) {
          assert.ok(err instanceof CodecError && err.code === 'ERR_OUT_OF_RANGE', String(err));
        }
      }),
      { numRuns: 10_000 },
    );
  });

  it('fuzz: decodeSfloat throws only CodecError for any input', () => {
    const n = fuzzDecoder(
      (b) => decodeSfloat(b.length >= 2 ? b[0] | (b[1] << 8) : b.length === 1 ? b[0] - 300 : 1.5),
      fc.uint8Array({ maxLength: 3 }),
      FUZZ_RUNS,
    );
    assert.ok(n > 0);
    assert.throws(() => decodeSfloat(0x10000), CodecError);
  });
});
