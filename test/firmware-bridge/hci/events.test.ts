import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { CodecError } from '../../../drivers/codecs/codec-error.ts';
import { addressFromBytes, addressToBytes } from '../../../firmware-bridge/hci/address.ts';
import {
  AdType,
  buildAdvertisingPayloads,
  decodeAdStructures,
  encodeAdStructures,
} from '../../../firmware-bridge/hci/advertising.ts';
import {
  AdvType,
  commandComplete,
  commandStatus,
  disconnectionComplete,
  leAdvertisingReport,
  leConnectionComplete,
  leEnhancedConnectionComplete,
  numberOfCompletedPackets,
} from '../../../firmware-bridge/hci/events.ts';
import { Op } from '../../../firmware-bridge/hci/hci-constants.ts';
import { parseUuid } from '../../../firmware-bridge/hci/uuid.ts';

const hex = (s: string): Buffer => Buffer.from(s.replace(/\s/g, ''), 'hex');

test('events are byte-exact with the verified reply table (spec E.7)', () => {
  assert.deepEqual(commandComplete(Op.reset, 0), hex('04 0E 04 01 03 0C 00'));
  assert.deepEqual(
    commandComplete(Op.readBdAddr, 0, addressToBytes('ff:ee:dd:cc:bb:aa')),
    hex('04 0E 0A 01 09 10 00 AA BB CC DD EE FF'),
  );
  assert.deepEqual(
    commandComplete(Op.leReadBufferSize, 0, hex('1B 00 08')),
    hex('04 0E 07 01 02 20 00 1B 00 08'),
  );
  assert.deepEqual(commandStatus(Op.leCreateConnection, 0), hex('04 0F 04 00 01 0D 20'));
  assert.deepEqual(commandStatus(Op.disconnect, 0), hex('04 0F 04 00 01 06 04'));
  assert.deepEqual(disconnectionComplete(0x40, 0x16), hex('04 05 04 00 40 00 16'));
  assert.deepEqual(numberOfCompletedPackets([{ handle: 0x40, count: 1 }]), hex('04 13 05 01 40 00 01 00'));
  assert.deepEqual(
    leConnectionComplete({
      status: 0,
      handle: 0x40,
      role: 0,
      peerAddressType: 'public',
      peerAddress: '11:22:33:44:55:66',
      interval: 0x18,
      latency: 0,
      supervisionTimeout: 0x2a,
    }),
    hex('04 3E 13 01 00 40 00 00 00 66 55 44 33 22 11 18 00 00 00 2A 00 00'),
  );
});

test('advertising payloads and reports match the verified ADV_IND / SCAN_RSP rows', () => {
  const { adv, scanRsp } = buildAdvertisingPayloads({ name: 'Virt CGM', serviceUuids: ['181f', 0x1808] });
  assert.deepEqual(adv, hex('02 01 06 05 03 1F 18 08 18'));
  assert.deepEqual(
    leAdvertisingReport(AdvType.advInd, 'public', '11:22:33:44:55:66', adv, -60),
    hex('04 3E 15 02 01 00 00 66 55 44 33 22 11 09 02 01 06 05 03 1F 18 08 18 C4'),
  );
  assert.deepEqual(
    leAdvertisingReport(AdvType.scanRsp, 'public', '11:22:33:44:55:66', scanRsp, -60),
    hex('04 3E 16 02 01 04 00 66 55 44 33 22 11 0A 09 09 56 69 72 74 20 43 47 4D C4'),
  );
});

test('the enhanced connection complete carries the RPAs and is 31 bytes of parameters', () => {
  const e = leEnhancedConnectionComplete({
    status: 0,
    handle: 0x41,
    role: 0,
    peerAddressType: 'random',
    peerAddress: 'c0:00:00:00:00:01',
    interval: 6,
    latency: 0,
    supervisionTimeout: 42,
  });
  assert.equal(e[2], 31);
  assert.equal(e[3], 0x0a);
  assert.equal(e.readUInt16LE(5), 0x41);
});

test('128-bit UUIDs are advertised reversed; too much advertising data is refused', () => {
  const { adv } = buildAdvertisingPayloads({ serviceUuids: ['6e400001-b5a3-f393-e0a9-e50e24dcca9e'] });
  const ads = decodeAdStructures(adv);
  assert.equal(ads[1].type, AdType.complete128);
  assert.equal(Buffer.from(ads[1].data).reverse().toString('hex'), '6e400001b5a3f393e0a9e50e24dcca9e');
  assert.throws(() => buildAdvertisingPayloads({ name: 'x'.repeat(30) }), {
    name: 'CodecError',
    code: 'ERR_TOO_LONG',
  });
});

test('UUID and address spelling', () => {
  assert.equal(parseUuid('0x181F').key, '181f');
  assert.equal(parseUuid('2A00').key, '2a00');
  assert.equal(parseUuid(0x0001).key, '1');
  assert.equal(parseUuid('6E400001-B5A3-F393-E0A9-E50E24DCCA9E').key, '6e400001b5a3f393e0a9e50e24dcca9e');
  assert.throws(() => parseUuid('12345'), CodecError);
  assert.throws(() => addressToBytes('11:22:33'), { name: 'CodecError', code: 'ERR_INVALID_ARGUMENT' });
});

test('property: AD structures and addresses round trip; arbitrary AD bytes decode or throw CodecError', () => {
  fc.assert(
    fc.property(
      fc.array(fc.record({ type: fc.integer({ min: 0, max: 255 }), data: fc.uint8Array({ maxLength: 20 }) })),
      (structs) => {
        const expected = structs.map((s) => ({ type: s.type, data: Buffer.from(s.data) }));
        assert.deepEqual(decodeAdStructures(encodeAdStructures(expected)), expected);
      },
    ),
  );
  fc.assert(
    fc.property(fc.uint8Array({ minLength: 6, maxLength: 6 }), (b) => {
      assert.deepEqual(addressToBytes(addressFromBytes(b)), Buffer.from(b));
    }),
  );
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 40 }), (b) => {
      try {
        decodeAdStructures(b);
      } catch (e) {
        assert.ok(e instanceof CodecError);
      }
    }),
  );
});
