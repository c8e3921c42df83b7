// The patient's readings page (charts, AGP, summary metrics) and devices page as HTML. Pure: the handlers
// pass the language and the gathered data. Every text the patient reads is under `readings` in
// server/shared/i18n/ (numbers and dates by the language's Intl locale).
import type { CgmMetrics, TimesInRanges } from '../../gateway/hddt/cgm-metrics.ts';
import { html, page, type Html } from '../shared/html.ts';
import { RESOURCES, type Ui } from '../shared/i18n.ts';
import type { Messages } from '../shared/i18n/de.ts';
import { agpChart } from './charts/agp-chart.ts';
import { formatGlucose, type ShownUnit } from './charts/svg-parts.ts';
import { traceChart, type TraceInput } from './charts/trace.ts';
import { REPORT_DAYS, type DeviceEntry, type ReadingsData } from './readings-data.ts';

/** The texts of these pages in the language of `ui` (objects the charts take as they are). */
function texts(ui: Ui): Messages['readings'] {
  return RESOURCES[ui.lang].readings;
}

function percent(ui: Ui, x: number): string {
  return `${new Intl.NumberFormat(ui.locale, { minimumFractionDigits: 1, maximumFractionDigits: 1 }).format(x)} %`;
}

function dateTime(ui: Ui, ms: number, timeZone: string): string {
  return new Intl.DateTimeFormat(ui.locale, { timeZone, dateStyle: 'medium', timeStyle: 'short' }).format(ms);
}

export interface ReadingsViewInput {
  ui: Ui;
  csrf: string;
  data: ReadingsData;
  devices: DeviceEntry[];
  /** The device shown; undefined: all. */
  deviceKey: string | undefined;
  unit: ShownUnit;
  timeZone: string;
}

const UNIT_PARAM: Record<ShownUnit, string> = { 'mg/dL': 'mgdl', 'mmol/L': 'mmoll' };

function readingsHref(deviceKey: string | undefined, unit: ShownUnit): string {
  const q = new URLSearchParams();
  if (deviceKey !== undefined) q.set('device', deviceKey);
  if (unit !== 'mg/dL') q.set('unit', UNIT_PARAM[unit]);
  const s = q.toString();
  return `/account/readings${s ? `?${s}` : ''}`;
}

function choice(href: string, label: string, current: boolean): Html {
  return current
    ? html`<a href="${href}" aria-current="page"><strong>${label}</strong></a>`
    : html`<a href="${href}">${label}</a>`;
}

/** Device and unit choice as plain links (no script). */
function choices(v: ReadingsViewInput): Html {
  const M = texts(v.ui);
  const seen = new Map<string, DeviceEntry>();
  for (const d of v.devices) if (!seen.has(d.key)) seen.set(d.key, d);
  const devices = [
    choice(readingsHref(undefined, v.unit), M.allDevices, v.deviceKey === undefined),
    ...[...seen.values()].map((d) =>
      choice(readingsHref(d.key, v.unit), d.name ?? d.key, d.key === v.deviceKey),
    ),
  ];
  const units = (['mg/dL', 'mmol/L'] as const).map((u) =>
    choice(readingsHref(v.deviceKey, u), u, u === v.unit),
  );
  return html`<p class="device-choice">
      ${M.deviceChoice}: ${devices.map((d, i) => html`${i ? ' · ' : ''}${d}`)}
    </p>
    <p class="unit-choice">${M.unitChoice}: ${units.map((u, i) => html`${i ? ' · ' : ''}${u}`)}</p>`;
}

function rangeLabels(ui: Ui, unit: ShownUnit): Record<keyof TimesInRanges, string> {
  const g = (mgdl: number) => formatGlucose(mgdl, unit, ui.locale);
  const { t } = ui;
  return {
    veryLow: t('readings.ranges.veryLow', { a: g(54), unit }),
    low: t('readings.ranges.low', { a: g(54), b: g(70), unit }),
    target: t('readings.ranges.target', { a: g(70), b: g(180), unit }),
    high: t('readings.ranges.high', { a: g(180), b: g(250), unit }),
    veryHigh: t('readings.ranges.veryHigh', { a: g(250), unit }),
  };
}

function metricRow(key: string, name: string, value: number, shown: string): Html {
  return html`<tr data-metric="${key}" data-value="${value}">
    <th scope="row">${name}</th>
    <td>${shown}</td>
  </tr>`;
}

/** The same numbers as $hddt-cgm-summary (data-value holds them unformatted). */
function metricsTable(ui: Ui, m: CgmMetrics, unit: ShownUnit, days: number): Html {
  const M = texts(ui);
  const pc = (x: number) => percent(ui, x);
  const labels = rangeLabels(ui, unit);
  const tir = (Object.keys(labels) as Array<keyof TimesInRanges>).map((k) =>
    metricRow(`tir-${k}`, labels[k], m.timesInRanges[k], pc(m.timesInRanges[k])),
  );
  const fmt = new Intl.NumberFormat(ui.locale, { maximumFractionDigits: 1, minimumFractionDigits: 1 });
  const mean =
    unit === 'mg/dL'
      ? metricRow('meanMgdl', M.metricName.mean, m.meanMgdl, `${fmt.format(m.meanMgdl)} mg/dL`)
      : metricRow('meanMmoll', M.metricName.mean, m.meanMmoll, `${fmt.format(m.meanMmoll)} mmol/L`);
  return html`<table class="metrics">
    <thead>
      <tr>
        <th scope="col">${M.metricHead.name}</th>
        <th scope="col">${M.metricHead.value}</th>
      </tr>
    </thead>
    <tbody>
      ${tir}${mean}${metricRow('gmiPercent', M.metricName.gmi, m.gmiPercent, pc(m.gmiPercent))}
      ${metricRow('cvPercent', M.metricName.cv, m.cvPercent, pc(m.cvPercent))}
      ${metricRow('daysOfWear', M.metricName.wear, m.daysOfWear, ui.t('readings.days', { n: m.daysOfWear, of: days }))}
      ${metricRow('sensorActivePercent', M.metricName.active, m.sensorActivePercent, pc(m.sensorActivePercent))}
      ${metricRow('count', M.metricName.count, m.count, String(m.count))}
    </tbody>
  </table>`;
}

