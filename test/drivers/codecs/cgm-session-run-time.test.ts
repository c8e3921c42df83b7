import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import {
  decodeCgmSessionRunTime,
  encodeCgmSessionRunTime,
} from '../../../drivers/codecs/cgm-session-run-time.ts';
import { parseHex, toHex } from '../../../drivers/codecs/hex.ts';
import { arbU16, assertCodecError, fuzzDecoder } from './ble-arbitraries.ts';

describe('CGM Session Run Time (spec A.4, A.7)', () => {
  it('R1: 02 00 08 C3 → 2 h, CRC ok', () => {
    assert.deepEqual(decodeCgmSessionRunTime(parseHex('02 00 08 C3'), { crc: true }), {
      runTimeHours: 2,
      crc: 'ok',
    });
  });
  it('R1 CRC error case: 02 00 09 C3 → "mismatch"', () => {
    assert.deepEqual(decodeCgmSessionRunTime(parseHex('02 00 09 C3')), { runTimeHours: 2, crc: 'mismatch' });
  });
  it('without CRC: 50 01 → 336 h (14 days)', () => {
    assert.deepEqual(decodeCgmSessionRunTime(parseHex('50 01')), { runTimeHours: 336, crc: 'absent' });
  });
  it('invalid lengths and missing CRC', () => {
    assertCodecError(() => decodeCgmSessionRunTime(parseHex('02')), 'ERR_TOO_SHORT');
    assertCodecError(() => decodeCgmSessionRunTime(parseHex('02 00 08')), 'ERR_LENGTH_MISMATCH');
    assertCodecError(() => decodeCgmSessionRunTime(parseHex('02 00'), { crc: true }), 'ERR_CRC_MISSING');
  });
  it('encodes R1', () => {
    assert.equal(toHex(encodeCgmSessionRunTime({ runTimeHours: 2 }, { crc: true })), '02 00 08 c3');
    assertCodecError(() => encodeCgmSessionRunTime({ runTimeHours: -1 }), 'ERR_INVALID_ARGUMENT');
  });
  it('property: encode → decode is the identity', () => {
    fc.assert(
      fc.property(arbU16, fc.boolean(), (runTimeHours, crc) => {
        assert.deepEqual(
          decodeCgmSessionRunTime(encodeCgmSessionRunTime({ runTimeHours }, { crc }), { crc }),
          {
            runTimeHours,
            crc: crc ? 'ok' : 'absent',
          },
        );
      }),
    );
  });
  it('fuzz: only CodecError', () => {
    assert.ok(fuzzDecoder((b) => decodeCgmSessionRunTime(b), fc.uint8Array({ maxLength: 6 })) > 0);
    fuzzDecoder((b) => decodeCgmSessionRunTime(b, { crc: true }));
  });
});
