import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import type { AstmFrame } from '../../../drivers/codecs/astm-frame.ts';
import {
  astmChecksum,
  astmFrameLength,
  decodeAstmFrame,
  encodeAstmFrame,
  encodeAstmRecordFrames,
  nextAstmFrameNumber,
} from '../../../drivers/codecs/astm-frame.ts';
import { fuzzBytes, fuzzDecoder } from './serial-codec-fuzz.ts';

// Contour USB 7390 header from glucometerutils' test_contourusb.py (spec D.3): checksum D7.
const HEADER =
  'H|\\^&||7w3LBL|Bayer7390^01.24\\01.04\\09.02.20^7390-2336773^7403-|A=1^C=63^G=1^I=0200^R=0^S=1^U=0^' +
  'V=10600^X=070070070070180130150250^Y=360126090050099050300089^Z=1|1714||||||1|201909221304';

test('Contour header frame vector: checksum D7, ETB', () => {
  const bytes = encodeAstmFrame({ frameNumber: 1, text: HEADER + '\r', final: false });
  const s = Buffer.from(bytes).toString('latin1');
  assert.equal(s, `\x021${HEADER}\r\x17D7\r\n`);
  const f = decodeAstmFrame(bytes);
  assert.deepEqual(f, { frameNumber: 1, text: HEADER + '\r', final: false, checksum: 0xd7 });
});

test('checksum covers FN..ETX, not STX or CR LF', () => {
  const bytes = encodeAstmFrame({ frameNumber: 2, text: 'L|1||N\r', final: true });
  assert.equal(
    astmChecksum(bytes.subarray(1, bytes.length - 4)),
    Number.parseInt(Buffer.from(bytes.subarray(-4, -2)).toString(), 16),
  );
});

test('invalid frames', () => {
  const good = Buffer.from(encodeAstmFrame({ frameNumber: 3, text: 'R|1|x\r', final: true }));
  const bad = Buffer.from(good);
  bad[4] ^= 1;
  assert.throws(() => decodeAstmFrame(bad), { code: 'ERR_CHECKSUM_MISMATCH' });
  const fn = Buffer.from(good);
  fn[1] = 0x38;
  assert.throws(() => decodeAstmFrame(fn), { code: 'ERR_MALFORMED', message: /frame number/ });
  assert.throws(() => decodeAstmFrame(good.subarray(0, good.length - 1)), { code: 'ERR_MALFORMED' });
  assert.throws(() => decodeAstmFrame(good.subarray(0, 5)), { code: 'ERR_TOO_SHORT' });
  const lower = Buffer.from(good);
  lower[lower.length - 4] =
    lower[lower.length - 4] >= 0x41 ? lower[lower.length - 4] + 0x20 : lower[lower.length - 4];
  lower[lower.length - 3] = 0x67; // 'g'
  assert.throws(() => decodeAstmFrame(lower), { code: 'ERR_MALFORMED' });
  assert.throws(() => encodeAstmFrame({ frameNumber: 8, text: '', final: true }), {
    code: 'ERR_OUT_OF_RANGE',
  });
  assert.throws(() => encodeAstmFrame({ frameNumber: 1, text: 'x'.repeat(241), final: true }), {
    code: 'ERR_TOO_LONG',
  });
  assert.throws(() => encodeAstmFrame({ frameNumber: 1, text: 'a\x03b', final: true }), {
    code: 'ERR_MALFORMED',
  });
});

test('frame numbers count 1..7, 0, 1', () => {
  const seq = [1];
  for (let i = 0; i < 9; i++) seq.push(nextAstmFrameNumber(seq[seq.length - 1]));
  assert.deepEqual(seq, [1, 2, 3, 4, 5, 6, 7, 0, 1, 2]);
});

test('frame length for stream cutting', () => {
  const good = encodeAstmFrame({ frameNumber: 1, text: 'P|1\r', final: false });
  assert.equal(astmFrameLength(good), good.length);
  assert.equal(astmFrameLength(good.subarray(0, good.length - 1)), 0);
  assert.equal(astmFrameLength(Buffer.concat([good, Buffer.from([0x02])])), good.length);
  assert.throws(() => astmFrameLength(Buffer.from('\x021R|1\x021R|1')), {
    code: 'ERR_MALFORMED',
    message: /cut short/,
  });
  assert.throws(() => astmFrameLength(Buffer.alloc(300, 0x41).fill(2, 0, 1)), { code: 'ERR_TOO_LONG' });
});

test('multi-frame records: 240-character pieces, ETB between, ETX at the end of the message', () => {
  const long = 'R|1|' + 'x'.repeat(600);
  const frames = encodeAstmRecordFrames(long, 6, true);
  assert.deepEqual(
    frames.map((f) => [f.frameNumber, f.text.length, f.final]),
    [
      [6, 240, false],
      [7, 240, false],
      [0, 125, true],
    ],
  );
  assert.equal(frames.map((f) => f.text).join(''), long + '\r');
  assert.equal(encodeAstmRecordFrames('H|\\^&', 1, false)[0].final, false);
});

const text = fc.string({
  unit: fc.oneof(fc.integer({ min: 0x20, max: 0x7e }), fc.constant(0x0d)).map((c) => String.fromCharCode(c)),
  maxLength: 240,
});
const frame: fc.Arbitrary<AstmFrame> = fc.record({
  frameNumber: fc.integer({ min: 0, max: 7 }),
  text,
  final: fc.boolean(),
});

test('round trip: frames', () => {
  fc.assert(
    fc.property(frame, (f) => {
      const bytes = encodeAstmFrame(f);
      assert.equal(astmFrameLength(bytes), bytes.length);
      const { checksum, ...back } = decodeAstmFrame(bytes);
      assert.deepEqual(back, { ...f });
      assert.ok(checksum >= 0 && checksum <= 255);
    }),
    { numRuns: 3000 },
  );
});

test('fuzz decodeAstmFrame and astmFrameLength: only CodecError', () => {
  const input = fuzzBytes(frame.map(encodeAstmFrame));
  assert.ok(fuzzDecoder(input, decodeAstmFrame) > 0);
  fuzzDecoder(input, astmFrameLength);
});
