// The maths behind the status page's charts, as pure functions: unit conversion, percentiles, the
// ambulatory glucose profile (AGP) by time of day, and chart coordinates. server/operator/svg.ts draws them.

import { MGDL_PER_MMOLL } from '../../gateway/hddt/codes.ts';

export { MGDL_PER_MMOLL };

/** The consensus target range of AGP reports, mg/dL. */
export const TARGET_RANGE = { low: 70, high: 180 } as const;

export interface GlucoseSample {
  atMs: number;
  mgdl: number;
}

export function toMgdl(value: number, unit: string): number {
  return unit === 'mmol/L' ? value * MGDL_PER_MMOLL : value;
}

/**
 * The p-th percentile (0–100) of ascending `sorted` values with linear interpolation between closest ranks
 * (Hyndman & Fan type 7, the default of R and NumPy). Throws on an empty list or p outside 0–100.
 */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) throw new RangeError('percentile of an empty list');
  if (!(p >= 0 && p <= 100)) throw new RangeError(`percentile ${p} outside 0-100`);
  const h = (sorted.length - 1) * (p / 100);
  const lo = Math.floor(h);
  const hi = Math.ceil(h);
  return sorted[lo] + (h - lo) * (sorted[hi] - sorted[lo]);
}

/** Minutes since local midnight in `timeZone` (0–1439), as a function of the time (one formatter per call). */
export function minuteClock(timeZone: string): (atMs: number) => number {
  const f = new Intl.DateTimeFormat('en-GB', {
    timeZone,
    hour: '2-digit',
    minute: '2-digit',
    hourCycle: 'h23',
  });
  return (atMs) => {
    let hour = 0;
    let minute = 0;
    for (const part of f.formatToParts(atMs)) {
      if (part.type === 'hour') hour = Number(part.value);
      else if (part.type === 'minute') minute = Number(part.value);
    }
    return hour * 60 + minute;
  };
}

/** Minutes since local midnight in `timeZone` (0–1439). */
export function minuteOfDay(atMs: number, timeZone: string): number {
  return minuteClock(timeZone)(atMs);
}

export interface AgpBin {
  /** First minute of the day this bin covers. */
  startMinute: number;
  count: number;
  /** Percentiles in mg/dL, or null when the bin holds fewer than `minPerBin` samples. */
  p5: number | null;
  p25: number | null;
  p50: number | null;
  p75: number | null;
  p95: number | null;
}

export interface AgpProfile {
  binMinutes: number;
  bins: AgpBin[];
  samples: number;
  /** Share of samples below 70, within 70–180 and above 180 mg/dL (0–1); null without samples. */
  timeInRange: { below: number; within: number; above: number } | null;
}

export interface AgpOptions {
  /** Bin width in minutes; must divide 1440 (default 15 → 96 bins). */
  binMinutes?: number;
  /** Zone whose clock defines "time of day" (the patient's). */
  timeZone: string;
  /** Bins with fewer samples get no percentiles (default 5). */
  minPerBin?: number;
}

/**
 * The AGP: all samples folded onto one day by local time of day, binned, and the 5th, 25th, 50th, 75th and
 * 95th percentile of each bin. Samples are taken as given (the caller picks the 14-day window).
 */
export function agpProfile(samples: readonly GlucoseSample[], opts: AgpOptions): AgpProfile {
  const binMinutes = opts.binMinutes ?? 15;
  if (!Number.isInteger(binMinutes) || binMinutes <= 0 || 1440 % binMinutes !== 0) {
    throw new RangeError(`binMinutes ${binMinutes} must be a whole divisor of 1440`);
  }
  const minPerBin = opts.minPerBin ?? 5;
  const n = 1440 / binMinutes;
  const values: number[][] = Array.from({ length: n }, () => []);
  let below = 0;
  let within = 0;
  let above = 0;
  const minuteOf = minuteClock(opts.timeZone);
  for (const s of samples) {
    values[Math.floor(minuteOf(s.atMs) / binMinutes)].push(s.mgdl);
    if (s.mgdl < TARGET_RANGE.low) below++;
    else if (s.mgdl > TARGET_RANGE.high) above++;
    else within++;
  }
  const bins = values.map((v, i): AgpBin => {
    const enough = v.length >= minPerBin && v.length > 0;
    const sorted = enough ? [...v].sort((a, b) => a - b) : [];
    const q = (p: number) => (enough ? percentile(sorted, p) : null);
    return {
      startMinute: i * binMinutes,
      count: v.length,
      p5: q(5),
      p25: q(25),
      p50: q(50),
      p75: q(75),
      p95: q(95),
    };
  });
  const total = samples.length;
  return {
    binMinutes,
    bins,
    samples: total,
    timeInRange: total === 0 ? null : { below: below / total, within: within / total, above: above / total },
  };
}

