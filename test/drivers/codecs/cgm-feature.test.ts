import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import {
  cgmFeatureNames,
  cgmSupportsE2eCrc,
  decodeCgmFeature,
  encodeCgmFeature,
} from '../../../drivers/codecs/cgm-feature.ts';
import { parseHex, toHex } from '../../../drivers/codecs/hex.ts';
import { sampleLocationName, sampleTypeName } from '../../../drivers/codecs/sample-type.ts';
import { arbNibble, assertCodecError, fuzzDecoder } from './ble-arbitraries.ts';

describe('CGM Feature (spec A.3, A.7)', () => {
  it('F1: 6E 9E 01 16 8A C1 → features 0x019E6E, arterial plasma, finger, CRC ok', () => {
    const f = decodeCgmFeature(parseHex('6E 9E 01 16 8A C1'));
    assert.deepEqual(f, { features: 0x019e6e, sampleType: 6, sampleLocation: 1, crc: 'ok' });
    assert.deepEqual(cgmFeatureNames(f.features), [
      'patient-high-low-alerts',
      'hypo-alerts',
      'hyper-alerts',
      'device-specific-alert',
      'sensor-malfunction-detection',
      'low-battery-detection',
      'sensor-type-error-detection',
      'general-device-fault',
      'e2e-crc',
      'cgm-trend-information',
      'cgm-quality',
    ]);
    assert.equal(cgmSupportsE2eCrc(f), true);
    assert.equal(sampleTypeName(f.sampleType), 'arterial-plasma');
    assert.equal(sampleLocationName(f.sampleLocation), 'finger');
  });

  it('F1 with a corrupted CRC → crc "mismatch"', () => {
    assert.equal(decodeCgmFeature(parseHex('6E 9E 01 16 8A C2')).crc, 'mismatch');
  });

  it('E2E-CRC not supported: CRC field 0xFFFF, reported "absent"', () => {
    const bytes = parseHex('01 00 00 95 FF FF');
    assert.deepEqual(decodeCgmFeature(bytes), {
      features: 1,
      sampleType: 5,
      sampleLocation: 9,
      crc: 'absent',
    });
    assert.equal(
      toHex(encodeCgmFeature({ features: 1, sampleType: 5, sampleLocation: 9 })),
      '01 00 00 95 ff ff',
    );
  });

  it('encodes F1 back to the same bytes', () => {
    assert.equal(
      toHex(encodeCgmFeature({ features: 0x019e6e, sampleType: 6, sampleLocation: 1 })),
      '6e 9e 01 16 8a c1',
    );
  });

  it('invalid lengths', () => {
    assertCodecError(() => decodeCgmFeature(parseHex('6E 9E 01 16')), 'ERR_TOO_SHORT');
    assertCodecError(() => decodeCgmFeature(parseHex('6E 9E 01 16 8A C1 00')), 'ERR_TOO_LONG');
    assertCodecError(
      () => encodeCgmFeature({ features: 1 << 24, sampleType: 1, sampleLocation: 1 }),
      'ERR_INVALID_ARGUMENT',
    );
  });

  it('property: encode → decode is the identity', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 0xffffff }),
        arbNibble,
        arbNibble,
        (features, sampleType, sampleLocation) => {
          const v = { features, sampleType, sampleLocation };
          const crc = features & (1 << 12) ? 'ok' : 'absent';
          assert.deepEqual(decodeCgmFeature(encodeCgmFeature(v)), { ...v, crc });
        },
      ),
    );
  });

  it('fuzz: only CodecError', () => {
    fuzzDecoder(decodeCgmFeature);
    assert.ok(fuzzDecoder(decodeCgmFeature, fc.uint8Array({ minLength: 6, maxLength: 6 })) === 100_000);
  });
});
