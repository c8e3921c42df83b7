// Draws the status page's charts as inline SVG on the server (no client script): the last 24 hours and the
// 14-day AGP. The geometry comes from charts.ts; this file only writes markup.
import { minuteClock, TARGET_RANGE, type AgpProfile, type GlucoseSample } from '../../gateway/hddt/agp.ts';
import {
  agpShapes,
  dayChartDots,
  dayChartSegments,
  DEFAULT_FRAME,
  pointsAttr,
  xOf,
  yOf,
  type Frame,
} from './charts.ts';

const Y_TICKS = [40, 70, 180, 250, 400];

function frameOpen(f: Frame, label: string, cls: string): string {
  return `<svg class="${cls}" role="img" aria-label="${label}" viewBox="0 0 ${f.width} ${f.height}" width="${f.width}" height="${f.height}" xmlns="http://www.w3.org/2000/svg">`;
}

function targetBand(f: Frame, cls: string): string {
  const top = yOf(TARGET_RANGE.high, f);
  const bottom = yOf(TARGET_RANGE.low, f);
  return `<rect class="${cls}" x="${f.left}" y="${top}" width="${f.width - f.left - f.right}" height="${Math.round((bottom - top) * 10) / 10}"/>`;
}

function yAxis(f: Frame): string {
  return Y_TICKS.map((v) => {
    const y = yOf(v, f);
    return `<line class="grid" x1="${f.left}" x2="${f.width - f.right}" y1="${y}" y2="${y}"/><text class="tick" x="${f.left - 4}" y="${y + 3}" text-anchor="end">${v}</text>`;
  }).join('');
}

function xTick(fraction: number, label: string, f: Frame): string {
  const x = xOf(fraction, f);
  return `<line class="grid" x1="${x}" x2="${x}" y1="${f.top}" y2="${f.height - f.bottom}"/><text class="tick" x="${x}" y="${f.height - f.bottom + 14}" text-anchor="middle">${label}</text>`;
}

const hh = (minute: number) => `${String(Math.floor(minute / 60) % 24).padStart(2, '0')}:00`;

export interface DayChartInput {
  cgm: readonly GlucoseSample[];
  meter: readonly GlucoseSample[];
  fromMs: number;
  toMs: number;
  timeZone: string;
}

/** The last 24 hours: target band, one polyline per gap-free run of CGM samples, meter readings as dots. */
export function renderDayChart(
  input: DayChartInput,
  f: Frame = DEFAULT_FRAME,
  label = 'Glucose, last 24 hours (mg/dL)',
): string {
  const opts = { fromMs: input.fromMs, toMs: input.toMs };
  const span = input.toMs - input.fromMs;
  const ticks: string[] = [];
  // A tick at every local 3-hour mark inside the window.
  const minuteOf = minuteClock(input.timeZone);
  const startMinute = minuteOf(input.fromMs);
  let firstTickMs = input.fromMs + ((180 - (startMinute % 180)) % 180) * 60_000 - (input.fromMs % 60_000);
  if (firstTickMs < input.fromMs) firstTickMs += 3 * 3_600_000;
  for (let t = firstTickMs; t <= input.toMs; t += 3 * 3_600_000) {
    ticks.push(xTick((t - input.fromMs) / span, hh(minuteOf(t)), f));
  }
  const lines = dayChartSegments(input.cgm, opts, f)
    .map((seg) => `<polyline class="cgm-line" fill="none" points="${pointsAttr(seg)}"/>`)
    .join('');
  const dots = dayChartDots(input.meter, opts, f)
    .map((p) => `<circle class="bg-dot" cx="${p.x}" cy="${p.y}" r="3.5"/>`)
    .join('');
  return (
    frameOpen(f, label, 'chart chart-24h') +
    targetBand(f, 'target-range') +
    yAxis(f) +
    ticks.join('') +
    lines +
    dots +
    '</svg>'
  );
}

/** The AGP: 5–95 % and 25–75 % bands, the median line, the 70–180 mg/dL target range. */
export function renderAgpChart(
  profile: AgpProfile,
  f: Frame = DEFAULT_FRAME,
  label = 'Ambulatory glucose profile, 14 days (mg/dL)',
): string {
  const shapes = agpShapes(profile, f);
  const ticks = [0, 180, 360, 540, 720, 900, 1080, 1260, 1440].map((m) => xTick(m / 1440, hh(m), f)).join('');
  const poly = (cls: string, list: typeof shapes.band5to95) =>
    list.map((p) => `<polygon class="${cls}" points="${pointsAttr(p)}"/>`).join('');
  return (
    frameOpen(f, label, 'chart chart-agp') +
    targetBand(f, 'agp-target') +
    yAxis(f) +
    ticks +
    poly('agp-band-5-95', shapes.band5to95) +
    poly('agp-band-25-75', shapes.band25to75) +
    shapes.median
      .map((seg) => `<polyline class="agp-median" fill="none" points="${pointsAttr(seg)}"/>`)
      .join('') +
    '</svg>'
  );
}
