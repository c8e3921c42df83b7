// The readings page's SVG builders: a sensor gap breaks the line into separate polylines, LO/HI values are
// marked, meter readings are dots, every chart is role="img" with a label and a table of the same values,
// mmol/L goes through the project's conversion, texts are escaped; the AGP draws its bands and median.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { agpProfile } from '../../../gateway/hddt/agp.ts';
import { convertGlucose } from '../../../gateway/hddt/codes.ts';
import { agpChart, agpSvg, type AgpText } from '../../../server/pages/charts/agp-chart.ts';
import { formatGlucose, localTicks } from '../../../server/pages/charts/svg-parts.ts';
import {
  hourlyMeans,
  splitAtGaps,
  traceChart,
  traceSvg,
  type TraceInput,
  type TracePoint,
} from '../../../server/pages/charts/trace.ts';
import { de } from '../../../server/shared/i18n/de.ts';

const MESSAGES = de.readings;

const T0 = Date.UTC(2026, 0, 5, 0, 0); // 01:00 in Berlin
const MIN = 60_000;
const count = (s: string, re: RegExp) => (s.match(re) ?? []).length;

/** 5-minute CGM values 00:00–02:00 UTC with 30 minutes missing (00:50–01:20), a LO at 01:30. */
function points(): TracePoint[] {
  const out: TracePoint[] = [];
  for (let m = 0; m <= 120; m += 5) {
    if (m > 45 && m < 85) continue;
    out.push({ t: T0 + m * MIN, mgdl: m === 90 ? 40 : 100 + m, mark: m === 90 ? 'L' : null });
  }
  return out;
}

function input(over: Partial<TraceInput> = {}): TraceInput {
  return {
    cls: 'chart-24h',
    fromMs: T0,
    toMs: T0 + 3 * 60 * MIN,
    runs: splitAtGaps(points(), 1.5 * 5 * MIN),
    bg: [
      { t: T0 + 30 * MIN, mgdl: 123, mark: null },
      { t: T0 + 100 * MIN, mgdl: 600, mark: 'U' },
    ],
    unit: 'mg/dL',
    timeZone: 'Europe/Berlin',
    tick: { minutes: 60, labelEvery: 1 },
    text: { ...MESSAGES.trace, locale: 'de-DE', tableSummary: 'Werte', label: 'Verlauf <24 h> & "Ziel"' },
    ...over,
  };
}

test('splitAtGaps: a pause over the limit starts a new run; hourlyMeans: one mean per hour, marks kept', () => {
  const runs = splitAtGaps(points(), 7.5 * MIN);
  assert.deepEqual(
    runs.map((r) => r.length),
    [10, 8],
  );
  assert.equal(runs[1]![0]!.t, T0 + 85 * MIN);
  assert.deepEqual(splitAtGaps([], 1), []);
  const hourly = hourlyMeans(points());
  assert.deepEqual(
    hourly.map((p) => p.t),
    [T0 + 30 * MIN, T0 + 90 * MIN, T0 + 150 * MIN],
  );
  // 00:00–00:45: 100..145 step 5 → mean 122.5; 01:25–01:55 holds the LO
  assert.equal(hourly[0]!.mgdl, 122.5);
  assert.equal(hourly[1]!.mark, 'L');
});

test('trace SVG: one polyline per gap-free run, LO and HI marks, meter dots, role img with an escaped label', () => {
  const svg = traceSvg(input()).value;
  assert.equal(count(svg, /<polyline[^>]*class="cgm-line"/g), 2, 'the gap is a break in the line');
  assert.equal(count(svg, /class="mark mark-lo" data-source="cgm"/g), 1);
  assert.equal(count(svg, /class="mark mark-hi" data-source="bg"/g), 1);
  assert.match(svg, />LO</);
  assert.match(svg, />HI</);
  assert.equal(count(svg, /class="bg-dot"/g), 2);
  assert.match(svg, /^<svg[^>]*role="img"/);
  assert.match(svg, /aria-label="Verlauf &lt;24 h&gt; &amp; &quot;Ziel&quot;"/);
  assert.match(svg, /<title>Verlauf &lt;24 h&gt; &amp; &quot;Ziel&quot;<\/title>/);
  assert.match(svg, /<rect[^>]*class="target-range"/);
  assert.match(svg, /viewBox="0 0 360 200"[^>]*width="100%"/);
  assert.ok(!svg.includes('<script'));
  // Points of the first run are the first 10 values, left to right.
  const first = /class="cgm-line"[^>]*points="([^"]+)"/.exec(svg)![1]!.split(' ');
  assert.equal(first.length, 10);
  const xs = first.map((p) => Number(p.split(',')[0]));
  assert.deepEqual(
    [...xs].sort((a, b) => a - b),
    xs,
  );
});