function trace(v: ReadingsViewInput, which: '24h' | '14d'): Html {
  const M = texts(v.ui);
  const d = v.data;
  const day = which === '24h';
  const runs = day ? d.runs24h : d.runs14d;
  const fromMs = day ? d.from24hMs : d.from14dMs;
  const bg = d.bg.filter((p) => p.t >= fromMs);
  if (runs.length === 0 && bg.length === 0) return html`<p class="no-data">${M.noData}</p>`;
  const g = (mgdl: number) => formatGlucose(mgdl, v.unit, v.ui.locale);
  const input: TraceInput = {
    cls: day ? 'chart-24h' : 'chart-14d',
    fromMs,
    toMs: d.nowMs,
    runs,
    bg,
    unit: v.unit,
    timeZone: v.timeZone,
    tick: day ? { minutes: 180, labelEvery: 2 } : { minutes: 1440, labelEvery: 3 },
    text: {
      ...M.trace,
      locale: v.ui.locale,
      tableSummary: M.tableSummary,
      label: v.ui.t(day ? 'readings.dayLabel' : 'readings.fortnightLabel', {
        unit: v.unit,
        low: g(70),
        high: g(180),
      }),
    },
  };
  return traceChart(input);
}

function agp(v: ReadingsViewInput): Html {
  const M = texts(v.ui);
  if (v.data.agp.samples === 0) return html`<p class="no-data">${M.noCgm}</p>`;
  const g = (mgdl: number) => formatGlucose(mgdl, v.unit, v.ui.locale);
  return agpChart({
    profile: v.data.agp,
    unit: v.unit,
    text: {
      locale: v.ui.locale,
      label: v.ui.t('readings.agpLabel', { unit: v.unit, low: g(70), high: g(180) }),
      tableSummary: M.tableSummary,
      head: M.agpHead,
      none: M.agpNone,
    },
  });
}

export function readingsView(v: ReadingsViewInput): string {
  const m = v.data.metrics;
  const M = texts(v.ui);
  return page(
    v.ui,
    M.readingsTitle,
    html`${choices(v)}
      <section id="day">
        <h2>${M.day}</h2>
        ${trace(v, '24h')}
      </section>
      <section id="fortnight">
        <h2>${M.fortnight}</h2>
        ${trace(v, '14d')}
      </section>
      <section id="metrics">
        <h2>${M.metrics}</h2>
        ${m ? metricsTable(v.ui, m, v.unit, REPORT_DAYS) : html`<p class="no-data">${M.noCgm}</p>`}
      </section>
      <section id="agp">
        <h2>${M.agp}</h2>
        ${agp(v)}
      </section>`,
    { csrf: v.csrf },
  );
}

function deviceRow(ui: Ui, d: DeviceEntry, timeZone: string): Html {
  const M = texts(ui);
  return html`<tr data-device="${d.key}" data-from="${d.fromMs}" data-until="${d.untilMs ?? ''}">
    <td>${d.name ?? d.key}</td>
    <td>${d.kind ? M.kind[d.kind] : M.kind.unknown}</td>
    <td>${d.serialNumber ?? ''}</td>
    <td>${d.fromMs === 0 ? M.fromStart : dateTime(ui, d.fromMs, timeZone)}</td>
    <td>${d.untilMs === null ? M.stillAssigned : dateTime(ui, d.untilMs, timeZone)}</td>
  </tr>`;
}

export function devicesView(ui: Ui, csrf: string, devices: DeviceEntry[], timeZone: string): string {
  const M = texts(ui);
  if (devices.length === 0) return page(ui, M.devicesTitle, html`<p>${M.noDevices}</p>`, { csrf });
  const h = M.deviceHead;
  return page(
    ui,
    M.devicesTitle,
    html`<table class="devices">
      <thead>
        <tr>
          <th scope="col">${h.device}</th>
          <th scope="col">${h.kind}</th>
          <th scope="col">${h.serial}</th>
          <th scope="col">${h.from}</th>
          <th scope="col">${h.until}</th>
        </tr>
      </thead>
      <tbody>
        ${devices.map((d) => deviceRow(ui, d, timeZone))}
      </tbody>
    </table>`,
    { csrf },
  );
}

export function deviceNotFoundView(ui: Ui, csrf: string): string {
  const M = texts(ui);
  return page(
    ui,
    M.readingsTitle,
    html`<p class="error" data-error="not_found">${M.deviceNotFound}</p>
      <p><a href="/account/readings">${M.allDevices}</a></p>`,
    { csrf },
  );
}
