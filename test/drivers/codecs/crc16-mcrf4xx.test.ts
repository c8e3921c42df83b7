import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { crc16Mcrf4xx, readTrailingCrc } from '../../../drivers/codecs/crc16-mcrf4xx.ts';
import { parseHex } from '../../../drivers/codecs/hex.ts';
import { LeReader } from '../../../drivers/codecs/le-reader.ts';
import { assertCodecError, fuzzDecoder } from './ble-arbitraries.ts';

/** The bit-wise algorithm exactly as spec 0.2 states it, as an independent reference. */
function reference(bytes: Uint8Array): number {
  let crc = 0xffff;
  for (const b of bytes) {
    crc ^= b;
    for (let i = 0; i < 8; i++) crc = crc & 1 ? (crc >>> 1) ^ 0x8408 : crc >>> 1;
  }
  return crc;
}

const ascii = (s: string) => new TextEncoder().encode(s);

describe('CRC-16/MCRF4XX E2E-CRC (spec 0.2)', () => {
  it('CGMS specification example 3E 01..09 → 0x2F01', () => {
    assert.equal(crc16Mcrf4xx(parseHex('3E 01 02 03 04 05 06 07 08 09')), 0x2f01);
  });
  it('ASCII "123456789" → 0x6F91 (catalogue check value)', () => {
    assert.equal(crc16Mcrf4xx(ascii('123456789')), 0x6f91);
  });
  it('ASCII "A" → 0x5C0A', () => {
    assert.equal(crc16Mcrf4xx(ascii('A')), 0x5c0a);
  });
  it('Microchip AN752 58 25 1F 98 → 0x07F1', () => {
    assert.equal(crc16Mcrf4xx(parseHex('58 25 1F 98')), 0x07f1);
  });
  it('empty input → initial value 0xFFFF; sub-ranges', () => {
    assert.equal(crc16Mcrf4xx(new Uint8Array(0)), 0xffff);
    assert.equal(crc16Mcrf4xx(parseHex('FF 3E 01 02 03 04 05 06 07 08 09 FF'), 1, 11), 0x2f01);
  });

  it('readTrailingCrc: ok, mismatch, absent, missing, bad length', () => {
    const check = (hex: string, payload: number, crc: boolean) => {
      const r = new LeReader(parseHex(hex));
      r.offset = payload;
      return readTrailingCrc(r, 0, { crc }, 'test');
    };
    assert.equal(check('3E 01 02 03 04 05 06 07 08 09 01 2F', 10, false), 'ok');
    assert.equal(check('3E 01 02 03 04 05 06 07 08 09 2F 01', 10, true), 'mismatch');
    assert.equal(check('3E 01 02 03 04 05 06 07 08 09', 10, false), 'absent');
    assertCodecError(() => check('3E 01 02 03 04 05 06 07 08 09', 10, true), 'ERR_CRC_MISSING');
    assertCodecError(() => check('3E 01 02 03 04 05 06 07 08 09 01', 10, false), 'ERR_LENGTH_MISMATCH');
  });

  it('property: table implementation equals the bit-wise reference', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (b) => assert.equal(crc16Mcrf4xx(b), reference(b))),
    );
  });

  it('property: data followed by its CRC (LE) leaves residue 0', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (b) => {
        const crc = crc16Mcrf4xx(b);
        assert.equal(crc16Mcrf4xx(Uint8Array.from([...b, crc & 0xff, crc >>> 8])), 0);
      }),
    );
  });

  it('fuzz: always a uint16, never throws', () => {
    const n = fuzzDecoder((b) => {
      const c = crc16Mcrf4xx(b);
      assert.ok(Number.isInteger(c) && c >= 0 && c <= 0xffff);
    });
    assert.equal(n, 100_000);
  });
});
