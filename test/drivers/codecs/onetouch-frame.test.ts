import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import type { OneTouchFrame } from '../../../drivers/codecs/onetouch-frame.ts';
import {
  decodeLinkControl,
  decodeOneTouchFrame,
  encodeLinkControl,
  encodeOneTouchFrame,
  oneTouchFrameLength,
} from '../../../drivers/codecs/onetouch-frame.ts';
import { fromHex, fuzzBytes, fuzzDecoder, hexOf } from './serial-codec-fuzz.ts';

const noBits = { sequence: false, expectReceive: false, ack: false, disconnect: false, more: false };

test('vectors: disconnect, version request, ACK', () => {
  assert.equal(
    hexOf(encodeOneTouchFrame({ link: { ...noBits, disconnect: true }, message: new Uint8Array(0) })),
    '02060803c262',
  );
  const version = decodeOneTouchFrame(fromHex('02 09 03 05 0D 02 03 08 9F'));
  assert.deepEqual(version.link, { ...noBits, sequence: true, expectReceive: true });
  assert.equal(hexOf(version.message), '050d02');
  const ack = decodeOneTouchFrame(fromHex('02 06 06 03 CD 41'));
  assert.deepEqual(ack.link, { ...noBits, expectReceive: true, ack: true });
  assert.equal(ack.message.length, 0);
});

test('invalid frames', () => {
  assert.throws(() => decodeOneTouchFrame(fromHex('02 06 08 03 C2 63')), { code: 'ERR_CRC_MISMATCH' });
  assert.throws(() => decodeOneTouchFrame(fromHex('02 07 08 03 C2 62')), { code: 'ERR_LENGTH_MISMATCH' });
  assert.throws(() => decodeOneTouchFrame(fromHex('03 06 08 03 C2 62')), { code: 'ERR_MALFORMED' });
  assert.throws(() => decodeOneTouchFrame(fromHex('02 06 08 04 C2 62')), { code: 'ERR_MALFORMED' });
  assert.throws(() => decodeOneTouchFrame(fromHex('02 06 08')), { code: 'ERR_TOO_SHORT' });
  assert.throws(() => decodeLinkControl(0x20), { code: 'ERR_RESERVED_VALUE' });
  assert.throws(() => encodeOneTouchFrame({ link: noBits, message: new Uint8Array(250) }), {
    code: 'ERR_TOO_LONG',
  });
});

test('frame length for stream cutting', () => {
  assert.equal(oneTouchFrameLength(fromHex('02')), 0);
  assert.equal(oneTouchFrameLength(fromHex('02 09 03 05')), 0);
  assert.equal(oneTouchFrameLength(fromHex('02 06 06 03 CD 41 02')), 6);
  assert.throws(() => oneTouchFrameLength(fromHex('02 05')), { code: 'ERR_TOO_SHORT' });
  assert.throws(() => oneTouchFrameLength(fromHex('55')), { code: 'ERR_MALFORMED' });
});

const link = fc.integer({ min: 0, max: 0x1f }).map(decodeLinkControl);
const frame: fc.Arbitrary<OneTouchFrame> = fc.record({ link, message: fc.uint8Array({ maxLength: 249 }) });

test('round trip: frame and link control', () => {
  fc.assert(
    fc.property(frame, (f) => {
      const bytes = encodeOneTouchFrame(f);
      assert.equal(oneTouchFrameLength(bytes), bytes.length);
      const back = decodeOneTouchFrame(bytes);
      assert.deepEqual(back.link, f.link);
      assert.deepEqual(Array.from(back.message), Array.from(f.message));
    }),
    { numRuns: 3000 },
  );
  for (let b = 0; b < 32; b++) assert.equal(encodeLinkControl(decodeLinkControl(b)), b);
  // Every other byte sets a reserved bit; non-bytes are refused.
  for (let b = 32; b < 256; b++) assert.throws(() => decodeLinkControl(b), { code: 'ERR_RESERVED_VALUE' });
  for (const x of [-1, 256, 1.5, Number.NaN])
    assert.throws(() => decodeLinkControl(x), { code: 'ERR_INVALID_ARGUMENT' });
});

test('fuzz decodeOneTouchFrame and oneTouchFrameLength: only CodecError', () => {
  const input = fuzzBytes(frame.map(encodeOneTouchFrame));
  assert.ok(fuzzDecoder(input, decodeOneTouchFrame) > 0);
  fuzzDecoder(input, oneTouchFrameLength);
});
