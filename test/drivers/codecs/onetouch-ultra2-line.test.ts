import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  decodeOneTouchCommand,
  decodeOneTouchLine,
  encodeOneTouchCommand,
  encodeOneTouchLine,
  oneTouchChecksum,
} from '../../../drivers/codecs/onetouch-ultra2-line.ts';
import { CodecError } from '../../../drivers/codecs/codec-error.ts';
import { fuzzBytes, fuzzDecoder, fuzzText, hexOf } from './serial-codec-fuzz.ts';

const printable = fc.string({
  unit: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)),
  minLength: 1,
  maxLength: 120,
});

test('checksum vectors from glucometerutils', () => {
  assert.equal(oneTouchChecksum('T'), 0x0054);
  assert.equal(oneTouchChecksum('T "SAT","08/03/13","22:12:00   "'), 0x0608);
  assert.equal(
    encodeOneTouchLine('T "SAT","08/03/13","22:12:00   "'),
    'T "SAT","08/03/13","22:12:00   " 0608\r\n',
  );
});

test('command framing: DC1 CR <command> CR', () => {
  assert.equal(hexOf(encodeOneTouchCommand('DM?')), '110d444d3f0d');
  assert.equal(decodeOneTouchCommand(encodeOneTouchCommand('DMP')), 'DMP');
  assert.throws(() => encodeOneTouchCommand(''), { code: 'ERR_INVALID_ARGUMENT' });
  assert.throws(() => encodeOneTouchCommand('DM\r'), { code: 'ERR_MALFORMED' });
});

test('reply lines: valid, invalid checksum, malformed', () => {
  assert.deepEqual(decodeOneTouchLine('@ "12345678O" 0297\r\n'), {
    payload: '@ "12345678O"',
    checksum: 0x0297,
  });
  assert.deepEqual(decodeOneTouchLine('T 0054'), { payload: 'T', checksum: 0x54 });
  assert.throws(() => decodeOneTouchLine('% 1337\r\n'), { code: 'ERR_CHECKSUM_MISMATCH' });
  assert.throws(() => decodeOneTouchLine('T 005'), { code: 'ERR_TOO_SHORT' });
  assert.throws(() => decodeOneTouchLine('TT 00G4'), { code: 'ERR_MALFORMED' });
  assert.throws(() => decodeOneTouchLine('T\x0100 0055'), { code: 'ERR_MALFORMED' });
  assert.throws(() => decodeOneTouchLine('T'.repeat(300) + ' 0000'), { code: 'ERR_TOO_LONG' });
});

test('round trip: line and command', () => {
  fc.assert(
    fc.property(printable, (p) => {
      assert.equal(decodeOneTouchLine(encodeOneTouchLine(p)).payload, p);
      assert.equal(decodeOneTouchCommand(encodeOneTouchCommand(p)), p);
    }),
    { numRuns: 2000 },
  );
});

test('a changed character is caught by the checksum or the framing', () => {
  fc.assert(
    fc.property(printable, fc.nat(), fc.integer({ min: 0x20, max: 0x7e }), (p, pos, c) => {
      const line = encodeOneTouchLine(p);
      const at = pos % (line.length - 2);
      fc.pre(line.charCodeAt(at) !== c);
      const bad = line.slice(0, at) + String.fromCharCode(c) + line.slice(at + 1);
      // A substituted character changes the sum; only a change of case in the hex digits decodes the same.
      try {
        assert.equal(decodeOneTouchLine(bad).payload, p);
        assert.equal(bad.toUpperCase(), line.toUpperCase());
      } catch (err) {
        assert.ok(err instanceof CodecError);
      }
    }),
    { numRuns: 2000 },
  );
});

test('fuzz decodeOneTouchLine: only CodecError', () => {
  const ok = fuzzDecoder(fuzzText(printable.map(encodeOneTouchLine)), decodeOneTouchLine);
  assert.ok(ok > 0);
});

test('fuzz decodeOneTouchCommand: only CodecError', () => {
  assert.ok(fuzzDecoder(fuzzBytes(printable.map(encodeOneTouchCommand)), decodeOneTouchCommand) > 0);
});
