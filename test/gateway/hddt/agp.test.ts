// The AGP: percentiles per time-of-day bin are ordered (5 ≤ 25 ≤ 50 ≤ 75 ≤ 95) and lie within the bin's
// values, every sample lands in exactly one bin, and a small data set computed by hand.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { agpProfile, percentile, type GlucoseSample } from '../../../gateway/hddt/agp.ts';
import { decodeSampledData, decodeSlots, type SampledData } from '../../../gateway/hddt/cgm-metrics.ts';

const DAY = 86_400_000;
const T0 = Date.UTC(2026, 0, 5); // 00:00 UTC

const samples = fc.array(
  fc.record({
    atMs: fc.integer({ min: T0, max: T0 + 14 * DAY - 1 }),
    mgdl: fc.double({ min: 20, max: 500, noNaN: true }),
  }),
  { maxLength: 600 },
);

test('AGP property: per bin 5 ≤ 25 ≤ 50 ≤ 75 ≤ 95 %, within the min and max of the bin, counts add up', () => {
  fc.assert(
    fc.property(
      samples,
      fc.constantFrom(15, 30, 60),
      fc.integer({ min: 1, max: 6 }),
      (s, binMinutes, minPerBin) => {
        const profile = agpProfile(s, { timeZone: 'UTC', binMinutes, minPerBin });
        assert.equal(profile.bins.length, 1440 / binMinutes);
        assert.equal(
          profile.bins.reduce((n, b) => n + b.count, 0),
          s.length,
        );
        for (const b of profile.bins) {
          const values = s
            .filter(
              (x) => Math.floor(((x.atMs - T0) % DAY) / 60_000 / binMinutes) * binMinutes === b.startMinute,
            )
            .map((x) => x.mgdl);
          assert.equal(values.length, b.count);
          if (b.count < minPerBin) {
            assert.equal(b.p50, null);
            continue;
          }
          const q = [b.p5!, b.p25!, b.p50!, b.p75!, b.p95!];
          const eps = 1e-9;
          for (let i = 1; i < q.length; i++) assert.ok(q[i - 1]! <= q[i]! + eps, `ordered: ${q}`);
          assert.ok(
            q[0]! >= Math.min(...values) - eps && q[4]! <= Math.max(...values) + eps,
            'within min/max',
          );
        }
      },
    ),
    { numRuns: 150 },
  );
});

test('percentile property: monotone in p and bounded by the extremes', () => {
  fc.assert(
    fc.property(
      fc.array(fc.double({ min: -1e6, max: 1e6, noNaN: true }), { minLength: 1, maxLength: 50 }),
      fc.double({ min: 0, max: 100, noNaN: true }),
      fc.double({ min: 0, max: 100, noNaN: true }),
      (v, a, b) => {
        const sorted = [...v].sort((x, y) => x - y);
        const [lo, hi] = a <= b ? [a, b] : [b, a];
        const tol = 1e-9 * (1 + Math.abs(sorted[sorted.length - 1]!) + Math.abs(sorted[0]!));
        assert.ok(percentile(sorted, lo) <= percentile(sorted, hi) + tol);
        assert.ok(percentile(sorted, lo) >= sorted[0]! - tol);
        assert.ok(percentile(sorted, hi) <= sorted[sorted.length - 1]! + tol);
      },
    ),
  );
});

test('AGP by hand: 30-minute bins, values 100..110 at 08:00–08:29 on 11 days, Berlin time of day', () => {
  // 07:10 UTC is 08:10 in Berlin in January: the bin 08:00–08:30 (index 16 of 48).
  const s: GlucoseSample[] = Array.from({ length: 11 }, (_, d) => ({
    atMs: T0 + d * DAY + 7 * 3_600_000 + 10 * 60_000,
    mgdl: 110 - d, // 110, 109, ..., 100
  }));
  const p = agpProfile(s, { timeZone: 'Europe/Berlin', binMinutes: 30 });
  const bin = p.bins[16]!;
  assert.equal(bin.startMinute, 480);
  assert.equal(bin.count, 11);
  // sorted 100..110, h = 10·p/100: p5 → 100.5, p25 → 102.5, p50 → 105, p75 → 107.5, p95 → 109.5
  assert.deepEqual([bin.p5, bin.p25, bin.p50, bin.p75, bin.p95], [100.5, 102.5, 105, 107.5, 109.5]);
  assert.equal(p.bins.filter((b) => b.count > 0).length, 1);
  assert.deepEqual(p.timeInRange, { below: 0, within: 1, above: 0 });
});

test('decodeSlots keeps every slot (L/U/E marked); decodeSampledData is its slots with a value', () => {
  const sd: SampledData = {
    origin: { value: 0, code: 'mmol/L' },
    period: 60_000,
    lowerLimit: 2.2,
    upperLimit: 22.2,
    data: '5.5 L E U 6',
  };
  const slots = decodeSlots(1000, sd);
  assert.deepEqual(
    slots.map((s) => s.mark),
    [null, 'L', 'E', 'U', null],
  );
  assert.equal(slots[2]!.mgdl, null);
  assert.equal(slots[4]!.t, 1000 + 4 * 60_000);
  assert.ok(Math.abs(slots[1]!.mgdl! - 2.2 * 18.0156) < 1e-9);
  fc.assert(
    fc.property(
      fc.array(fc.oneof(fc.constantFrom('L', 'U', 'E', 'x'), fc.integer({ min: 0, max: 400 }).map(String)), {
        minLength: 1,
        maxLength: 30,
      }),
      fc.option(fc.integer({ min: 20, max: 60 }), { nil: undefined }),
      (tokens, lower) => {
        const d: SampledData = {
          origin: { value: 0 },
          period: 300_000,
          lowerLimit: lower,
          upperLimit: 400,
          data: tokens.join(' '),
        };
        const withValue = decodeSlots(0, d).filter((s) => s.mgdl !== null);
        assert.deepEqual(
          decodeSampledData(0, d),
          withValue.map((s) => ({ t: s.t, mgdl: s.mgdl })),
        );
      },
    ),
  );
});
