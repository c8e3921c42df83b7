import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import type { Ultra2RecordFields } from '../../../drivers/codecs/onetouch-ultra2-payload.ts';
import {
  decodeUltra2Clock,
  decodeUltra2DumpHeader,
  decodeUltra2Record,
  decodeUltra2Serial,
  decodeUltra2Unit,
  encodeUltra2Clock,
  encodeUltra2DumpHeader,
  encodeUltra2Record,
  encodeUltra2Serial,
  encodeUltra2SetClockCommand,
  encodeUltra2Unit,
  ultra2DayOfWeek,
} from '../../../drivers/codecs/onetouch-ultra2-payload.ts';
import { decodeOneTouchLine } from '../../../drivers/codecs/onetouch-ultra2-line.ts';
import { fuzzDecoder, fuzzText } from './serial-codec-fuzz.ts';

test('serial number: trailing Y is an Ultra 2, anything else is rejected', () => {
  assert.equal(decodeUltra2Serial('@ "12345678Y"'), '12345678Y');
  // glucometerutils vector: valid checksum but not an Ultra 2.
  const { payload } = decodeOneTouchLine('@ "12345678O" 0297\r\n');
  assert.throws(() => decodeUltra2Serial(payload), { code: 'ERR_MALFORMED', message: /does not end in Y/ });
  assert.equal(encodeUltra2Serial('ABCDEFGHY'), '@ "ABCDEFGHY"');
});

test('clock: F and T replies', () => {
  assert.deepEqual(decodeUltra2Clock('F "SAT","08/03/13","22:12:00   "'), {
    dayOfWeek: 'SAT',
    deviceTime: '08/03/13 22:12:00',
    localTime: '2013-08-03T22:12:00',
  });
  assert.equal(decodeUltra2Clock('T "SAT","08/03/13","22:12:00   "').localTime, '2013-08-03T22:12:00');
  assert.equal(encodeUltra2Clock('2013-08-03T22:12:00'), 'F "SAT","08/03/13","22:12:00   "');
  assert.equal(encodeUltra2SetClockCommand('2013-08-03T22:12:00'), 'DMT08/03/13 22:12:00');
  assert.throws(() => decodeUltra2Clock('F "SAT","02/30/13","22:12:00   "'), { code: 'ERR_OUT_OF_RANGE' });
  assert.throws(() => decodeUltra2Clock('F "SAT","08/03/13","22:12:00"'), { code: 'ERR_MALFORMED' });
});

test('unit and dump header', () => {
  assert.equal(decodeUltra2Unit('SU?,"MG/DL "'), 'mg/dL');
  assert.equal(decodeUltra2Unit('SU?,"MMOL/L"'), 'mmol/L');
  assert.throws(() => decodeUltra2Unit('SU?,"MG/DL"'), { code: 'ERR_MALFORMED' });
  assert.deepEqual(decodeUltra2DumpHeader('P 002,"12345678Y","MG/DL "'), {
    count: 2,
    serial: '12345678Y',
    unit: 'mg/dL',
  });
  assert.equal(encodeUltra2Unit('mmol/L'), 'SU?,"MMOL/L"');
  assert.equal(
    encodeUltra2DumpHeader({ count: 17, serial: '12345678Y', unit: 'mmol/L' }),
    'P 017,"12345678Y","MMOL/L"',
  );
});

test('records: value, control, parity, meal, comment, HI/LO', () => {
  const r = decodeUltra2Record('P "WED","01/09/13","08:15:00   ","  123 ","B","05", 00');
  assert.deepEqual(r, {
    dayOfWeek: 'WED',
    localTime: '2013-01-09T08:15:00',
    deviceTime: '01/09/13 08:15:00',
    control: false,
    value: 123,
    parityError: false,
    meal: 'before',
    comment: 5,
  });
  const c = decodeUltra2Record('P "WED","01/09/13","08:15:00   ","C 099?","N","00", 00');
  assert.equal(c.control, true);
  assert.equal(c.parityError, true);
  assert.equal(c.value, 99);
  const hi = decodeUltra2Record('P "WED","01/09/13","08:15:00   ","  HI  ","A","11", 00');
  assert.equal(hi.flag, 'high');
  assert.equal(hi.value, 600);
  assert.equal(decodeUltra2Record('P "WED","01/09/13","08:15:00   ","  LO  ","A","11", 00').flag, 'low');
  assert.throws(() => decodeUltra2Record('P "WED","01/09/13","08:15:00   ","  123 ","B","12", 00'), {
    code: 'ERR_RESERVED_VALUE',
  });
  assert.throws(() => decodeUltra2Record('P "WED","13/09/13","08:15:00   ","  123 ","B","01", 00'), {
    code: 'ERR_OUT_OF_RANGE',
  });
});

