// The one-page AGP report as PDF (A4, pdfkit, the PDF standard fonts), in the layout of the international
// consensus (Battelino et al. 2019): glucose statistics and time in ranges, the ambulatory glucose profile,
// and the daily profiles of 14 days. It names the patient by username at most (no other personal data).
// pdfkit is loaded with the first report, not at every start.
import type { AgpReportData } from './agp-report.ts';
import { agpChart, COLOR, dayChart, type Box } from './report-charts.ts';
import { zonedParts } from '../../lib/zoned-time.ts';

type Doc = PDFKit.PDFDocument;

const PAGE = { w: 595.28, h: 841.89, margin: 36 } as const;
const WIDTH = PAGE.w - 2 * PAGE.margin;

/** The five ranges, top to bottom as the consensus bar stacks them. */
export const RANGES = [
  { key: 'veryHigh', label: 'Sehr hoch (>250 mg/dL)', color: '#e8702a' },
  { key: 'high', label: 'Hoch (181–250 mg/dL)', color: '#f5c242' },
  { key: 'target', label: 'Im Zielbereich (70–180 mg/dL)', color: '#3b9e3b' },
  { key: 'low', label: 'Niedrig (54–69 mg/dL)', color: '#e53935' },
  { key: 'veryLow', label: 'Sehr niedrig (<54 mg/dL)', color: '#8e0000' },
] as const;

const one = new Intl.NumberFormat('de-DE', { minimumFractionDigits: 1, maximumFractionDigits: 1 });
export const formatOne = (x: number) => one.format(x);

const WEEKDAY = ['So', 'Mo', 'Di', 'Mi', 'Do', 'Fr', 'Sa'];

/** dd.mm.yyyy of an instant in the report's zone. */
export function localDate(ms: number, zone: string): string {
  const p = zonedParts(ms, zone);
  return `${String(p.day).padStart(2, '0')}.${String(p.month).padStart(2, '0')}.${p.year}`;
}

function heading(doc: Doc, text: string, y: number): void {
  doc
    .font('Helvetica-Bold')
    .fontSize(10)
    .fillColor('#000000')
    .text(text, PAGE.margin, y, { lineBreak: false });
  doc.font('Helvetica');
}

function header(doc: Doc, data: AgpReportData, account: string): void {
  doc.font('Helvetica-Bold').fontSize(15).fillColor('#000000');
  doc.text('AGP-Bericht: Kontinuierliche Glukosemessung', PAGE.margin, PAGE.margin, { lineBreak: false });
  doc.font('Helvetica').fontSize(8).fillColor(COLOR.axis);
  doc.text(`Konto: ${account}`, PAGE.margin, PAGE.margin + 2, {
    width: WIDTH,
    align: 'right',
    lineBreak: false,
  });
  const period = `${localDate(data.fromMs, data.zone)} – ${localDate(data.toMs - 1, data.zone)}`;
  doc.fontSize(9).fillColor('#000000');
  doc.text(
    `Zeitraum: ${period} (${data.days.length} Tage) · Zeitzone ${data.zone}`,
    PAGE.margin,
    PAGE.margin + 22,
    {
      lineBreak: false,
    },
  );
}

function statistics(doc: Doc, data: AgpReportData, y: number): void {
  heading(doc, 'Glukosestatistik und Ziele', y);
  const m = data.metrics;
  const lines: Array<[string, string]> = m
    ? [
        ['Mittlere Glukose', `${formatOne(m.meanMgdl)} mg/dL (${formatOne(m.meanMmoll)} mmol/L)`],
        ['Glukose-Management-Indikator (GMI)', `${formatOne(m.gmiPercent)} %`],
        ['Glukosevariabilität (VK)', `${formatOne(m.cvPercent)} % (Ziel: höchstens 36 %)`],
        ['Tage mit Sensordaten', `${m.daysOfWear} von ${data.days.length}`],
        ['Sensor aktiv', `${formatOne(m.sensorActivePercent)} %`],
        ['Messwerte', String(m.count)],
      ]
    : [['Keine CGM-Daten in diesem Zeitraum.', '']];
  doc.fontSize(9).fillColor('#000000');
  lines.forEach(([label, value], i) => {
    const ly = y + 18 + i * 15;
    doc.text(label, PAGE.margin, ly, { width: 170, lineBreak: false });
    doc.text(value, PAGE.margin + 170, ly, { width: 130, lineBreak: false });
  });
}

