// The maths behind the status page's charts, as pure functions: unit conversion and chart coordinates (the
// AGP itself comes from gateway/hddt/agp.ts). server/operator/svg.ts draws them.

import { MGDL_PER_MMOLL } from '../../gateway/hddt/codes.ts';

export { MGDL_PER_MMOLL };

import type { AgpBin, AgpProfile, GlucoseSample } from '../../gateway/hddt/agp.ts';

export function toMgdl(value: number, unit: string): number {
  return unit === 'mmol/L' ? value * MGDL_PER_MMOLL : value;
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
