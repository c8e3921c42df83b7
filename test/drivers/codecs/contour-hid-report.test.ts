import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { decodeAstmFrame } from '../../../drivers/codecs/astm-frame.ts';
import {
  ContourMessageAssembler,
  decodeContourReport,
  encodeContourMessage,
  encodeContourReport,
} from '../../../drivers/codecs/contour-hid-report.ts';
import { CodecError } from '../../../drivers/codecs/codec-error.ts';
import { contourItems } from '../../../drivers/usb/contour-usb-session.ts';

// glucometerutils drivers/tests/test_contourusb.py `header_record`: the meter's answer to EOT.
const HEADER_MESSAGE = Buffer.from(
  '\x04\x021H|\\^&||7w3LBL|Bayer7390^01.24\\01.04\\09.02.20^7390-2336773^7403-|A=1^C=63^G=1^I=0200^R=0^S=1^U=0^V=10600^X=070070070070180130150250^Y=360126090050099050300089^Z=1|1714||||||1|201909221304\r\x17D7\r\n\x05',
  'latin1',
);

test('a one-byte host message is "ABC", length 1, the byte, zero padding (glucometerutils `write`)', () => {
  const r = encodeContourReport(Uint8Array.of(0x04));
  assert.equal(r.length, 64);
  assert.deepEqual([...r.subarray(0, 5)], [0x41, 0x42, 0x43, 0x01, 0x04]);
  assert.ok(r.subarray(5).every((b) => b === 0));
});

test('the glucometerutils header message survives report framing; its frame checksum D7 verifies', () => {
  const reports = encodeContourMessage(HEADER_MESSAGE);
  assert.equal(reports.length, Math.ceil(HEADER_MESSAGE.length / 60));
  assert.deepEqual(
    reports.slice(0, -1).map((r) => r[3]),
    new Array(reports.length - 1).fill(60),
  );
  const asm = new ContourMessageAssembler();
  const outs = reports.map((r) => asm.push(r));
  assert.deepEqual(outs.slice(0, -1), new Array(reports.length - 1).fill(null));
  const message = outs.at(-1)!;
  assert.deepEqual(Buffer.from(message), HEADER_MESSAGE);
  const items = contourItems(message);
  assert.deepEqual(
    items.map((i) => ('control' in i ? i.control : 'frame')),
    [0x04, 'frame', 0x05],
  );
  const frame = decodeAstmFrame((items[1] as { frame: Uint8Array }).frame);
  assert.equal(frame.checksum, 0xd7);
  assert.equal(frame.frameNumber, 1);
  assert.equal(frame.final, false);
});

test('Tidepool leaves the prefix blank: it is not checked; a length over 60 is', () => {
  const blank = new Uint8Array(64);
  blank[3] = 1;
  blank[4] = 0x06;
  assert.deepEqual([...decodeContourReport(blank).payload], [0x06]);
  blank[3] = 61;
  assert.throws(
    () => decodeContourReport(blank),
    (e) => e instanceof CodecError && e.code === 'ERR_OUT_OF_RANGE',
  );
  assert.throws(() => decodeContourReport(new Uint8Array(3)), { code: 'ERR_TOO_SHORT' });
  assert.throws(() => encodeContourReport(new Uint8Array(61)), { code: 'ERR_TOO_LONG' });
});

test('property: any message round-trips through reports and the assembler', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 400 }), (m) => {
      const asm = new ContourMessageAssembler();
      const outs = encodeContourMessage(m).map((r) => asm.push(r));
      assert.deepEqual(outs.at(-1), m);
      assert.ok(outs.slice(0, -1).every((o) => o === null));
    }),
  );
});

test('property: decoding random reports returns a payload or a CodecError, nothing else', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 70 }), (r) => {
      try {
        const d = decodeContourReport(r);
        assert.ok(d.payload.length <= 60);
      } catch (e) {
        assert.ok(e instanceof CodecError);
      }
    }),
  );
});
