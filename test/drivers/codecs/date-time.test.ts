// The wall-clock DateTime of the Bluetooth Date Time characteristic (GATT Specification Supplement §3.70) and
// epoch milliseconds read as UTC: epochMsToDateTime is the inverse of dateTimeToEpochMs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { dateTimeToEpochMs, epochMsToDateTime } from '../../../drivers/codecs/date-time.ts';

// years 1582..9999, the range the characteristic can carry
const MIN = Date.UTC(1582, 0, 1);
const MAX = Date.UTC(9999, 11, 31, 23, 59, 59);

test('epochMsToDateTime: a known instant', () => {
  assert.deepEqual(epochMsToDateTime(Date.UTC(2026, 11, 7, 13, 5, 9, 999)), {
    year: 2026,
    month: 12,
    day: 7,
    hours: 13,
    minutes: 5,
    seconds: 9,
  });
});

test('epochMsToDateTime and dateTimeToEpochMs round-trip to the whole second', () => {
  fc.assert(
    fc.property(fc.integer({ min: MIN, max: MAX }), (ms) => {
      assert.equal(dateTimeToEpochMs(epochMsToDateTime(ms)), Math.floor(ms / 1000) * 1000);
    }),
  );
});
