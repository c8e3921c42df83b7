// The pieces every chart of the readings page shares: a phone-sized frame, the glucose unit shown, number and
// time formatting, the SVG element (role="img" with its label and title), the 70–180 mg/dL target band, the
// axes. Geometry (xOf, yOf) is the operator charts'; values are mg/dL inside, shown in the chosen unit.
// Pure functions; every text goes through the html tag (as `svg`), so it is escaped.
import { minuteClock, TARGET_RANGE } from '../../../gateway/hddt/agp.ts';
import { convertGlucose } from '../../../gateway/hddt/codes.ts';
import { html, type Html } from '../../shared/html.ts';
import { xOf, yOf, type Frame } from '../../operator/charts.ts';

export type ShownUnit = 'mg/dL' | 'mmol/L';

/** 360 user units wide: drawn 1:1 on a phone, scaled up on wider screens (width 100 %, viewBox). */
export const PHONE_FRAME: Frame = {
  width: 360,
  height: 200,
  left: 30,
  right: 8,
  top: 8,
  bottom: 20,
  yMin: 40,
  yMax: 400,
};

/** mg/dL ticks of the glucose axis: the range cut points and the top (the bottom, 40, would crowd the time labels). */
export const Y_TICKS = [70, 180, 250, 400] as const;

/** A value in the unit shown: whole mg/dL, or mmol/L to one decimal (the project's one conversion). */
export function inUnit(mgdl: number, unit: ShownUnit): number {
  return unit === 'mg/dL' ? Math.round(mgdl) : convertGlucose(mgdl, 'mg/dL', 'mmol/L');
}

export function formatGlucose(mgdl: number, unit: ShownUnit, locale: string): string {
  const digits = unit === 'mg/dL' ? 0 : 1;
  return new Intl.NumberFormat(locale, {
    minimumFractionDigits: digits,
    maximumFractionDigits: digits,
  }).format(inUnit(mgdl, unit));
}

/** Formats instants in the patient's zone: `withDate` adds day and month. */
export function timeFormatter(locale: string, timeZone: string, withDate: boolean): (ms: number) => string {
  const f = new Intl.DateTimeFormat(locale, {
    timeZone,
    hour: '2-digit',
    minute: '2-digit',
    hourCycle: 'h23',
    ...(withDate ? { day: '2-digit', month: '2-digit' } : {}),
  });
  return (ms) => f.format(ms);
}

/**
 * Instants in [fromMs, toMs] where the local clock shows a whole multiple of `stepMinutes` (a divisor of
 * 1440): every 3 hours, every local midnight. Steps across a DST change are put back on the local grid.
 */
export function localTicks(fromMs: number, toMs: number, stepMinutes: number, timeZone: string): number[] {
  const minuteOf = minuteClock(timeZone);
  const step = stepMinutes * 60_000;
  const snap = (t: number) => {
    const r = minuteOf(t) % stepMinutes;
    if (r === 0) return t;
    return r < stepMinutes / 2 ? t - r * 60_000 : t + (stepMinutes - r) * 60_000;
  };
  let t = snap(Math.ceil(fromMs / 60_000) * 60_000);
  if (t < fromMs) t = snap(t + step);
  const out: number[] = [];
  for (; t <= toMs; t = snap(t + step)) out.push(t);
  return out;
}

/**
 * The same tag as html`` (every interpolation escaped) under a name prettier does not reformat: chart markup
 * stays compact (a 24-hour table has hundreds of rows) and exactly as written.
 */
export const svg = html;

/** A chart: scales to the width it gets, a label for screen readers, a title for tooltips. */
export function chartSvg(f: Frame, cls: string, label: string, body: readonly Html[]): Html {
  return svg`<svg class="${cls}" role="img" aria-label="${label}" viewBox="0 0 ${f.width} ${f.height}" width="100%" style="display:block;max-width:100%;height:auto" xmlns="http://www.w3.org/2000/svg" font-family="system-ui,sans-serif" font-size="10"><title>${label}</title>${body}</svg>`;
}

export function targetBand(f: Frame): Html {
  const top = yOf(TARGET_RANGE.high, f);
  const height = Math.round((yOf(TARGET_RANGE.low, f) - top) * 10) / 10;
  const width = f.width - f.left - f.right;
  return svg`<rect class="target-range" x="${f.left}" y="${top}" width="${width}" height="${height}" fill="#dff2df"/>`;
}

export function yAxis(f: Frame, unit: ShownUnit, locale: string): Html[] {
  return Y_TICKS.map((v) => {
    const y = yOf(v, f);
    const label = formatGlucose(v, unit, locale);
    return svg`<line x1="${f.left}" x2="${f.width - f.right}" y1="${y}" y2="${y}" stroke="#ddd"/><text x="${f.left - 3}" y="${y + 3}" text-anchor="end" fill="#444">${label}</text>`;
  });
}

/** A vertical grid line at `fraction` (0..1) across the plot, labelled below (no label: line only). */
export function xTick(f: Frame, fraction: number, label: string | null): Html {
  const x = xOf(fraction, f);
  const line = svg`<line x1="${x}" x2="${x}" y1="${f.top}" y2="${f.height - f.bottom}" stroke="#eee"/>`;
  if (label === null) return line;
  return svg`${line}<text x="${x}" y="${f.height - f.bottom + 13}" text-anchor="middle" fill="#444">${label}</text>`;
}

/**
 * The text alternative of a chart: its values as a table, folded away below it. `label` names the table (the
 * chart's label); its box scrolls sideways on a phone, so it takes the focus (keyboard scrolling).
 */
export function valuesTable(
  summary: string,
  label: string,
  head: readonly string[],
  rows: readonly Html[],
): Html {
  const th = head.map((h) => svg`<th scope="col">${h}</th>`);
  return svg`<details class="chart-values"><summary>${summary}</summary><div style="overflow-x:auto" role="region" aria-label="${summary}: ${label}" tabindex="0"><table><thead><tr>${th}</tr></thead><tbody>
${rows.map(
  (r) => svg`${r}
`,
)}</tbody></table></div></details>`;
}
