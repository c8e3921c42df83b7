// Verio register messages and the SCSI command blocks that carry them. Byte vectors are the request grammars
// of glucometer-protocols lifescan/onetouch-verio-2015.md (STX, length, 00, message, ETX, CRC-CCITT LE).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { CodecError } from '../../../drivers/codecs/codec-error.ts';
import { crc16CcittFalse } from '../../../drivers/codecs/onetouch-crc.ts';
import {
  decodeScsiCdb,
  encodeInquiryData,
  inquiryCdb,
  inquiryVendor,
  read10Cdb,
  write10Cdb,
} from '../../../drivers/codecs/scsi-cdb.ts';
import {
  VERIO_EPOCH_OFFSET,
  decodeVerioBlock,
  decodeVerioQuery,
  decodeVerioRecord,
  decodeVerioRequest,
  decodeVerioRtc,
  encodeVerioBlock,
  encodeVerioQuery,
  encodeVerioRecord,
  encodeVerioRequest,
  verioLocalTime,
} from '../../../drivers/codecs/verio-messages.ts';

const withCrc = (bytes: number[]): number[] => {
  const c = crc16CcittFalse(Uint8Array.from(bytes));
  return [...bytes, c & 0xff, c >> 8];
};

test('requests as the protocol notes spell them: QUERY serial, READ RTC, READ RECORD COUNT, READ RECORD', () => {
  const packet = (req: Parameters<typeof encodeVerioRequest>[0]) => {
    const b = encodeVerioBlock(encodeVerioRequest(req));
    assert.equal(b.length, 512);
    assert.ok(
      b.subarray(b[1]).every((x) => x === 0),
      'zero padding',
    );
    return [...b.subarray(0, b[1])];
  };
  assert.deepEqual(
    packet({ kind: 'query', selector: 'serial' }),
    withCrc([0x02, 0x0a, 0x00, 0x03, 0xe6, 0x02, 0x00, 0x03]),
  );
  assert.deepEqual(packet({ kind: 'read-rtc' }), withCrc([0x02, 0x09, 0x00, 0x03, 0x20, 0x02, 0x03]));
  assert.deepEqual(packet({ kind: 'record-count' }), withCrc([0x02, 0x09, 0x00, 0x03, 0x27, 0x00, 0x03]));
  assert.deepEqual(
    packet({ kind: 'record', index: 0x0102 }),
    withCrc([0x02, 0x0c, 0x00, 0x03, 0x31, 0x02, 0x02, 0x01, 0x00, 0x03]),
  );
});

test('READ RECORD answer: 24-byte packet, timestamp counted from 2000-01-01 (otverio2015.py epoch 946684800)', () => {
  assert.equal(VERIO_EPOCH_OFFSET, 946684800);
  const msg = encodeVerioRecord({
    inverseCounter: 7,
    lifetimeCounter: 1234,
    timestamp: 0,
    value: 123,
    meal: 'before',
  });
  assert.equal(encodeVerioBlock(msg)[1], 0x18);
  const r = decodeVerioRecord(msg);
  assert.deepEqual(
    [r.localTime, r.value, r.meal, r.inverseCounter, r.lifetimeCounter],
    ['2000-01-01T00:00:00', 123, 'before', 7, 1234],
  );
  assert.throws(() => decodeVerioRecord(Uint8Array.of(0x03, 0x09)), { code: 'ERR_INVALID_OPERAND' });
});

test('QUERY answers are NUL-terminated UTF-16-LE; RTC is u32 LE', () => {
  assert.equal(decodeVerioQuery(Uint8Array.of(0x03, 0x06, 0x41, 0, 0x42, 0, 0, 0)), 'AB');
  assert.equal(decodeVerioRtc(Uint8Array.of(0x03, 0x06, 0x3c, 0, 0, 0)).localTime, '2000-01-01T00:01:00');
  assert.throws(() => decodeVerioQuery(Uint8Array.of(0x03, 0x06, 0x41, 0)), { code: 'ERR_MALFORMED' });
});

test('a block with a bad CRC or link-control bits is refused', () => {
  const b = encodeVerioBlock(Uint8Array.of(0x03, 0x06));
  const bad = b.slice();
  bad[bad[1] - 1] ^= 1;
  assert.throws(() => decodeVerioBlock(bad), { code: 'ERR_CRC_MISMATCH' });
});

test('SCSI CDBs: INQUIRY as in sg_raw --help (12 00 00 00 60 00), READ/WRITE(10) with no flags', () => {
  assert.deepEqual([...inquiryCdb(0x60)], [0x12, 0, 0, 0, 0x60, 0]);
  assert.deepEqual([...read10Cdb(3)], [0x28, 0, 0, 0, 0, 3, 0, 0, 1, 0]);
  assert.deepEqual([...write10Cdb(4)], [0x2a, 0, 0, 0, 0, 4, 0, 0, 1, 0]);
  assert.deepEqual(decodeScsiCdb(write10Cdb(4)), { op: 'write10', lba: 4, blocks: 1 });
  assert.equal(inquiryVendor(encodeInquiryData('LifeScan')), 'LifeScan');
  assert.throws(() => decodeScsiCdb(Uint8Array.of(0x28, 0x08, 0, 0, 0, 3, 0, 0, 1, 0)), {
    code: 'ERR_RESERVED_VALUE',
  });
});

test('property: requests, records and blocks round-trip; random blocks decode or throw a CodecError', () => {
  const req = fc.oneof(
    fc
      .constantFrom('serial', 'model', 'software' as const)
      .map((selector) => ({ kind: 'query' as const, selector })),
    fc.constant({ kind: 'read-rtc' as const }),
    fc.constant({ kind: 'record-count' as const }),
    fc.integer({ min: 0, max: 0xffff }).map((index) => ({ kind: 'record' as const, index })),
  );
  fc.assert(
    fc.property(req, (r) =>
      assert.deepEqual(decodeVerioRequest(decodeVerioBlock(encodeVerioBlock(encodeVerioRequest(r)))), r),
    ),
  );
  fc.assert(
    fc.property(
      fc.record({
        inverseCounter: fc.integer({ min: 0, max: 0xffff }),
        lifetimeCounter: fc.integer({ min: 0, max: 0xffff }),
        timestamp: fc.integer({ min: 0, max: 0xffffffff }),
        value: fc.integer({ min: 0, max: 0xffff }),
        meal: fc.constantFrom('none', 'before', 'after' as const),
      }),
      (r) =>
        assert.deepEqual(decodeVerioRecord(encodeVerioRecord(r)), {
          ...r,
          localTime: verioLocalTime(r.timestamp),
        }),
    ),
  );
  fc.assert(
    fc.property(fc.string({ maxLength: 30 }), (s) =>
      assert.equal(decodeVerioQuery(encodeVerioQuery(s.replace(/\0/g, ''))), s.replace(/\0/g, '')),
    ),
  );
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 64 }), (b) => {
      try {
        decodeVerioBlock(b);
      } catch (e) {
        assert.ok(e instanceof CodecError, String(e));
      }
    }),
  );
});
