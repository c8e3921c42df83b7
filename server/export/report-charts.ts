// The two charts of the AGP report, drawn with pdfkit: the profile (5–95 and 25–75 % bands, median, target
// range 70–180 mg/dL, over the time of day) and one small day chart per calendar day. Values are clamped to
// the chart's 0–350 mg/dL; a gap in the data leaves a gap in the line.
import type { AgpBin, AgpProfile } from '../../gateway/hddt/agp.ts';
import { TARGET_RANGE } from '../../gateway/hddt/agp.ts';
import type { ReportDay } from './agp-report.ts';

type Doc = PDFKit.PDFDocument;

export interface Box {
  x: number;
  y: number;
  w: number;
  h: number;
}

export const COLOR = {
  axis: '#555555',
  grid: '#dddddd',
  target: '#3b9e3b',
  targetFill: '#e3f2e1',
  outer: '#c9d9ec',
  inner: '#7ea3cc',
  median: '#1f4e8c',
  day: '#1f4e8c',
} as const;

const MAX_MGDL = 350;
/** Samples further apart than this are not joined (a sensor gap). */
const GAP_MS = 16 * 60_000;

function yOf(box: Box, mgdl: number): number {
  const v = Math.min(MAX_MGDL, Math.max(0, mgdl));
  return box.y + box.h - (v / MAX_MGDL) * box.h;
}

function line(doc: Doc, x1: number, y1: number, x2: number, y2: number, color: string, width = 0.5): void {
  doc.save().moveTo(x1, y1).lineTo(x2, y2).lineWidth(width).strokeColor(color).stroke().restore();
}

function targetLines(doc: Doc, box: Box): void {
  for (const v of [TARGET_RANGE.low, TARGET_RANGE.high]) {
    line(doc, box.x, yOf(box, v), box.x + box.w, yOf(box, v), COLOR.target, 0.8);
  }
}

/** Runs of consecutive bins that have percentiles (a bin with too few samples breaks the bands). */
function runs(bins: AgpBin[]): AgpBin[][] {
  const out: AgpBin[][] = [];
  let cur: AgpBin[] = [];
  for (const b of bins) {
    if (b.p50 === null) {
      if (cur.length > 0) out.push(cur);
      cur = [];
    } else cur.push(b);
  }
  if (cur.length > 0) out.push(cur);
  return out;
}

function band(
  doc: Doc,
  box: Box,
  run: AgpBin[],
  lo: keyof AgpBin,
  hi: keyof AgpBin,
  xOf: (b: AgpBin) => number,
  color: string,
) {
  const upper = run.map((b) => [xOf(b), yOf(box, b[hi] as number)] as [number, number]);
  const lower = [...run].reverse().map((b) => [xOf(b), yOf(box, b[lo] as number)] as [number, number]);
  doc
    .save()
    .polygon(...upper, ...lower)
    .fillColor(color)
    .fill()
    .restore();
}

function hourAxis(doc: Doc, box: Box, labels: boolean): void {
  for (let h = 0; h <= 24; h += 3) {
    const x = box.x + (h / 24) * box.w;
    line(doc, x, box.y, x, box.y + box.h, COLOR.grid);
    if (labels) {
      const text = `${String(h).padStart(2, '0')}:00`;
      doc
        .fontSize(7)
        .fillColor(COLOR.axis)
        .text(text, x - 15, box.y + box.h + 3, { width: 30, align: 'center', lineBreak: false });
    }
  }
}

function valueAxis(doc: Doc, box: Box): void {
  for (const v of [54, TARGET_RANGE.low, TARGET_RANGE.high, 250, MAX_MGDL]) {
    const y = yOf(box, v);
    if (v !== TARGET_RANGE.low && v !== TARGET_RANGE.high) line(doc, box.x, y, box.x + box.w, y, COLOR.grid);
    // 54 sits just under 70: its label goes a little lower so the two stay apart.
    const dy = v === 54 ? -1 : -3;
    doc
      .fontSize(7)
      .fillColor(COLOR.axis)
      .text(String(v), box.x - 24, y + dy, { width: 20, align: 'right', lineBreak: false });
  }
  doc.fontSize(7).text('mg/dL', box.x - 30, box.y - 12, { width: 30, lineBreak: false });
}

/** The ambulatory glucose profile over one day (bins by local time of day). */
export function agpChart(doc: Doc, box: Box, agp: AgpProfile): void {
  hourAxis(doc, box, true);
  valueAxis(doc, box);
  const xOf = (b: AgpBin) => box.x + ((b.startMinute + agp.binMinutes / 2) / 1440) * box.w;
  for (const run of runs(agp.bins)) {
    band(doc, box, run, 'p5', 'p95', xOf, COLOR.outer);
    band(doc, box, run, 'p25', 'p75', xOf, COLOR.inner);
    doc.save().moveTo(xOf(run[0]!), yOf(box, run[0]!.p50!));
    for (const b of run.slice(1)) doc.lineTo(xOf(b), yOf(box, b.p50!));
    doc.lineWidth(1.5).strokeColor(COLOR.median).stroke().restore();
  }
  targetLines(doc, box);
  doc.save().rect(box.x, box.y, box.w, box.h).lineWidth(0.5).strokeColor(COLOR.axis).stroke().restore();
}

/** One calendar day: the target range shaded, the samples as a line broken at gaps. */
export function dayChart(doc: Doc, box: Box, day: ReportDay): void {
  doc
    .save()
    .rect(box.x, yOf(box, TARGET_RANGE.high), box.w, yOf(box, TARGET_RANGE.low) - yOf(box, TARGET_RANGE.high))
    .fillColor(COLOR.targetFill)
    .fill()
    .restore();
  const span = day.endMs - day.startMs;
  const xOf = (t: number) => box.x + ((t - day.startMs) / span) * box.w;
  doc.save().lineWidth(0.6).strokeColor(COLOR.day);
  let prev: number | undefined;
  for (const s of day.samples) {
    if (prev === undefined || s.t - prev > GAP_MS) doc.moveTo(xOf(s.t), yOf(box, s.mgdl));
    else doc.lineTo(xOf(s.t), yOf(box, s.mgdl));
    prev = s.t;
  }
  if (day.samples.length > 0) doc.stroke();
  doc.restore();
  line(doc, box.x + box.w / 2, box.y, box.x + box.w / 2, box.y + box.h, COLOR.grid);
  doc.save().rect(box.x, box.y, box.w, box.h).lineWidth(0.5).strokeColor(COLOR.axis).stroke().restore();
}
