import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { decodeContourNextResult } from '../../../drivers/codecs/contour-next-result.ts';
import { CodecError } from '../../../drivers/codecs/codec-error.ts';

test('Tidepool bayerContourNext.js sample record: 93 mg/dL plasma, markers A/M0/T1, no control', () => {
  const r = decodeContourNextResult('R|3|^^^Glucose|93|mg/dL^P||A/M0/T1||201505261150');
  assert.equal(r.sequence, 3);
  assert.equal(r.value, 93);
  assert.equal(r.unit, 'mg/dL');
  assert.equal(r.method, 'plasma');
  assert.equal(r.markerText, 'A/M0/T1');
  assert.equal(r.control, false);
  assert.equal(r.localTime, '2015-05-26T11:50:00');
});

test('glucometerutils test vector R|8|…|B/X: markers kept, no control', () => {
  const r = decodeContourNextResult('R|8|^^^Glucose|133|mg/dL^P||B/X||201202052034');
  assert.deepEqual(r.marks, ['B', 'X']);
  assert.equal(r.control, false);
});

test('marker C is a control-solution test (Tidepool `isControl`); < and > are range flags', () => {
  assert.equal(decodeContourNextResult('R|4|^^^Glucose|105|mg/dL^P||C/M0/T1||201505261150').control, true);
  assert.equal(decodeContourNextResult('R|5|^^^Glucose|10|mg/dL^P||</M0||201505261150').flag, 'low');
  assert.equal(decodeContourNextResult('R|6|^^^Glucose|600|mg/dL^P||>||20150526115012').flag, 'high');
  assert.throws(
    () => decodeContourNextResult('R|7|^^^Glucose|93|mg/dL^P||A/~~||201505261150'),
    (e) => e instanceof CodecError,
  );
});

test('property: random text decodes or throws a CodecError', () => {
  fc.assert(
    fc.property(fc.string({ maxLength: 80 }), (s) => {
      try {
        decodeContourNextResult(`R|1|^^^Glucose|${s}`);
      } catch (e) {
        assert.ok(e instanceof CodecError, String(e));
      }
    }),
  );
});
