import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { cgmAnnunciationFlags } from '../../../drivers/codecs/cgm-annunciation.ts';
import { decodeCgmStatus, encodeCgmStatus } from '../../../drivers/codecs/cgm-status.ts';
import { parseHex, toHex } from '../../../drivers/codecs/hex.ts';
import { arbU16, arbU8, assertCodecError, fuzzDecoder } from './ble-arbitraries.ts';

describe('CGM Status (spec A.4, A.7)', () => {
  it('S1: 05 00 3F 3F FF A7 E0 → offset 5 min, all status bits set, CRC ok', () => {
    const s = decodeCgmStatus(parseHex('05 00 3F 3F FF A7 E0'), { crc: true });
    assert.deepEqual(s, { timeOffsetMinutes: 5, status: 0x3f, calTemp: 0x3f, warning: 0xff, crc: 'ok' });
    assert.deepEqual(cgmAnnunciationFlags(s), [
      'session-stopped',
      'device-battery-low',
      'sensor-type-incorrect',
      'sensor-malfunction',
      'device-specific-alert',
      'general-device-fault',
      'time-synchronization-required',
      'calibration-not-allowed',
      'calibration-recommended',
      'calibration-required',
      'sensor-temperature-too-high',
      'sensor-temperature-too-low',
      'result-below-patient-low',
      'result-above-patient-high',
      'result-below-hypo',
      'result-above-hyper',
      'rate-of-decrease-exceeded',
      'rate-of-increase-exceeded',
      'result-below-device-range',
      'result-above-device-range',
    ]);
  });

  it('S1 with a wrong CRC → "mismatch"; without CRC → "absent"', () => {
    assert.equal(decodeCgmStatus(parseHex('05 00 3F 3F FF A7 E1')).crc, 'mismatch');
    assert.deepEqual(decodeCgmStatus(parseHex('05 00 01 00 00')), {
      timeOffsetMinutes: 5,
      status: 1,
      calTemp: 0,
      warning: 0,
      crc: 'absent',
    });
  });

  it('invalid lengths and missing CRC', () => {
    assertCodecError(() => decodeCgmStatus(parseHex('05 00 3F 3F')), 'ERR_TOO_SHORT');
    assertCodecError(() => decodeCgmStatus(parseHex('05 00 3F 3F FF A7')), 'ERR_LENGTH_MISMATCH');
    assertCodecError(() => decodeCgmStatus(parseHex('05 00 3F 3F FF A7 E0 00')), 'ERR_LENGTH_MISMATCH');
    assertCodecError(() => decodeCgmStatus(parseHex('05 00 3F 3F FF'), { crc: true }), 'ERR_CRC_MISSING');
  });

  it('encodes S1', () => {
    const v = { timeOffsetMinutes: 5, status: 0x3f, calTemp: 0x3f, warning: 0xff };
    assert.equal(toHex(encodeCgmStatus(v, { crc: true })), '05 00 3f 3f ff a7 e0');
  });

  it('property: encode → decode is the identity', () => {
    fc.assert(
      fc.property(
        arbU16,
        arbU8,
        arbU8,
        arbU8,
        fc.boolean(),
        (timeOffsetMinutes, status, calTemp, warning, crc) => {
          const v = { timeOffsetMinutes, status, calTemp, warning };
          assert.deepEqual(decodeCgmStatus(encodeCgmStatus(v, { crc }), { crc }), {
            ...v,
            crc: crc ? 'ok' : 'absent',
          });
        },
      ),
    );
  });

  it('fuzz: only CodecError', () => {
    assert.ok(fuzzDecoder((b) => decodeCgmStatus(b)) > 0);
    fuzzDecoder((b) => decodeCgmStatus(b, { crc: true }), fc.uint8Array({ maxLength: 9 }));
  });
});
