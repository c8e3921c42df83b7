import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import {
  cgmRecordUtcIso,
  cgmSessionStartTimeAt,
  cgmSessionStartToUtcIso,
  decodeCgmSessionStartTime,
  encodeCgmSessionStartTime,
} from '../../../drivers/codecs/cgm-session-start-time.ts';
import type { DstOffsetMinutes } from '../../../drivers/codecs/cgm-session-start-time.ts';
import { parseHex, toHex } from '../../../drivers/codecs/hex.ts';
import { arbDateTime, assertCodecError, fuzzDecoder } from './ble-arbitraries.ts';

describe('CGM Session Start Time (spec A.4, 0.3, A.7)', () => {
  it('T1: 2018-04-24 13:08:24 local, TZ +2 h, DST +1 h → 10:08:24Z, CRC ok', () => {
    const st = decodeCgmSessionStartTime(parseHex('E2 07 04 18 0D 08 18 08 04 E0 C2'), { crc: true });
    assert.deepEqual(st, {
      dateTime: { year: 2018, month: 4, day: 24, hours: 13, minutes: 8, seconds: 24 },
      timeZoneMinutes: 120,
      dstOffsetMinutes: 60,
      crc: 'ok',
    });
    assert.equal(cgmSessionStartToUtcIso(st), '2018-04-24T10:08:24.000Z');
    assert.equal(cgmRecordUtcIso(st, 600), '2018-04-24T20:08:24.000Z');
  });

  it('T1 CRC error case (…E0 C3) → "mismatch"', () => {
    assert.equal(decodeCgmSessionStartTime(parseHex('E2 07 04 18 0D 08 18 08 04 E0 C3')).crc, 'mismatch');
  });

  it('T2: year unknown, TZ +2 h, DST +0.5 h, no CRC → no UTC instant', () => {
    const st = decodeCgmSessionStartTime(parseHex('00 00 04 18 0D 08 18 08 02'));
    assert.deepEqual(st, {
      dateTime: { year: 0, month: 4, day: 24, hours: 13, minutes: 8, seconds: 24 },
      timeZoneMinutes: 120,
      dstOffsetMinutes: 30,
      crc: 'absent',
    });
    assert.equal(cgmSessionStartToUtcIso(st), null);
  });

  it('unknown zone (-128) and DST (255): null, or the fallback offset when given', () => {
    const st = decodeCgmSessionStartTime(parseHex('E8 07 03 0F 08 1E 00 80 FF'));
    assert.equal(st.timeZoneMinutes, null);
    assert.equal(st.dstOffsetMinutes, null);
    assert.equal(cgmSessionStartToUtcIso(st), null);
    assert.equal(cgmSessionStartToUtcIso(st, 60), '2024-03-15T07:30:00.000Z');
  });

  it('negative zones: TZ −20 (×15 = −5 h), DST 0', () => {
    const st = decodeCgmSessionStartTime(parseHex('E8 07 01 01 16 00 00 EC 00'));
    assert.equal(st.timeZoneMinutes, -300);
    assert.equal(cgmSessionStartToUtcIso(st), '2024-01-02T03:00:00.000Z');
  });

  it('invalid data: zone out of range, reserved DST code, bad date fields, lengths', () => {
    assertCodecError(
      () => decodeCgmSessionStartTime(parseHex('E2 07 04 18 0D 08 18 39 04')),
      'ERR_OUT_OF_RANGE',
    );
    assertCodecError(
      () => decodeCgmSessionStartTime(parseHex('E2 07 04 18 0D 08 18 08 03')),
      'ERR_RESERVED_VALUE',
    );
    assertCodecError(
      () => decodeCgmSessionStartTime(parseHex('E2 07 0D 18 0D 08 18 08 04')),
      'ERR_OUT_OF_RANGE',
    );
    assertCodecError(
      () => decodeCgmSessionStartTime(parseHex('E2 07 02 1E 0D 08 18 08 04')),
      'ERR_OUT_OF_RANGE',
    );
    assertCodecError(
      () => decodeCgmSessionStartTime(parseHex('E2 07 04 18 18 08 18 08 04')),
      'ERR_OUT_OF_RANGE',
    );
    assertCodecError(() => decodeCgmSessionStartTime(parseHex('E2 07 04 18 0D 08 18 08')), 'ERR_TOO_SHORT');
    assertCodecError(
      () => decodeCgmSessionStartTime(parseHex('E2 07 04 18 0D 08 18 08 04 E0')),
      'ERR_LENGTH_MISMATCH',
    );
    assertCodecError(
      () => decodeCgmSessionStartTime(parseHex('E2 07 04 18 0D 08 18 08 04'), { crc: true }),
      'ERR_CRC_MISSING',
    );
  });

  it('encodes T1 and the value a collector writes for an instant', () => {
    const v = cgmSessionStartTimeAt(new Date('2018-04-24T10:08:24.700Z'), 120, 60);
    assert.equal(toHex(encodeCgmSessionStartTime(v, { crc: true })), 'e2 07 04 18 0d 08 18 08 04 e0 c2');
    assertCodecError(() => encodeCgmSessionStartTime({ ...v, timeZoneMinutes: 10 }), 'ERR_INVALID_ARGUMENT');
    assertCodecError(
      () => encodeCgmSessionStartTime({ ...v, dstOffsetMinutes: 45 as DstOffsetMinutes }),
      'ERR_INVALID_ARGUMENT',
    );
  });

  const arbZone = fc.oneof(
    fc.constant(null),
    fc.integer({ min: -48, max: 56 }).map((q) => q * 15),
  );
  const arbDst = fc.constantFrom<DstOffsetMinutes | null>(null, 0, 30, 60, 120);

  it('property: encode → decode is the identity', () => {
    fc.assert(
      fc.property(
        arbDateTime,
        arbZone,
        arbDst,
        fc.boolean(),
        (dateTime, timeZoneMinutes, dstOffsetMinutes, crc) => {
          const v = { dateTime, timeZoneMinutes, dstOffsetMinutes };
          assert.deepEqual(decodeCgmSessionStartTime(encodeCgmSessionStartTime(v, { crc }), { crc }), {
            ...v,
            crc: crc ? 'ok' : 'absent',
          });
        },
      ),
    );
  });

  it('property: writing an instant and converting back gives the instant (whole seconds)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: Date.UTC(2000, 0, 2), max: Date.UTC(2099, 11, 30) }),
        fc.integer({ min: -48, max: 56 }),
        fc.constantFrom<DstOffsetMinutes>(0, 30, 60, 120),
        (ms, q, dst) => {
          const st = cgmSessionStartTimeAt(new Date(ms), q * 15, dst);
          const back = decodeCgmSessionStartTime(encodeCgmSessionStartTime(st));
          assert.equal(cgmSessionStartToUtcIso(back), new Date(ms - (ms % 1000)).toISOString());
        },
      ),
    );
  });

  it('fuzz: only CodecError', () => {
    fuzzDecoder((b) => decodeCgmSessionStartTime(b));
    fuzzDecoder((b) => decodeCgmSessionStartTime(b, { crc: true }));
    // Fields around their valid ranges, so the fuzzer also reaches zone/DST/CRC checks.
    const plausible = fc
      .tuple(
        fc.integer({ min: 1580, max: 2100 }),
        fc.integer({ min: 0, max: 13 }),
        fc.integer({ min: 0, max: 32 }),
        fc.integer({ min: 0, max: 24 }),
        fc.integer({ min: 0, max: 60 }),
        fc.integer({ min: 0, max: 60 }),
        fc.uint8Array({ maxLength: 5 }),
      )
      .map(([y, mo, d, h, mi, s, tail]) => Uint8Array.from([y & 0xff, y >> 8, mo, d, h, mi, s, ...tail]));
    assert.ok(fuzzDecoder((b) => decodeCgmSessionStartTime(b), plausible) > 0);
  });
});
