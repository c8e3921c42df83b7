import { test } from 'node:test';
import assert from 'node:assert/strict';
import { agpProfile, minuteOfDay, percentile, type GlucoseSample } from '../../../gateway/hddt/agp.ts';
import {
  agpShapes,
  dayChartSegments,
  DEFAULT_FRAME,
  MGDL_PER_MMOLL,
  toMgdl,
  yOf,
} from '../../../server/operator/charts.ts';
import { renderAgpChart, renderDayChart } from '../../../server/operator/svg.ts';

const DAY = 86_400_000;
const T0 = Date.UTC(2026, 2, 2); // a Monday, 00:00 UTC

/**
 * 14 days × 288 samples at 5 min. On day d sample k reads 50 + 10·d + (k mod 3): every 15-minute bin holds the
 * 42 values {50+10d, 51+10d, 52+10d | d = 0..13}, so each bin's percentiles are known by hand (type 7):
 * sorted[i] = 50 + 10·floor(i/3) + i mod 3, h = 41·p/100.
 */
function fourteenDays(): GlucoseSample[] {
  const out: GlucoseSample[] = [];
  for (let d = 0; d < 14; d++)
    for (let k = 0; k < 288; k++) out.push({ atMs: T0 + d * DAY + k * 300_000, mgdl: 50 + 10 * d + (k % 3) });
  return out;
}

test('percentile: linear interpolation between closest ranks (R/NumPy type 7)', () => {
  const v = Array.from({ length: 100 }, (_, i) => i + 1);
  assert.equal(percentile(v, 50), 50.5);
  assert.equal(percentile(v, 25), 25.75);
  assert.ok(Math.abs(percentile(v, 5) - 5.95) < 1e-9);
  assert.ok(Math.abs(percentile(v, 95) - 95.05) < 1e-9);
  assert.equal(percentile(v, 0), 1);
  assert.equal(percentile(v, 100), 100);
  assert.equal(percentile([7], 95), 7);
  assert.throws(() => percentile([], 50), RangeError);
  assert.throws(() => percentile(v, 101), RangeError);
});

test('AGP of a known 14-day data set: 96 bins of 42 samples with hand-computed percentiles', () => {
  const profile = agpProfile(fourteenDays(), { timeZone: 'UTC' });
  assert.equal(profile.samples, 14 * 288);
  assert.equal(profile.bins.length, 96);
  for (const b of profile.bins) {
    assert.equal(b.count, 42);
    assert.ok(Math.abs(b.p5! - 52.4) < 1e-9, `p5 ${b.p5}`);
    assert.equal(b.p25, 81.25);
    assert.equal(b.p50, 116);
    assert.equal(b.p75, 150.75);
    assert.ok(Math.abs(b.p95! - 179.6) < 1e-9, `p95 ${b.p95}`);
  }
  assert.deepEqual(
    profile.bins.slice(0, 3).map((b) => b.startMinute),
    [0, 15, 30],
  );
  // below 70: days 0 and 1 (6 of 42 per bin); above 180: 181 and 182 on day 13 (2 of 42).
  assert.ok(Math.abs(profile.timeInRange!.below - 6 / 42) < 1e-12);
  assert.ok(Math.abs(profile.timeInRange!.above - 2 / 42) < 1e-12);
  assert.ok(Math.abs(profile.timeInRange!.within - 34 / 42) < 1e-12);
});

