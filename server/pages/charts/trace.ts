// The glucose trace over a time window (24 hours, 14 days) as server-drawn SVG with its values as a table:
// the 70–180 mg/dL target band, one polyline per gap-free run of CGM values (a sensor gap is a break in the
// line), meter readings as dots, values the device reported below/above its measuring range (LO/HI) as
// marked triangles. Pure: the page passes the points (mg/dL) and the texts.
import { pointsAttr, xOf, yOf, type Frame } from '../../operator/charts.ts';
import type { Html } from '../../shared/html.ts';
import {
  formatGlucose,
  localTicks,
  PHONE_FRAME,
  chartSvg,
  svg,
  targetBand,
  timeFormatter,
  valuesTable,
  xTick,
  yAxis,
  type ShownUnit,
} from './svg-parts.ts';

export interface TracePoint {
  t: number;
  mgdl: number;
  /** L / U: the device reported a value below / above its measuring range (mgdl is then its limit). */
  mark: 'L' | 'U' | null;
}

/** Runs of points (oldest first) without a gap: a new run starts where neighbours lie over `maxGapMs` apart. */
export function splitAtGaps(points: readonly TracePoint[], maxGapMs: number): TracePoint[][] {
  const runs: TracePoint[][] = [];
  let run: TracePoint[] = [];
  for (const p of [...points].sort((a, b) => a.t - b.t)) {
    if (run.length > 0 && p.t - run[run.length - 1]!.t > maxGapMs) {
      runs.push(run);
      run = [];
    }
    run.push(p);
  }
  if (run.length > 0) runs.push(run);
  return runs;
}

/** One point per clock hour with data, at the middle of the hour: the mean, marked if any value was LO/HI. */
export function hourlyMeans(points: readonly TracePoint[]): TracePoint[] {
  const HOUR = 3_600_000;
  const buckets = new Map<number, { sum: number; n: number; mark: TracePoint['mark'] }>();
  for (const p of points) {
    const k = Math.floor(p.t / HOUR);
    const b = buckets.get(k) ?? { sum: 0, n: 0, mark: null };
    b.sum += p.mgdl;
    b.n++;
    b.mark ??= p.mark;
    buckets.set(k, b);
  }
  return [...buckets.entries()]
    .sort((a, b) => a[0] - b[0])
    .map(([k, b]) => ({ t: k * HOUR + HOUR / 2, mgdl: b.sum / b.n, mark: b.mark }));
}

export interface TraceText {
  locale: string;
  /** What the chart shows (aria-label and title). */
  label: string;
  tableSummary: string;
  head: { time: string; cgm: string; bg: string; note: string };
  /** Short marks drawn in the chart, and what they mean in the table. */
  lo: string;
  hi: string;
  loNote: string;
  hiNote: string;
  gap: string;
}

export interface TraceInput {
  /** Class of the SVG (chart-24h, chart-14d). */
  cls: string;
  fromMs: number;
  toMs: number;
  /** CGM values as gap-free runs (see splitAtGaps). */
  runs: readonly TracePoint[][];
  /** Meter readings. */
  bg: readonly TracePoint[];
  unit: ShownUnit;
  timeZone: string;
  /** Grid line every so many local minutes (180: every 3 hours; 1440: every midnight), labelled every n-th. */
  tick: { minutes: number; labelEvery: number };
  text: TraceText;
}

function markShape(p: TracePoint, source: 'cgm' | 'bg', t: TraceText, f: Frame, at: number): Html {
  const x = xOf(at, f);
  const y = yOf(p.mgdl, f);
  const lo = p.mark === 'L';
  // LO: a triangle pointing down to the value, its label above; HI: pointing up, label below. Both stay in
  // the plot when the value sits at its edge (a sensor's limit, or clamped).
  const base = lo ? y - 6 : y + 6;
  const color = lo ? '#b00020' : '#c05a00';
  return svg`<g class="mark ${lo ? 'mark-lo' : 'mark-hi'}" data-source="${source}"><path d="M${x - 4},${base} L${x + 4},${base} L${x},${y} Z" fill="${color}"/><text x="${x}" y="${lo ? y - 9 : y + 16}" text-anchor="middle" fill="${color}" font-weight="bold">${lo ? t.lo : t.hi}</text></g>`;
}

