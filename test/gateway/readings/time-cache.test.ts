import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { parseIsoTime } from '../../../gateway/readings/time-cache.ts';

const pad = (n: number, w: number) => String(n).padStart(w, '0');

test('the hand-written ISO parser agrees with Date.parse on canonical forms, edge values included', () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 0, max: 9999 }),
      fc.integer({ min: 0, max: 13 }),
      fc.integer({ min: 0, max: 32 }),
      fc.integer({ min: 0, max: 25 }),
      fc.integer({ min: 0, max: 60 }),
      fc.integer({ min: 0, max: 60 }),
      fc.option(fc.integer({ min: 0, max: 999 })),
      (y, mo, d, h, mi, s, ms) => {
        const text = `${pad(y, 4)}-${pad(mo, 2)}-${pad(d, 2)}T${pad(h, 2)}:${pad(mi, 2)}:${pad(s, 2)}${ms === null ? '' : `.${pad(ms, 3)}`}Z`;
        assert.ok(Object.is(parseIsoTime(text), Date.parse(text)), text);
      },
    ),
    { numRuns: 20_000 },
  );
});

test('anything else is Date.parse: other forms, garbage, near misses', () => {
  fc.assert(
    fc.property(fc.string({ maxLength: 30 }), (s) => {
      assert.ok(Object.is(parseIsoTime(s), Date.parse(s)), JSON.stringify(s));
    }),
    { numRuns: 20_000 },
  );
  for (const s of [
    '2025-10-28T08:00:00+02:00',
    '2025-10-28T08:00:00.1234Z',
    '2025-1a-28T08:00:00.000Z',
    '2025-10-28 08:00:00.000Z',
    '2025-10-28T24:00:00.000Z',
    '0099-01-01T00:00:00.000Z',
    '2025-02-30T00:00:00Z',
  ]) {
    assert.ok(Object.is(parseIsoTime(s), Date.parse(s)), s);
  }
});
