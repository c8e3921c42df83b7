import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { decodeCgmMeasurement, encodeCgmMeasurement } from '../../../drivers/codecs/cgm-measurement.ts';
import type { CgmMeasurementRecordInput } from '../../../drivers/codecs/cgm-measurement.ts';
import { parseHex, toHex } from '../../../drivers/codecs/hex.ts';
import { sfloatFromParts } from '../../../drivers/codecs/sfloat.ts';
import { arbSfloat, arbU16, arbU8, assertCodecError, fuzzDecoder } from './ble-arbitraries.ts';

const n = sfloatFromParts;
const decode = (hex: string, crc = false) => decodeCgmMeasurement(parseHex(hex), { crc });

describe('CGM Measurement (spec A.2, A.7)', () => {
  it('C2: 06 00 0C 10 06 00 → 120 mg/dL at 6 min, no CRC', () => {
    assert.deepEqual(decode('06 00 0C 10 06 00'), {
      records: [{ glucose: n(12, 1), timeOffsetMinutes: 6, crc: 'absent' }],
    });
  });

  it('C3: two records in one notification → 120 @ 5 min, 120 @ 6 min', () => {
    assert.deepEqual(decode('06 00 0C 10 05 00 06 00 0C 10 06 00'), {
      records: [
        { glucose: n(12, 1), timeOffsetMinutes: 5, crc: 'absent' },
        { glucose: n(12, 1), timeOffsetMinutes: 6, crc: 'absent' },
      ],
    });
  });

  it('C4: CRC present but wrong → record with crc "mismatch" (not thrown)', () => {
    for (const crc of [false, true]) {
      assert.deepEqual(decode('08 00 0C 10 06 00 58 6F', crc), {
        records: [{ glucose: n(12, 1), timeOffsetMinutes: 6, crc: 'mismatch' }],
      });
    }
  });

  it('C4 corrected: 08 00 0C 10 06 00 59 6F → crc "ok"', () => {
    for (const crc of [false, true]) {
      assert.deepEqual(decode('08 00 0C 10 06 00 59 6F', crc), {
        records: [{ glucose: n(12, 1), timeOffsetMinutes: 6, crc: 'ok' }],
      });
    }
  });

  it('C5: size 7 with flags E3 (13 or 15 expected) → ERR_FLAGS_INCONSISTENT', () => {
    assertCodecError(() => decode('07 E3 0C 10 06 00 00'), 'ERR_FLAGS_INCONSISTENT');
  });

  it('E2E-CRC announced (opts.crc) but the record has none → ERR_CRC_MISSING', () => {
    assertCodecError(() => decode('06 00 0C 10 06 00', true), 'ERR_CRC_MISSING');
  });

  // Derived: all optional fields, distinct annunciation octets so an order swap shows, CRC 0xE214.
  const FULL = '0F E3 D2 E4 06 00 21 02 40 0C F0 E5 F3 14 E2';
  it('full record: annunciation Status, Cal/Temp, Warning; trend, quality, CRC', () => {
    assert.deepEqual(decode(FULL, true), {
      records: [
        {
          glucose: n(1234, -2),
          timeOffsetMinutes: 6,
          annunciation: { status: 0x21, calTemp: 0x02, warning: 0x40 },
          trend: n(12, -1),
          quality: n(997, -1),
          crc: 'ok',
        },
      ],
    });
  });

  it('annunciation order is configurable (Nordic peripheral order: Warning first)', () => {
    const m = decodeCgmMeasurement(parseHex(FULL), { crc: true, annunciationOrder: 'warning-first' });
    assert.deepEqual(m.records[0].annunciation, { warning: 0x21, calTemp: 0x02, status: 0x40 });
  });

  it('only some annunciation octets present are taken in order, skipping absent ones', () => {
    // flags 0xA0: Status + Warning (no Cal/Temp); octets 0x01 then 0x80.
    assert.deepEqual(decode('08 A0 0C 10 0A 00 01 80').records[0].annunciation, {
      status: 0x01,
      warning: 0x80,
    });
    assert.deepEqual(decode('07 40 0C 10 0A 00 08').records[0].annunciation, { calTemp: 0x08 });
  });

  it('special SFLOAT glucose values decode (no value), reserved is invalid', () => {
    assert.deepEqual(decode('06 00 FE 07 01 00').records[0].glucose, { kind: '+inf' });
    assert.deepEqual(decode('06 00 02 08 01 00').records[0].glucose, { kind: '-inf' });
    assert.deepEqual(decode('06 00 FF 07 01 00').records[0].glucose, { kind: 'nan' });
    assert.deepEqual(decode('06 00 00 08 01 00').records[0].glucose, { kind: 'nres' });
    assertCodecError(() => decode('06 00 01 08 01 00'), 'ERR_RESERVED_VALUE');
  });

  it('reserved flag bits 2–4 are ignored (RFU)', () => {
    assert.deepEqual(decode('06 1C 0C 10 06 00'), decode('06 00 0C 10 06 00'));
  });

  it('invalid data: empty, size below 6, size past the end, trailing junk record', () => {
    assertCodecError(() => decodeCgmMeasurement(new Uint8Array(0), { crc: false }), 'ERR_TOO_SHORT');
    assertCodecError(() => decode('05 00 0C 10 06'), 'ERR_LENGTH_MISMATCH');
    assertCodecError(() => decode('00'), 'ERR_LENGTH_MISMATCH');
    assertCodecError(() => decode('08 00 0C 10 06 00 59'), 'ERR_TOO_SHORT');
    assertCodecError(() => decode('06 00 0C 10 06 00 06 00'), 'ERR_TOO_SHORT');
    assertCodecError(() => decode('06 00 0C 10 06 00 01'), 'ERR_LENGTH_MISMATCH');
  });

  it('a mismatch in one record does not affect the others', () => {
    const m = decode('08 00 0C 10 06 00 59 6F 08 00 0C 10 06 00 58 6F', true);
    assert.deepEqual(
      m.records.map((r) => r.crc),
      ['ok', 'mismatch'],
    );
  });

  it('encodes the spec vectors back to the same bytes', () => {
    const rec = { glucose: n(12, 1), timeOffsetMinutes: 6 };
    assert.equal(toHex(encodeCgmMeasurement({ records: [rec] }, { crc: false })), '06 00 0c 10 06 00');
    assert.equal(toHex(encodeCgmMeasurement({ records: [rec] }, { crc: true })), '08 00 0c 10 06 00 59 6f');
    const full = decode(FULL, true);
    assert.equal(toHex(encodeCgmMeasurement(full, { crc: true })), FULL.toLowerCase());
  });

  it('encoder rejects invalid input with CodecError', () => {
    assertCodecError(() => encodeCgmMeasurement({ records: [] }, { crc: false }), 'ERR_INVALID_ARGUMENT');
    assertCodecError(
      () =>
        encodeCgmMeasurement({ records: [{ glucose: n(1, 0), timeOffsetMinutes: 70000 }] }, { crc: false }),
      'ERR_INVALID_ARGUMENT',
    );
  });

  const arbRecord: fc.Arbitrary<CgmMeasurementRecordInput> = fc.record(
    {
      glucose: arbSfloat,
      timeOffsetMinutes: arbU16,
      annunciation: fc.record(
        { status: arbU8, calTemp: arbU8, warning: arbU8 },
        { requiredKeys: [], noNullPrototype: true },
      ),
      trend: arbSfloat,
      quality: arbSfloat,
    },
    { requiredKeys: ['glucose', 'timeOffsetMinutes'], noNullPrototype: true },
  );

  it('property: encode → decode is the identity (with and without CRC, both octet orders)', () => {
    fc.assert(
      fc.property(
        fc.array(arbRecord, { minLength: 1, maxLength: 5 }),
        fc.boolean(),
        fc.constantFrom('status-first' as const, 'warning-first' as const),
        (records, crc, annunciationOrder) => {
          const opts = { crc, annunciationOrder };
          const decoded = decodeCgmMeasurement(encodeCgmMeasurement({ records }, opts), opts);
          const expected = records.map((r) => {
            const { annunciation, ...rest } = r;
            const hasOctets = annunciation !== undefined && Object.keys(annunciation).length > 0;
            return { ...rest, ...(hasOctets ? { annunciation } : {}), crc: crc ? 'ok' : 'absent' };
          });
          assert.deepEqual(decoded.records, expected);
        },
      ),
    );
  });

  it('property: flipping any bit of a CRC-protected record never goes unnoticed', () => {
    fc.assert(
      fc.property(arbRecord, fc.nat(), fc.integer({ min: 0, max: 7 }), (rec, pos, bit) => {
        const bytes = encodeCgmMeasurement({ records: [rec] }, { crc: true });
        const i = 2 + (pos % (bytes.length - 2)); // leave Size and Flags: those change the layout
        bytes[i] ^= 1 << bit;
        try {
          const m = decodeCgmMeasurement(bytes, { crc: true });
          assert.equal(m.records[0].crc, 'mismatch');
        } catch (err) {
          // A flipped SFLOAT may become the reserved value: invalid data, also noticed.
          assert.equal((err as { code?: string }).code, 'ERR_RESERVED_VALUE');
        }
      }),
    );
  });

  it('fuzz: random bytes → records or CodecError, never anything else', () => {
    for (const crc of [false, true]) {
      fuzzDecoder((b) => decodeCgmMeasurement(b, { crc }));
    }
  });

  it('fuzz: structured input (plausible size/flags) reaches the field decoders', () => {
    const arb = fc
      .tuple(fc.integer({ min: 0, max: 20 }), arbU8, fc.uint8Array({ maxLength: 38 }))
      .map(([size, flags, rest]) => Uint8Array.from([size, flags, ...rest]));
    const ok = fuzzDecoder((b) => decodeCgmMeasurement(b, { crc: false }), arb);
    assert.ok(ok > 100, `only ${ok} inputs decoded`);
  });
});