const localTime = fc
  .date({ min: new Date('2000-01-01T00:00:00Z'), max: new Date('2099-12-31T23:59:59Z'), noInvalidDate: true })
  .map((d) => d.toISOString().slice(0, 19));

const recordFields: fc.Arbitrary<Ultra2RecordFields> = fc
  .record({
    localTime,
    control: fc.boolean(),
    value: fc.integer({ min: 0, max: 999 }),
    flag: fc.constantFrom(undefined, 'low' as const, 'high' as const),
    parityError: fc.boolean(),
    meal: fc.constantFrom('none' as const, 'before' as const, 'after' as const),
    comment: fc.integer({ min: 0, max: 11 }),
  })
  .map((r) => {
    const out: Ultra2RecordFields = { ...r, dayOfWeek: ultra2DayOfWeek(r.localTime) };
    if (r.flag === undefined) delete out.flag;
    else out.value = r.flag === 'high' ? 600 : 20;
    return out;
  });

test('round trip: records, clock, header', () => {
  fc.assert(
    fc.property(recordFields, (f) => {
      const back = decodeUltra2Record(encodeUltra2Record(f));
      const { deviceTime, ...rest } = back;
      assert.deepEqual(rest, f);
      assert.match(deviceTime, /^\d\d\/\d\d\/\d\d \d\d:\d\d:\d\d$/);
    }),
    { numRuns: 3000 },
  );
  fc.assert(
    fc.property(localTime, (t) => assert.equal(decodeUltra2Clock(encodeUltra2Clock(t)).localTime, t)),
    { numRuns: 1000 },
  );
  fc.assert(
    fc.property(
      fc.integer({ min: 0, max: 999 }),
      fc.stringMatching(/^[0-9A-Z]{9}$/),
      fc.constantFrom('mg/dL' as const, 'mmol/L' as const),
      (count, serial, unit) =>
        assert.deepEqual(decodeUltra2DumpHeader(encodeUltra2DumpHeader({ count, serial, unit })), {
          count,
          serial,
          unit,
        }),
    ),
    { numRuns: 1000 },
  );
});

test('fuzz decodeUltra2Record: only CodecError', () => {
  assert.ok(fuzzDecoder(fuzzText(recordFields.map(encodeUltra2Record)), decodeUltra2Record) > 0);
});

test('fuzz decodeUltra2Clock, header, serial, unit: only CodecError', () => {
  assert.ok(fuzzDecoder(fuzzText(localTime.map((t) => encodeUltra2Clock(t))), decodeUltra2Clock) > 0);
  const header = fc.record({
    count: fc.integer({ min: 0, max: 999 }),
    serial: fc.stringMatching(/^[0-9A-Z]{9}$/),
    unit: fc.constantFrom('mg/dL' as const, 'mmol/L' as const),
  });
  assert.ok(fuzzDecoder(fuzzText(header.map(encodeUltra2DumpHeader)), decodeUltra2DumpHeader) > 0);
  assert.ok(
    fuzzDecoder(fuzzText(fc.stringMatching(/^[0-9A-Z]{8}Y$/).map(encodeUltra2Serial)), decodeUltra2Serial) >
      0,
  );
  const units = fc.constantFrom('mg/dL' as const, 'mmol/L' as const).map(encodeUltra2Unit);
  assert.ok(fuzzDecoder(fuzzText(units), decodeUltra2Unit) > 0);
});
