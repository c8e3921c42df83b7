import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { cgmMetrics, decodeSampledData, rangeOf } from '../../../gateway/hddt/cgm-metrics.ts';

const T0 = Date.parse('2025-11-03T23:55:00Z');
const MIN = 60_000;
const DAY = 86_400_000;
// One value on each side of every cut point (54, 70, 180, 250), plus the sensor limits (L = 40, U = 400).
const VALUES = [40, 53, 54, 69, 70, 180, 181, 250, 251, 400];
const samples = VALUES.map((mgdl, i) => ({ t: T0 + i * MIN, mgdl }));
const period = {
  fromMs: Date.parse('2025-11-03T23:00:00Z'),
  toMs: Date.parse('2025-11-04T01:00:00Z'),
  intervalMs: MIN,
};

test('metrics on a fixed data set equal the hand-computed values', () => {
  const m = cgmMetrics({ samples, ...period })!;
  // sum 1548 / 10
  assert.equal(m.meanMgdl, 154.8);
  // 154.8 / 18.0156 = 8.5925
  assert.equal(m.meanMmoll, 8.6);
  // 3.31 + 0.02392 × 154.8 = 7.0128
  assert.equal(m.gmiPercent, 7.0);
  // population SD: sqrt(128017.6 / 10) = 113.145; CV = 113.145 / 154.8 = 73.09 %
  assert.equal(m.sdMgdl, 113.1);
  assert.equal(m.cvPercent, 73.1);
  assert.deepEqual(m.timesInRanges, { veryLow: 20, low: 20, target: 20, high: 20, veryHigh: 20 });
  // 23:55 on the 3rd to 00:04 on the 4th: two calendar days, but the period is 2 hours, one day
  assert.equal(m.daysOfWear, 1);
  // 10 samples of 120 expected in two hours
  assert.equal(m.sensorActivePercent, 8.3);
  assert.equal(m.count, 10);
});

test('days of wear never exceed the days of the reporting period', () => {
  // 7 days from 10:00 touch 8 calendar days; samples every 5 minutes throughout were worn on 7 days of it.
  const fromMs = Date.parse('2025-10-23T10:00:00Z');
  const toMs = fromMs + 7 * DAY;
  const all = Array.from({ length: (7 * DAY) / (5 * MIN) }, (_, i) => ({
    t: fromMs + i * 5 * MIN,
    mgdl: 120,
  }));
  assert.equal(cgmMetrics({ samples: all, fromMs, toMs, intervalMs: 5 * MIN })!.daysOfWear, 7);
  // a day is a 24-hour span from the period's start: samples on days 1, 3 and 7 only
  const some = [0.5, 2.99, 6.01].map((d) => ({ t: fromMs + d * DAY, mgdl: 100 }));
  assert.equal(cgmMetrics({ samples: some, fromMs, toMs, intervalMs: 5 * MIN })!.daysOfWear, 3);
  // a period that is not whole days ends with a shorter day
  const half = { fromMs, toMs: fromMs + 2.5 * DAY, intervalMs: MIN };
  assert.equal(cgmMetrics({ samples: all, ...half })!.daysOfWear, 3);
});

test('property: days of wear ≤ the period in days (rounded up), equal when samples cover it', () => {
  fc.assert(
    fc.property(
      fc.integer({ min: Date.parse('2024-01-01T00:00:00Z'), max: Date.parse('2026-12-31T00:00:00Z') }),
      fc.integer({ min: 60, max: 40 * 24 * 60 }),
      fc.array(fc.double({ min: 0, max: 1, noNaN: true, maxExcluded: true }), { maxLength: 50 }),
      (fromMs, minutes, at) => {
        const toMs = fromMs + minutes * MIN;
        const days = Math.ceil((toMs - fromMs) / DAY);
        const random = at.map((f) => ({ t: fromMs + Math.floor(f * (toMs - fromMs)), mgdl: 100 }));
        const m = cgmMetrics({ samples: random, fromMs, toMs, intervalMs: MIN });
        if (random.length > 0) assert.ok(m!.daysOfWear <= days, `${m!.daysOfWear} > ${days}`);
        const hourly = Array.from({ length: Math.ceil(minutes / 60) }, (_, i) => ({
          t: fromMs + i * 60 * MIN,
          mgdl: 1,
        }));
        assert.equal(cgmMetrics({ samples: hourly, fromMs, toMs, intervalMs: MIN })!.daysOfWear, days);
      },
    ),
  );
});

test('only samples inside [from, to) count; no samples → undefined', () => {
  const m = cgmMetrics({
    samples,
    fromMs: T0 + 5 * MIN,
    toMs: T0 + 10 * MIN,
    intervalMs: MIN,
  })!;
  assert.equal(m.count, 5);
  // 180, 181, 250, 251, 400 → mean 252.4
  assert.equal(m.meanMgdl, 252.4);
  assert.deepEqual(m.timesInRanges, { veryLow: 0, low: 0, target: 20, high: 40, veryHigh: 40 });
  assert.equal(m.sensorActivePercent, 100);
  assert.equal(cgmMetrics({ samples, fromMs: 0, toMs: 1, intervalMs: MIN }), undefined);
});

test('the cut points follow the consensus ranges', () => {
  assert.deepEqual([53.9, 54, 69.9, 70, 180, 180.1, 250, 250.1].map(rangeOf), [
    'veryLow',
    'low',
    'low',
    'target',
    'target',
    'high',
    'high',
    'veryHigh',
  ]);
});

test('decoding SampledData: E skipped, L/U at the limits, mmol/L converted to mg/dL', () => {
  const mg = decodeSampledData(T0, {
    origin: { value: 0, code: 'mg/dL' },
    period: MIN,
    lowerLimit: 40,
    upperLimit: 400,
    data: '100 E L U 120',
  });
  assert.deepEqual(mg, [
    { t: T0, mgdl: 100 },
    { t: T0 + 2 * MIN, mgdl: 40 },
    { t: T0 + 3 * MIN, mgdl: 400 },
    { t: T0 + 4 * MIN, mgdl: 120 },
  ]);
  const mmol = decodeSampledData(T0, { origin: { value: 0, code: 'mmol/L' }, period: MIN, data: '5.5' });
  assert.ok(Math.abs(mmol[0].mgdl - 99.0858) < 1e-3);
});

test('properties: range shares sum to ~100, mean between min and max, CV ≥ 0', () => {
  fc.assert(
    fc.property(fc.array(fc.integer({ min: 40, max: 400 }), { minLength: 1, maxLength: 300 }), (vals) => {
      const s = vals.map((mgdl, i) => ({ t: T0 + i * MIN, mgdl }));
      const m = cgmMetrics({
        samples: s,
        fromMs: T0,
        toMs: T0 + 300 * MIN,
        intervalMs: MIN,
      })!;
      const total = Object.values(m.timesInRanges).reduce((a, b) => a + b, 0);
      assert.ok(Math.abs(total - 100) <= 0.3, String(total));
      assert.ok(m.meanMgdl >= Math.min(...vals) - 0.05 && m.meanMgdl <= Math.max(...vals) + 0.05);
      assert.ok(m.cvPercent >= 0);
      assert.ok(m.sensorActivePercent <= 100);
    }),
  );
});
