import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { crc16CcittFalse } from '../../../drivers/codecs/onetouch-crc.ts';
import { fromHex } from './serial-codec-fuzz.ts';

// Bit-by-bit reference implementation to check the table-driven one against.
function reference(bytes: Uint8Array): number {
  let crc = 0xffff;
  for (const b of bytes) {
    crc ^= b << 8;
    for (let i = 0; i < 8; i++) crc = crc & 0x8000 ? ((crc << 1) ^ 0x1021) & 0xffff : (crc << 1) & 0xffff;
  }
  return crc;
}

test('CRC-16/CCITT-FALSE vectors', () => {
  assert.equal(crc16CcittFalse(Buffer.from('123456789')), 0x29b1);
  assert.equal(crc16CcittFalse(fromHex('02060803')), 0x62c2);
  assert.equal(crc16CcittFalse(fromHex('020903050d0203')), 0x9f08);
  assert.equal(crc16CcittFalse(fromHex('02060603')), 0x41cd);
  assert.equal(crc16CcittFalse(new Uint8Array(0)), 0xffff);
});

test('table-driven CRC equals the bitwise definition', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 300 }), (b) => assert.equal(crc16CcittFalse(b), reference(b))),
    {
      numRuns: 2000,
    },
  );
});
