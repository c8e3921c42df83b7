import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import type { ContourResultFields } from '../../../drivers/codecs/astm-contour.ts';
import {
  contourLocalTime,
  contourMeterTime,
  decodeContourHeader,
  decodeContourResult,
  decodeContourTerminator,
  encodeContourHeader,
  encodeContourResult,
  encodeContourTerminator,
} from '../../../drivers/codecs/astm-contour.ts';
import { decodeAstmRecord } from '../../../drivers/codecs/astm-record.ts';
import { fuzzDecoder, fuzzText } from './serial-codec-fuzz.ts';

const HEADER =
  'H|\\^&||7w3LBL|Bayer7390^01.24\\01.04\\09.02.20^7390-2336773^7403-|A=1^C=63^G=1^I=0200^R=0^S=1^U=0^' +
  'V=10600^X=070070070070180130150250^Y=360126090050099050300089^Z=1|1714||||||1|201909221304';

test('Contour USB header (glucometerutils vector)', () => {
  const h = decodeContourHeader(HEADER);
  assert.equal(h.product, 'Bayer7390');
  assert.deepEqual(h.versions, ['01.24', '01.04', '09.02.20']);
  assert.equal(h.serial, '7390-2336773');
  assert.equal(h.sku, '7403-');
  assert.equal(h.unit, 'mg/dL');
  assert.deepEqual(h.range, { low: 10, high: 600 });
  assert.equal(h.config.X, '070070070070180130150250');
  assert.equal(h.recordCount, 1714);
  assert.equal(h.specVersion, '1');
  assert.equal(h.meterTime, '201909221304');
  assert.equal(h.localTime, '2019-09-22T13:04:00');
  assert.equal(encodeContourHeader(h), HEADER);
  assert.equal(decodeContourHeader(HEADER.replace('U=0', 'U=1')).unit, 'mmol/L');
  assert.throws(() => decodeContourHeader(HEADER.replace('U=0', 'U=7')), { code: 'ERR_MALFORMED' });
  assert.throws(() => decodeContourHeader('H|\\^&||x'), { code: 'ERR_MALFORMED' });
  assert.throws(() => decodeContourHeader('P|1'), { code: 'ERR_MALFORMED' });
});

test('short result layout (glucometerutils vector)', () => {
  const r = decodeContourResult('R|8|^^^Glucose|133|mg/dL^P||B/X||201202052034');
  assert.deepEqual(
    { ...r },
    {
      sequence: 8,
      analyte: 'Glucose',
      value: 133,
      valueText: '133',
      unit: 'mg/dL',
      method: 'plasma',
      annotations: [],
      marks: ['B', 'X'],
      control: false,
      meterTime: '201202052034',
      localTime: '2012-02-05T20:34:00',
    },
  );
  assert.equal(decodeContourResult('R|9|^^^Glucose|10|mg/dL^P||</A||201202052034').flag, 'low');
});

test('long result layout (Tidepool): annotations, marks, control solution', () => {
  const hi = decodeContourResult('R|2|^^^Glucose|600|mg/dL^P||>\\T|A||||201202052034');
  assert.equal(hi.flag, 'high');
  assert.deepEqual(hi.annotations, ['>', 'T']);
  assert.deepEqual(hi.marks, ['A']);
  const ctl = decodeContourResult('R|3|^^^Glucose|5.6|mmol/L^B|||D|E|||201202052034');
  assert.equal(ctl.control, true);
  assert.equal(ctl.value, 5.6);
  assert.equal(ctl.unit, 'mmol/L');
  assert.equal(ctl.method, 'whole-blood');
  assert.throws(() => decodeContourResult('R|3|^^^Glucose|5,6|mmol/L^B|||D|E|||201202052034'), {
    code: 'ERR_MALFORMED',
  });
  assert.throws(() => decodeContourResult('R|3|^^^Glucose|56|mg/l^B|||D|E|||201202052034'), {
    code: 'ERR_MALFORMED',
  });
  assert.throws(() => decodeContourResult('R|3|^^^Glucose|56|mg/dL^B||<\\>|||||201202052034'), {
    code: 'ERR_FLAGS_INCONSISTENT',
  });
  assert.throws(() => decodeContourResult('R|3|^^^Glucose|56|mg/dL^B|||||||201213052034'), {
    code: 'ERR_OUT_OF_RANGE',
  });
  assert.throws(() => decodeContourResult('R|3|^^^Glucose|56|mg/dL^B|||'), { code: 'ERR_MALFORMED' });
});

