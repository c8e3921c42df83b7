// The text alternatives of the status page's charts: the same values as tables, folded away below each
// chart (<details>, no script). The 24-hour table has a row per CGM sample and per meter reading, by time;
// the AGP table a row per time-of-day bin with its sample count and percentiles (mg/dL, whole numbers).
import type { AgpProfile, GlucoseSample } from '../../gateway/hddt/agp.ts';
import { esc as escapeHtml } from '../shared/html.ts';
import { translatorFor, type Translator } from '../shared/i18n.ts';

function valuesTable(
  tr: Translator,
  caption: string,
  head: readonly string[],
  rows: readonly string[],
): string {
  const th = head.map((h) => `<th scope="col">${escapeHtml(h)}</th>`).join('');
  return (
    `<details class="chart-values"><summary>${escapeHtml(tr.t('operator.charts.tableSummary'))}</summary>` +
    `<div class="table-scroll" role="region" aria-label="${escapeHtml(caption)}" tabindex="0"><table>` +
    `<caption>${escapeHtml(caption)}</caption><thead><tr>${th}</tr></thead><tbody>\n` +
    rows.join('\n') +
    `\n</tbody></table></div></details>`
  );
}

const mgdl = (v: number | null) => (v === null ? '—' : String(Math.round(v)));

export interface DayTableInput {
  cgm: readonly GlucoseSample[];
  meter: readonly GlucoseSample[];
  fromMs: number;
  toMs: number;
  timeZone: string;
}

/** Every CGM sample and meter reading the 24-hour chart draws, oldest first. */
export function dayChartTable(input: DayTableInput, tr: Translator = translatorFor('de')): string {
  const { t } = tr;
  const when = new Intl.DateTimeFormat(tr.locale, {
    timeZone: input.timeZone,
    day: '2-digit',
    month: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    hourCycle: 'h23',
  });
  const inside = (s: GlucoseSample) => s.atMs >= input.fromMs && s.atMs <= input.toMs;
  const rows = [
    ...input.cgm.filter(inside).map((s) => ({ s, source: 'cgm' as const })),
    ...input.meter.filter(inside).map((s) => ({ s, source: 'meter' as const })),
  ].sort((a, b) => a.s.atMs - b.s.atMs);
  return valuesTable(
    tr,
    t('operator.charts.dayCaption', { tz: input.timeZone }),
    [t('operator.charts.dayHead.time'), t('operator.charts.dayHead.cgm'), t('operator.charts.dayHead.meter')],
    rows.map(({ s, source }) => {
      const v = mgdl(s.mgdl);
      const cells = source === 'cgm' ? `<td>${v}</td><td></td>` : `<td></td><td>${v}</td>`;
      return `<tr data-source="${source}" data-t="${s.atMs}"><td>${escapeHtml(when.format(s.atMs))}</td>${cells}</tr>`;
    }),
  );
}

const clock = (minute: number) =>
  `${String(Math.floor(minute / 60) % 24).padStart(2, '0')}:${String(minute % 60).padStart(2, '0')}`;

/** Per time-of-day bin of the AGP: its samples and the 5/25/50/75/95 % percentiles. */
export function agpChartTable(profile: AgpProfile, tr: Translator = translatorFor('de')): string {
  const { t } = tr;
  const h = (k: 'time' | 'samples' | 'median') => t(`operator.charts.agpHead.${k}`);
  return valuesTable(
    tr,
    t('operator.charts.agpLabel'),
    [h('time'), h('samples'), '5 %', '25 %', h('median'), '75 %', '95 %'],
    profile.bins.map((b) => {
      const span = `${clock(b.startMinute)}–${clock(b.startMinute + profile.binMinutes)}`;
      const p = [b.p5, b.p25, b.p50, b.p75, b.p95].map((v) => `<td>${mgdl(v)}</td>`).join('');
      return `<tr data-minute="${b.startMinute}"><td>${span}</td><td>${b.count}</td>${p}</tr>`;
    }),
  );
}