test('trace table: every value, each meter reading, the gap and the LO/HI notes, in time order', () => {
  const html = traceChart(input()).value;
  assert.match(html, /<figure class="chart" style="margin:0 0 1rem"><svg/);
  assert.match(html, /<details class="chart-values">\s*<summary>Werte<\/summary>/);
  const rows = [...html.matchAll(/<tr data-t="(\d+)">(.*?)<\/tr>/gs)];
  assert.equal(rows.length, 18 + 2 + 1, '18 CGM values, 2 meter readings, 1 gap');
  const times = rows.map((r) => Number(r[1]));
  assert.deepEqual(
    [...times].sort((a, b) => a - b),
    times,
  );
  const gap = rows.find((r) => r[2]!.includes('data-kind="gap"'))![2]!;
  // 00:45 UTC → 01:45 Berlin, 01:25 UTC → 02:25
  assert.match(gap, /Sensorlücke 05\.01\., 01:45 – 05\.01\., 02:25/);
  assert.match(html, /<td>40<\/td><td><\/td><td>LO: unter dem Messbereich<\/td>/);
  assert.match(html, /<td><\/td><td>600<\/td><td>HI: über dem Messbereich<\/td>/);
  assert.match(html, /<th scope="col">Sensor \(mg\/dL\)<\/th>/);
});

test('mmol/L: labels and table values through convertGlucose, German decimal comma; geometry unchanged', () => {
  const mg = traceSvg(input()).value;
  const mmol = traceChart(input({ unit: 'mmol/L' })).value;
  assert.equal(formatGlucose(180, 'mmol/L', 'de-DE'), '10,0');
  assert.equal(
    formatGlucose(123, 'mmol/L', 'de-DE'),
    String(convertGlucose(123, 'mg/dL', 'mmol/L')).replace('.', ','),
  );
  assert.match(mmol, /<td><\/td><td>6,8<\/td><td><\/td>/); // 123 mg/dL
  assert.match(mmol, />3,9<\/text>/); // the 70 mg/dL tick
  const pts = (s: string) => /class="cgm-line"[^>]*points="([^"]+)"/.exec(s)![1];
  assert.equal(pts(mg), pts(mmol));
});

test('localTicks: every 3 local hours, and local midnights across the spring DST change', () => {
  const ticks = localTicks(T0 + 10 * MIN, T0 + 10 * 3_600_000, 180, 'Europe/Berlin');
  // Berlin = UTC+1: 03:00, 06:00, 09:00 local = 02:00, 05:00, 08:00 UTC
  assert.deepEqual(
    ticks.map((t) => new Date(t).toISOString().slice(11, 16)),
    ['02:00', '05:00', '08:00'],
  );
  const days = localTicks(Date.UTC(2026, 2, 27, 12), Date.UTC(2026, 2, 31, 12), 1440, 'Europe/Berlin');
  assert.deepEqual(
    days.map((t) => new Date(t).toISOString()),
    [
      '2026-03-27T23:00:00.000Z',
      '2026-03-28T23:00:00.000Z',
      '2026-03-29T22:00:00.000Z',
      '2026-03-30T22:00:00.000Z',
    ],
  );
});

const AGP_TEXT: AgpText = {
  locale: 'de-DE',
  label: 'AGP',
  tableSummary: 'Werte',
  head: MESSAGES.agpHead,
  none: 'zu wenige',
};

test('AGP SVG and table: 5–95 and 25–75 bands, median, one row per bin; sparse bins say so', () => {
  const s = [];
  for (let d = 0; d < 14; d++)
    for (let k = 0; k < 288; k++)
      s.push({ atMs: T0 + d * 86_400_000 + k * 5 * MIN, mgdl: 80 + 5 * d + (k % 12) });
  const profile = agpProfile(s, { timeZone: 'UTC' });
  const svg = agpSvg({ profile, unit: 'mg/dL', text: AGP_TEXT }).value;
  assert.equal(count(svg, /class="agp-band-5-95"/g), 1);
  assert.equal(count(svg, /class="agp-band-25-75"/g), 1);
  assert.equal(count(svg, /class="agp-median"/g), 1);
  assert.match(svg, /^<svg[^>]*role="img"[^>]*aria-label="AGP"/);
  const html = agpChart({ profile, unit: 'mg/dL', text: AGP_TEXT }).value;
  const rows = [...html.matchAll(/<tr data-minute="(\d+)">(.*?)<\/tr>/gs)];
  assert.equal(rows.length, 96);
  const cells = [...rows[0]![2]!.matchAll(/<td>([^<]*)<\/td>/g)].map((m) => m[1]);
  const b = profile.bins[0]!;
  assert.deepEqual(cells, [
    '00:00–00:15',
    '42',
    ...[b.p5, b.p25, b.p50, b.p75, b.p95].map((v) => formatGlucose(v!, 'mg/dL', 'de-DE')),
  ]);
  const sparse = agpChart({
    profile: agpProfile(s.slice(0, 3), { timeZone: 'UTC' }),
    unit: 'mg/dL',
    text: AGP_TEXT,
  });
  assert.match(sparse.value, /<td>zu wenige<\/td>/);
  assert.equal(count(sparse.value, /class="agp-median"/g), 0);
});