test('terminator and times', () => {
  assert.deepEqual(decodeContourTerminator('L|1||N'), { code: 'N' });
  assert.deepEqual(decodeContourTerminator('L|1'), { code: 'N' });
  assert.deepEqual(decodeContourTerminator(decodeAstmRecord('L|1||T')), { code: 'T' });
  assert.throws(() => decodeContourTerminator('L|1||Z'), { code: 'ERR_MALFORMED' });
  assert.equal(encodeContourTerminator(), 'L|1||N');
  assert.equal(contourLocalTime('20240331023000'), '2024-03-31T02:30:00');
  assert.equal(contourMeterTime('2024-03-31T02:30:59'), '202403310230');
  assert.throws(() => contourLocalTime('202402300000'), { code: 'ERR_OUT_OF_RANGE' });
});

const meterTime = fc
  .date({ min: new Date('2000-01-01T00:00:00Z'), max: new Date('2099-12-31T23:59:00Z'), noInvalidDate: true })
  .map((d) => contourMeterTime(d.toISOString().slice(0, 19)));

const resultFields: fc.Arbitrary<ContourResultFields> = fc.record({
  sequence: fc.integer({ min: 0, max: 99999 }),
  valueText: fc.oneof(fc.integer({ min: 0, max: 9999 }).map(String), fc.stringMatching(/^\d{1,2}\.\d$/)),
  unit: fc.constantFrom('mg/dL' as const, 'mmol/L' as const),
  method: fc.constantFrom('plasma' as const, 'whole-blood' as const, 'capillary' as const, 'other' as const),
  annotations: fc.constantFrom<string[]>([], ['<'], ['>'], ['T'], ['>', 'T']),
  marks: fc.subarray(['A', 'B', 'D', 'X']),
  control: fc.boolean(),
  meterTime,
});

test('round trip: results and headers', () => {
  fc.assert(
    fc.property(resultFields, (f) => {
      const r = decodeContourResult(encodeContourResult(f));
      assert.equal(r.sequence, f.sequence);
      assert.equal(r.valueText, f.valueText);
      assert.equal(r.value, Number(f.valueText));
      assert.equal(r.unit, f.unit);
      assert.equal(r.method, f.method);
      assert.deepEqual(r.annotations, f.annotations);
      assert.deepEqual(r.marks, f.marks);
      assert.equal(r.control, f.control);
      assert.equal(r.meterTime, f.meterTime);
      assert.equal(
        r.flag,
        f.annotations.includes('<') ? 'low' : f.annotations.includes('>') ? 'high' : undefined,
      );
    }),
    { numRuns: 3000 },
  );
  fc.assert(
    fc.property(
      fc.integer({ min: 0, max: 999999 }),
      meterTime,
      fc.stringMatching(/^\d{4}-\d{7}$/),
      (n, t, serial) => {
        const h = decodeContourHeader(
          encodeContourHeader({
            product: 'Bayer7390',
            versions: ['01.24', '01.04'],
            serial,
            sku: '7403-',
            password: 'abc',
            config: { U: '1', V: '10600' },
            recordCount: n,
            specVersion: '1',
            meterTime: t,
          }),
        );
        assert.equal(h.recordCount, n);
        assert.equal(h.meterTime, t);
        assert.equal(h.serial, serial);
        assert.equal(h.unit, 'mmol/L');
      },
    ),
    { numRuns: 1000 },
  );
});

test('fuzz Contour decoders: only CodecError', () => {
  assert.ok(fuzzDecoder(fuzzText(resultFields.map(encodeContourResult)), (t) => decodeContourResult(t)) > 0);
  assert.ok(fuzzDecoder(fuzzText(fc.constant(HEADER), 300), decodeContourHeader) > 0);
  assert.ok(
    fuzzDecoder(fuzzText(fc.constantFrom('L|1||N', 'L|1||T', 'L|1')), (t) => decodeContourTerminator(t)) > 0,
  );
});