test('AGP: hourly bins, sparse bins get no percentiles, local time of day decides the bin', () => {
  const hourly = agpProfile(fourteenDays(), { timeZone: 'UTC', binMinutes: 60 });
  assert.equal(hourly.bins.length, 24);
  assert.equal(hourly.bins[5].count, 14 * 12);

  // Three samples at 08:00 UTC = 09:00 in Berlin (winter): bin 9 of 24, too few for percentiles by default.
  const few = [0, 1, 2].map((d) => ({ atMs: T0 + d * DAY + 8 * 3_600_000, mgdl: 100 + d }));
  const berlin = agpProfile(few, { timeZone: 'Europe/Berlin', binMinutes: 60 });
  assert.equal(berlin.bins[9].count, 3);
  assert.equal(berlin.bins[9].p50, null);
  assert.equal(agpProfile(few, { timeZone: 'Europe/Berlin', binMinutes: 60, minPerBin: 3 }).bins[9].p50, 101);
  assert.equal(minuteOfDay(Date.UTC(2026, 6, 1, 22, 30), 'Europe/Berlin'), 30); // summer: UTC+2
  assert.equal(agpProfile([], { timeZone: 'UTC' }).timeInRange, null);
  assert.throws(() => agpProfile([], { timeZone: 'UTC', binMinutes: 7 }), RangeError);
});

test('24 h chart: one point per sample, one polyline without gaps, a new one after a gap', () => {
  const to = T0 + DAY;
  const day = Array.from({ length: 288 }, (_, k) => ({ atMs: to - (287 - k) * 300_000, mgdl: 60 + k }));
  const segments = dayChartSegments(day, { fromMs: to - DAY, toMs: to });
  assert.equal(segments.length, 1);
  assert.equal(segments[0].length, 288);
  const f = DEFAULT_FRAME;
  for (const p of segments[0]) {
    assert.ok(p.x >= f.left && p.x <= f.width - f.right, `x ${p.x}`);
    assert.ok(p.y >= f.top && p.y <= f.height - f.bottom, `y ${p.y}`);
  }
  assert.equal(segments[0].at(-1)!.x, f.width - f.right);
  // Samples outside the window are left out; a 30-minute hole splits the line.
  const holed = [...day.slice(0, 100), ...day.slice(106), { atMs: to - DAY - 1, mgdl: 100 }];
  const split = dayChartSegments(holed, { fromMs: to - DAY, toMs: to });
  assert.deepEqual(
    split.map((s) => s.length),
    [100, 182],
  );
  // Values beyond the axis are drawn at its edge; mmol/L converts.
  assert.equal(yOf(20, f), yOf(40, f));
  assert.equal(yOf(600, f), f.top);
  assert.equal(toMgdl(5.5, 'mmol/L'), 5.5 * MGDL_PER_MMOLL);
});

test('AGP shapes and SVG: bands as closed polygons over all bins, median line, target range', () => {
  const profile = agpProfile(fourteenDays(), { timeZone: 'UTC' });
  const shapes = agpShapes(profile);
  assert.equal(shapes.band5to95.length, 1);
  assert.equal(shapes.band5to95[0].length, 2 * 96);
  assert.equal(shapes.band25to75[0].length, 2 * 96);
  assert.equal(shapes.median[0].length, 96);
  const svg = renderAgpChart(profile);
  assert.equal(svg.match(/<polygon class="agp-band-5-95"/g)?.length, 1);
  assert.equal(svg.match(/<polygon class="agp-band-25-75"/g)?.length, 1);
  assert.equal(svg.match(/<polyline class="agp-median"/g)?.length, 1);
  assert.match(svg, /<rect class="agp-target"/);

  const to = T0 + DAY;
  const cgm = Array.from({ length: 288 }, (_, k) => ({ atMs: to - (287 - k) * 300_000, mgdl: 120 }));
  const day = renderDayChart({
    cgm,
    meter: [{ atMs: to - 3_600_000, mgdl: 140 }],
    fromMs: to - DAY,
    toMs: to,
    timeZone: 'UTC',
  });
  const points = /<polyline class="cgm-line" fill="none" points="([^"]+)"/.exec(day)![1].split(' ');
  assert.equal(points.length, 288);
  assert.equal(day.match(/<circle class="bg-dot"/g)?.length, 1);
  assert.equal(day.match(/<text class="tick"[^>]*text-anchor="middle">/g)?.length, 9); // 00:00 … 00:00 every 3 h
});
