import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import type { UltraEasyRequest } from '../../../drivers/codecs/onetouch-ultraeasy-messages.ts';
import {
  decodeUltraEasyClock,
  decodeUltraEasyRecord,
  decodeUltraEasyRecordCount,
  decodeUltraEasyRequest,
  decodeUltraEasySerial,
  decodeUltraEasyUnit,
  decodeUltraEasyVersion,
  encodeUltraEasyClock,
  encodeUltraEasyRecord,
  encodeUltraEasyRecordCount,
  encodeUltraEasyRequest,
  encodeUltraEasySerial,
  encodeUltraEasyUnit,
  encodeUltraEasyVersion,
  ultraEasyLocalTime,
  ultraEasySeconds,
} from '../../../drivers/codecs/onetouch-ultraeasy-messages.ts';
import { fromHex, fuzzBytes, fuzzDecoder, hexOf } from './serial-codec-fuzz.ts';

test('request bytes', () => {
  assert.equal(hexOf(encodeUltraEasyRequest({ kind: 'version' })), '050d02');
  assert.equal(hexOf(encodeUltraEasyRequest({ kind: 'read-clock' })), '05200200000000');
  assert.equal(hexOf(encodeUltraEasyRequest({ kind: 'unit' })), '0509020900000000');
  assert.equal(hexOf(encodeUltraEasyRequest({ kind: 'record-count' })), '051ff501');
  assert.equal(hexOf(encodeUltraEasyRequest({ kind: 'record', index: 3 })), '051f0300');
  // The spec's zero-padded serial request is recognised as well as glucometerutils' one.
  assert.deepEqual(decodeUltraEasyRequest(fromHex('050b02000000000000000000')), { kind: 'serial' });
  assert.throws(() => decodeUltraEasyRequest(fromHex('051ff401')), { code: 'ERR_OUT_OF_RANGE' });
  assert.throws(() => decodeUltraEasyRequest(fromHex('0577')), { code: 'ERR_UNKNOWN_OPCODE' });
});

test('responses', () => {
  assert.equal(decodeUltraEasyVersion(fromHex('0506 04 50 30 32 41')), 'P02A');
  assert.equal(decodeUltraEasySerial(fromHex('0506 43 33 33 34 00')), 'C334');
  const clock = decodeUltraEasyClock(encodeUltraEasyClock(ultraEasySeconds('2013-08-03T22:12:00')));
  assert.equal(clock.localTime, '2013-08-03T22:12:00');
  assert.equal(decodeUltraEasyUnit(fromHex('0506 01 000000')), 'mmol/L');
  assert.throws(() => decodeUltraEasyUnit(fromHex('0506 02 000000')), { code: 'ERR_RESERVED_VALUE' });
  assert.equal(decodeUltraEasyRecordCount(fromHex('050f 2c01')), 300);
  assert.deepEqual(decodeUltraEasyRecord(fromHex('0506 00000000 7b000000')), {
    timestamp: 0,
    localTime: '1970-01-01T00:00:00',
    value: 123,
  });
  assert.throws(() => decodeUltraEasyRecord(fromHex('0515 00000000 7b000000')), { code: 'ERR_MALFORMED' });
  assert.throws(() => decodeUltraEasyRecord(fromHex('0506 00000000 7b00')), { code: 'ERR_TOO_SHORT' });
  assert.throws(() => decodeUltraEasyRecord(fromHex('0506 00000000 7b00000000')), {
    code: 'ERR_LENGTH_MISMATCH',
  });
  assert.throws(() => ultraEasySeconds('2013-02-30T00:00:00'), { code: 'ERR_OUT_OF_RANGE' });
});

const request: fc.Arbitrary<UltraEasyRequest> = fc.oneof(
  fc.constantFrom<UltraEasyRequest>(
    { kind: 'version' },
    { kind: 'serial' },
    { kind: 'read-clock' },
    { kind: 'unit' },
    { kind: 'record-count' },
  ),
  fc.integer({ min: 0, max: 499 }).map((index): UltraEasyRequest => ({ kind: 'record', index })),
);
const u32 = fc.integer({ min: 0, max: 0xffffffff });
const text = fc.string({
  unit: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)),
  minLength: 1,
  maxLength: 40,
});

test('round trips', () => {
  fc.assert(
    fc.property(request, (r) => assert.deepEqual(decodeUltraEasyRequest(encodeUltraEasyRequest(r)), r)),
  );
  fc.assert(
    fc.property(u32, u32, (timestamp, value) => {
      const r = decodeUltraEasyRecord(encodeUltraEasyRecord({ timestamp, value }));
      assert.equal(r.timestamp, timestamp);
      assert.equal(r.value, value);
      assert.equal(ultraEasySeconds(r.localTime), timestamp);
      assert.equal(decodeUltraEasyClock(encodeUltraEasyClock(timestamp)).timestamp, timestamp);
    }),
    { numRuns: 2000 },
  );
  fc.assert(
    fc.property(text, fc.integer({ min: 0, max: 500 }), (t, n) => {
      assert.equal(decodeUltraEasyVersion(encodeUltraEasyVersion(t)), t);
      assert.equal(decodeUltraEasySerial(encodeUltraEasySerial(t)), t);
      assert.equal(decodeUltraEasyRecordCount(encodeUltraEasyRecordCount(n)), n);
    }),
    { numRuns: 1000 },
  );
  for (const u of ['mg/dL', 'mmol/L'] as const) assert.equal(decodeUltraEasyUnit(encodeUltraEasyUnit(u)), u);
  assert.equal(ultraEasyLocalTime(0xffffffff), '2106-02-07T06:28:15');
});

test('fuzz message decoders: only CodecError', () => {
  const valid = fc.oneof(
    request.map(encodeUltraEasyRequest),
    fc.tuple(u32, u32).map(([timestamp, value]) => encodeUltraEasyRecord({ timestamp, value })),
    text.map(encodeUltraEasyVersion),
    text.map(encodeUltraEasySerial),
    u32.map(encodeUltraEasyClock),
    fc.constantFrom('mg/dL' as const, 'mmol/L' as const).map(encodeUltraEasyUnit),
    fc.integer({ min: 0, max: 500 }).map(encodeUltraEasyRecordCount),
  );
  const bytes = fuzzBytes(valid, 24);
  assert.ok(fuzzDecoder(bytes, decodeUltraEasyRequest) > 0);
  assert.ok(fuzzDecoder(bytes, decodeUltraEasyRecord) > 0);
  assert.ok(fuzzDecoder(bytes, decodeUltraEasyVersion) > 0);
  assert.ok(fuzzDecoder(bytes, decodeUltraEasySerial) > 0);
  assert.ok(fuzzDecoder(bytes, decodeUltraEasyClock) > 0);
  assert.ok(fuzzDecoder(bytes, decodeUltraEasyUnit) > 0);
  assert.ok(fuzzDecoder(bytes, decodeUltraEasyRecordCount) > 0);
});