// ── Chart geometry ────────────────────────────────────────────────────────────────────────────────────

export interface Frame {
  width: number;
  height: number;
  /** Plot area inside the frame (room for axis labels). */
  left: number;
  right: number;
  top: number;
  bottom: number;
  /** mg/dL at the bottom and top of the plot area; values outside are drawn at the edge. */
  yMin: number;
  yMax: number;
}

export const DEFAULT_FRAME: Frame = {
  width: 720,
  height: 260,
  left: 44,
  right: 20,
  top: 10,
  bottom: 26,
  yMin: 40,
  yMax: 400,
};

export interface Point {
  x: number;
  y: number;
}

const round1 = (v: number) => Math.round(v * 10) / 10;

export function yOf(mgdl: number, f: Frame): number {
  const clamped = Math.min(f.yMax, Math.max(f.yMin, mgdl));
  const plot = f.height - f.top - f.bottom;
  return round1(f.top + plot * (1 - (clamped - f.yMin) / (f.yMax - f.yMin)));
}

/** x of a position 0..1 across the plot area. */
export function xOf(fraction: number, f: Frame): number {
  return round1(f.left + (f.width - f.left - f.right) * fraction);
}

export interface DayChartOptions {
  fromMs: number;
  toMs: number;
  /** A pause longer than this starts a new line segment (default 15 min: three missed 5-min samples). */
  gapMs?: number;
}

/**
 * Polyline segments for CGM samples in [fromMs, toMs] (one point per sample, oldest first, broken where
 * samples are missing), in chart coordinates.
 */
export function dayChartSegments(
  samples: readonly GlucoseSample[],
  opts: DayChartOptions,
  f: Frame = DEFAULT_FRAME,
): Point[][] {
  const gap = opts.gapMs ?? 15 * 60_000;
  const span = opts.toMs - opts.fromMs;
  const inWindow = samples
    .filter((s) => s.atMs >= opts.fromMs && s.atMs <= opts.toMs)
    .sort((a, b) => a.atMs - b.atMs);
  const segments: Point[][] = [];
  let current: Point[] = [];
  let lastAt = -Infinity;
  for (const s of inWindow) {
    if (s.atMs - lastAt > gap && current.length > 0) {
      segments.push(current);
      current = [];
    }
    current.push({ x: xOf((s.atMs - opts.fromMs) / span, f), y: yOf(s.mgdl, f) });
    lastAt = s.atMs;
  }
  if (current.length > 0) segments.push(current);
  return segments;
}

/** Single points (finger-stick readings) in [fromMs, toMs]. */
export function dayChartDots(
  samples: readonly GlucoseSample[],
  opts: DayChartOptions,
  f: Frame = DEFAULT_FRAME,
): Point[] {
  const span = opts.toMs - opts.fromMs;
  return samples
    .filter((s) => s.atMs >= opts.fromMs && s.atMs <= opts.toMs)
    .sort((a, b) => a.atMs - b.atMs)
    .map((s) => ({ x: xOf((s.atMs - opts.fromMs) / span, f), y: yOf(s.mgdl, f) }));
}

export interface AgpShapes {
  /** Closed polygons (upper edge left to right, lower edge back), one per run of bins with percentiles. */
  band5to95: Point[][];
  band25to75: Point[][];
  median: Point[][];
}

/** Each bin is drawn at its centre; runs of bins without percentiles break the shapes. */
export function agpShapes(profile: AgpProfile, f: Frame = DEFAULT_FRAME): AgpShapes {
  const out: AgpShapes = { band5to95: [], band25to75: [], median: [] };
  const runs: AgpBin[][] = [];
  let run: AgpBin[] = [];
  for (const b of profile.bins) {
    if (b.p50 === null) {
      if (run.length) runs.push(run);
      run = [];
    } else run.push(b);
  }
  if (run.length) runs.push(run);
  const x = (b: AgpBin) => xOf((b.startMinute + profile.binMinutes / 2) / 1440, f);
  const band = (r: AgpBin[], hi: keyof AgpBin, lo: keyof AgpBin): Point[] => [
    ...r.map((b) => ({ x: x(b), y: yOf(b[hi] as number, f) })),
    ...[...r].reverse().map((b) => ({ x: x(b), y: yOf(b[lo] as number, f) })),
  ];
  for (const r of runs) {
    out.band5to95.push(band(r, 'p95', 'p5'));
    out.band25to75.push(band(r, 'p75', 'p25'));
    out.median.push(r.map((b) => ({ x: x(b), y: yOf(b.p50 as number, f) })));
  }
  return out;
}

export function pointsAttr(points: readonly Point[]): string {
  return points.map((p) => `${p.x},${p.y}`).join(' ');
}
