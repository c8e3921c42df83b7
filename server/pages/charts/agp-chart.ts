// The ambulatory glucose profile as server-drawn SVG with its values as a table: per time of day the 5–95 %
// band, the 25–75 % band and the median line over the 70–180 mg/dL target band. Bins with too few values
// break the shapes (agpShapes). Pure: the page passes the profile (mg/dL) and the texts.
import type { AgpProfile } from '../../../gateway/hddt/agp.ts';
import { agpShapes, pointsAttr, type Frame } from '../../operator/charts.ts';
import type { Html } from '../../shared/html.ts';
import {
  formatGlucose,
  PHONE_FRAME,
  chartSvg,
  svg,
  targetBand,
  valuesTable,
  xTick,
  yAxis,
  type ShownUnit,
} from './svg-parts.ts';

export interface AgpText {
  locale: string;
  label: string;
  tableSummary: string;
  head: { time: string; count: string; p5: string; p25: string; p50: string; p75: string; p95: string };
  /** In a cell of a bin with too few values. */
  none: string;
}

export interface AgpInput {
  profile: AgpProfile;
  unit: ShownUnit;
  text: AgpText;
}

const clock = (minute: number) =>
  `${String(Math.floor(minute / 60) % 24).padStart(2, '0')}:${String(minute % 60).padStart(2, '0')}`;

export function agpSvg(input: AgpInput, f: Frame = PHONE_FRAME): Html {
  const shapes = agpShapes(input.profile, f);
  const ticks = [0, 180, 360, 540, 720, 900, 1080, 1260, 1440].map((m, i) =>
    // the label of the closing midnight would stick out on the right
    xTick(f, m / 1440, i % 2 === 0 && m < 1440 ? clock(m) : null),
  );
  const polygons = (cls: string, fill: string, list: typeof shapes.band5to95) =>
    list.map((p) => svg`<polygon class="${cls}" points="${pointsAttr(p)}" fill="${fill}"/>`);
  const median = shapes.median.map(
    (p) =>
      svg`<polyline class="agp-median" fill="none" stroke="#0d3c73" stroke-width="2" points="${pointsAttr(p)}"/>`,
  );
  return chartSvg(f, 'chart chart-agp', input.text.label, [
    targetBand(f),
    ...yAxis(f, input.unit, input.text.locale),
    ...ticks,
    ...polygons('agp-band-5-95', '#c6dbef', shapes.band5to95),
    ...polygons('agp-band-25-75', '#6baed6', shapes.band25to75),
    ...median,
  ]);
}

export function agpTable(input: AgpInput): Html {
  const { text, unit, profile } = input;
  const v = (x: number | null) => (x === null ? text.none : formatGlucose(x, unit, text.locale));
  const h = text.head;
  const u = ` (${unit})`;
  return valuesTable(
    text.tableSummary,
    text.label,
    [h.time, h.count, h.p5 + u, h.p25 + u, h.p50 + u, h.p75 + u, h.p95 + u],
    profile.bins.map((b) => {
      const span = `${clock(b.startMinute)}–${clock(b.startMinute + profile.binMinutes)}`;
      return svg`<tr data-minute="${b.startMinute}"><td>${span}</td><td>${b.count}</td><td>${v(b.p5)}</td><td>${v(b.p25)}</td><td>${v(b.p50)}</td><td>${v(b.p75)}</td><td>${v(b.p95)}</td></tr>`;
    }),
  );
}

export function agpChart(input: AgpInput, f: Frame = PHONE_FRAME): Html {
  return svg`<figure class="chart" style="margin:0 0 1rem">${agpSvg(input, f)}${agpTable(input)}</figure>`;
}