function timeInRanges(doc: Doc, data: AgpReportData, y: number): void {
  const x = PAGE.margin + 320;
  doc
    .font('Helvetica-Bold')
    .fontSize(10)
    .text('Zeit in Bereichen', x, y, { lineBreak: false })
    .font('Helvetica');
  const bar: Box = { x, y: y + 18, w: 26, h: 120 };
  const tir = data.metrics?.timesInRanges;
  let top = bar.y;
  RANGES.forEach((r, i) => {
    const share = tir ? tir[r.key] / 100 : 0;
    const h = share * bar.h;
    if (h > 0) doc.save().rect(bar.x, top, bar.w, h).fillColor(r.color).fill().restore();
    top += h;
    const ly = bar.y + 4 + i * 24;
    doc
      .save()
      .rect(bar.x + bar.w + 8, ly + 1, 7, 7)
      .fillColor(r.color)
      .fill()
      .restore();
    doc
      .fontSize(8)
      .fillColor('#000000')
      .text(r.label, bar.x + bar.w + 20, ly, { width: 120, lineBreak: false });
    doc.font('Helvetica-Bold').text(tir ? `${formatOne(tir[r.key])} %` : '–', bar.x + bar.w + 140, ly, {
      width: 45,
      align: 'right',
      lineBreak: false,
    });
    doc.font('Helvetica');
  });
  doc.save().rect(bar.x, bar.y, bar.w, bar.h).lineWidth(0.5).strokeColor(COLOR.axis).stroke().restore();
}

function dailyProfiles(doc: Doc, data: AgpReportData, y: number): void {
  heading(doc, 'Tägliche Glukoseprofile', y);
  const cols = 7;
  const gap = 4;
  const w = (WIDTH - (cols - 1) * gap) / cols;
  const h = 95;
  data.days.forEach((day, i) => {
    const x = PAGE.margin + (i % cols) * (w + gap);
    const top = y + 30 + Math.floor(i / cols) * (h + 24);
    const p = zonedParts(day.startMs, data.zone);
    const wd = WEEKDAY[new Date(Date.UTC(p.year, p.month - 1, p.day)).getUTCDay()];
    const label = `${wd} ${localDate(day.startMs, data.zone).slice(0, 6)}`;
    doc
      .fontSize(7)
      .fillColor(COLOR.axis)
      .text(label, x, top - 10, { width: w, lineBreak: false });
    dayChart(doc, { x, y: top, w, h }, day);
  });
}

function footer(doc: Doc, generatedMs: number, zone: string): void {
  const text =
    `Erstellt am ${localDate(generatedMs, zone)} von hddt-gateway aus den gespeicherten Messwerten. ` +
    'Keine Diagnose: bitte besprechen Sie den Bericht mit Ihrem Behandlungsteam.';
  doc
    .fontSize(7)
    .fillColor(COLOR.axis)
    .text(text, PAGE.margin, PAGE.h - PAGE.margin - 8, { width: WIDTH, lineBreak: false });
}

function draw(doc: Doc, data: AgpReportData, account: string, generatedMs: number): void {
  header(doc, data, account);
  statistics(doc, data, 92);
  timeInRanges(doc, data, 92);
  heading(doc, 'Ambulantes Glukoseprofil (AGP)', 262);
  doc.fontSize(7).fillColor(COLOR.axis);
  doc.text('Median, 25–75 % und 5–95 % je Tageszeit; Zielbereich 70–180 mg/dL', PAGE.margin + 200, 264, {
    lineBreak: false,
  });
  agpChart(doc, { x: PAGE.margin + 30, y: 290, w: WIDTH - 30, h: 190 }, data.agp);
  dailyProfiles(doc, data, 505);
  footer(doc, generatedMs, data.zone);
}

/** The report as PDF bytes (one A4 page). */
export async function renderReportPdf(
  data: AgpReportData,
  account: string,
  generatedMs: number,
): Promise<Buffer> {
  const { default: PDFDocument } = await import('pdfkit');
  // margin 0: pdfkit adds a page when text passes the bottom margin; the layout keeps its own margins.
  const doc = new PDFDocument({
    size: 'A4',
    margin: 0,
    info: { Title: 'AGP-Bericht', Creator: 'hddt-gateway', CreationDate: new Date(generatedMs) },
  });
  const chunks: Buffer[] = [];
  doc.on('data', (c: Buffer) => chunks.push(c));
  const done = new Promise<void>((resolve, reject) => {
    doc.on('end', resolve);
    doc.on('error', reject);
  });
  draw(doc, data, account, generatedMs);
  doc.end();
  await done;
  return Buffer.concat(chunks);
}
