import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import {
  decodeGlucoseFeature,
  encodeGlucoseFeature,
  glucoseFeatureNames,
} from '../../../drivers/codecs/glucose-feature.ts';
import { parseHex, toHex } from '../../../drivers/codecs/hex.ts';
import { arbU16, assertCodecError, fuzzDecoder } from './ble-arbitraries.ts';

describe('Glucose Feature (spec B.4)', () => {
  it('FF 07 → all eleven defined features', () => {
    const f = decodeGlucoseFeature(parseHex('FF 07'));
    assert.deepEqual(f, { features: 0x07ff });
    assert.deepEqual(glucoseFeatureNames(f.features), [
      'low-battery-detection',
      'sensor-malfunction-detection',
      'sample-size',
      'strip-insertion-error-detection',
      'strip-type-error-detection',
      'result-high-low-detection',
      'temperature-high-low-detection',
      'read-interrupt-detection',
      'general-device-fault',
      'time-fault',
      'multiple-bond',
    ]);
  });

  it('03 04 → low battery, malfunction, multiple bond; reserved bits kept, unnamed', () => {
    assert.deepEqual(glucoseFeatureNames(decodeGlucoseFeature(parseHex('03 04')).features), [
      'low-battery-detection',
      'sensor-malfunction-detection',
      'multiple-bond',
    ]);
    assert.deepEqual(decodeGlucoseFeature(parseHex('00 80')), { features: 0x8000 });
    assert.deepEqual(glucoseFeatureNames(0x8000), []);
  });

  it('invalid lengths', () => {
    assertCodecError(() => decodeGlucoseFeature(parseHex('FF')), 'ERR_TOO_SHORT');
    assertCodecError(() => decodeGlucoseFeature(parseHex('FF 07 00')), 'ERR_TOO_LONG');
  });

  it('encodes', () => {
    assert.equal(toHex(encodeGlucoseFeature({ features: 0x0403 })), '03 04');
  });

  it('property: encode → decode is the identity', () => {
    fc.assert(
      fc.property(arbU16, (features) =>
        assert.deepEqual(decodeGlucoseFeature(encodeGlucoseFeature({ features })), { features }),
      ),
    );
  });

  it('fuzz: only CodecError', () => {
    assert.ok(fuzzDecoder(decodeGlucoseFeature, fc.uint8Array({ maxLength: 4 })) > 0);
  });
});