function ticks(input: TraceInput, f: Frame): Html[] {
  const span = input.toMs - input.fromMs;
  const label = timeFormatter(input.text.locale, input.timeZone, false);
  const day = new Intl.DateTimeFormat(input.text.locale, {
    timeZone: input.timeZone,
    day: '2-digit',
    month: '2-digit',
  });
  return localTicks(input.fromMs, input.toMs, input.tick.minutes, input.timeZone).map((t, i) => {
    const text = input.tick.minutes >= 1440 ? day.format(t) : label(t);
    return xTick(f, (t - input.fromMs) / span, i % input.tick.labelEvery === 0 ? text : null);
  });
}

/** The points of `input` inside its window, as chart runs (empty runs dropped) and meter readings. */
function visiblePoints(input: TraceInput): { runs: TracePoint[][]; bg: TracePoint[] } {
  const inside = (p: TracePoint) => p.t >= input.fromMs && p.t <= input.toMs;
  const runs = input.runs
    .map((r) => r.filter(inside))
    .filter((r) => r.length > 0)
    .sort((a, b) => a[0]!.t - b[0]!.t);
  return { runs, bg: input.bg.filter(inside) };
}

/** The SVG alone (tests look at its shapes). */
export function traceSvg(input: TraceInput, f: Frame = PHONE_FRAME): Html {
  const span = input.toMs - input.fromMs;
  const xy = (p: TracePoint) => ({ x: xOf((p.t - input.fromMs) / span, f), y: yOf(p.mgdl, f) });
  const { runs, bg } = visiblePoints(input);
  const lines = runs.map((r) => {
    if (r.length > 1) {
      const points = pointsAttr(r.map(xy));
      return svg`<polyline class="cgm-line" fill="none" stroke="#1f5fa8" stroke-width="1.5" stroke-linejoin="round" points="${points}"/>`;
    }
    const { x, y } = xy(r[0]!);
    return svg`<circle class="cgm-dot" cx="${x}" cy="${y}" r="1.5" fill="#1f5fa8"/>`;
  });
  const dots = bg.map((p) => {
    const { x, y } = xy(p);
    return svg`<circle class="bg-dot" cx="${x}" cy="${y}" r="3.5" fill="#7b1fa2" stroke="#fff"/>`;
  });
  const at = (p: TracePoint) => (p.t - input.fromMs) / span;
  const marks = [
    ...runs.flat().flatMap((p) => (p.mark ? [markShape(p, 'cgm', input.text, f, at(p))] : [])),
    ...bg.flatMap((p) => (p.mark ? [markShape(p, 'bg', input.text, f, at(p))] : [])),
  ];
  const body = [targetBand(f), ...yAxis(f, input.unit, input.text.locale), ...ticks(input, f)];
  return chartSvg(f, `chart ${input.cls}`, input.text.label, [...body, ...lines, ...dots, ...marks]);
}

/** The table of the chart: every CGM value, every meter reading and every gap between runs, by time. */
export function traceTable(input: TraceInput): Html {
  const { text, unit } = input;
  const when = timeFormatter(text.locale, input.timeZone, true);
  const value = (p: TracePoint) => formatGlucose(p.mgdl, unit, text.locale);
  const note = (p: TracePoint) => (p.mark === 'L' ? text.loNote : p.mark === 'U' ? text.hiNote : '');
  const { runs, bg } = visiblePoints(input);
  const rows: Array<{ t: number; cells: Html }> = [];
  // A gap is a time no run covers (runs of two sensors may overlap).
  let covered = -Infinity;
  for (const r of runs) {
    if (r[0]!.t > covered && covered > -Infinity) {
      const gap = `${text.gap} ${when(covered)} – ${when(r[0]!.t)}`;
      rows.push({ t: covered + 1, cells: svg`<td></td><td></td><td data-kind="gap">${gap}</td>` });
    }
    for (const p of r) rows.push({ t: p.t, cells: svg`<td>${value(p)}</td><td></td><td>${note(p)}</td>` });
    covered = Math.max(covered, r[r.length - 1]!.t);
  }
  for (const p of bg) rows.push({ t: p.t, cells: svg`<td></td><td>${value(p)}</td><td>${note(p)}</td>` });
  rows.sort((a, b) => a.t - b.t);
  const h = text.head;
  return valuesTable(
    text.tableSummary,
    text.label,
    [h.time, `${h.cgm} (${unit})`, `${h.bg} (${unit})`, h.note],
    rows.map((r) => svg`<tr data-t="${r.t}"><td>${when(r.t)}</td>${r.cells}</tr>`),
  );
}

/** The chart and its text alternative. */
export function traceChart(input: TraceInput, f: Frame = PHONE_FRAME): Html {
  return svg`<figure class="chart" style="margin:0 0 1rem">${traceSvg(input, f)}${traceTable(input)}</figure>`;
}
