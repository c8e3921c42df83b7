// The patient's readings page (charts, AGP, summary metrics) and devices page as HTML. Pure: the handlers
// pass the gathered data. Every text the patient reads is in MESSAGES (German; placeholders in i18next's
// {{name}} form, so the object can move to i18next as it is).
import type { CgmMetrics, TimesInRanges } from '../../gateway/hddt/cgm-metrics.ts';
import { html, page, type Html } from '../shared/html.ts';
import { agpChart } from './charts/agp-chart.ts';
import { formatGlucose, type ShownUnit } from './charts/svg-parts.ts';
import { traceChart, type TraceInput } from './charts/trace.ts';
import { REPORT_DAYS, type DeviceEntry, type ReadingsData } from './readings-data.ts';

export const MESSAGES = {
  locale: 'de-DE',
  readingsTitle: 'Meine Werte',
  devicesTitle: 'Meine Geräte',
  deviceChoice: 'Gerät',
  allDevices: 'Alle Geräte',
  unitChoice: 'Einheit',
  day: 'Letzte 24 Stunden',
  fortnight: 'Letzte 14 Tage (Stundenmittelwerte)',
  metrics: 'Kennzahlen der letzten 14 Tage',
  agp: 'Glukoseprofil (AGP) der letzten 14 Tage',
  noData: 'Keine Werte in diesem Zeitraum.',
  noCgm: 'Keine Sensorwerte in den letzten 14 Tagen.',
  noDevices: 'Ihnen ist noch kein Gerät zugeordnet.',
  deviceNotFound: 'Dieses Gerät ist Ihnen nicht zugeordnet.',
  dayLabel: 'Glukoseverlauf der letzten 24 Stunden in {{unit}}, Zielbereich {{low}} bis {{high}} {{unit}}',
  fortnightLabel:
    'Glukoseverlauf der letzten 14 Tage in {{unit}} (Stundenmittelwerte), Zielbereich {{low}} bis {{high}} {{unit}}',
  agpLabel:
    'Glukoseprofil nach Uhrzeit in {{unit}}: Median, 25–75 % und 5–95 % der Werte, Zielbereich {{low}} bis {{high}} {{unit}}',
  tableSummary: 'Werte als Tabelle',
  trace: {
    head: { time: 'Zeit', cgm: 'Sensor', bg: 'Blutzucker', note: 'Hinweis' },
    lo: 'LO',
    hi: 'HI',
    loNote: 'LO: unter dem Messbereich',
    hiNote: 'HI: über dem Messbereich',
    gap: 'Sensorlücke',
  },
  agpHead: {
    time: 'Uhrzeit',
    count: 'Anzahl',
    p5: '5 %',
    p25: '25 %',
    p50: 'Median',
    p75: '75 %',
    p95: '95 %',
  },
  agpNone: 'zu wenige Werte',
  ranges: {
    veryLow: 'Sehr niedrig: unter {{a}} {{unit}}',
    low: 'Niedrig: {{a}} bis unter {{b}} {{unit}}',
    target: 'Im Zielbereich: {{a}} bis {{b}} {{unit}}',
    high: 'Hoch: über {{a}} bis {{b}} {{unit}}',
    veryHigh: 'Sehr hoch: über {{a}} {{unit}}',
  } satisfies Record<keyof TimesInRanges, string>,
  metricName: {
    mean: 'Mittlere Glukose',
    gmi: 'GMI (geschätzter HbA1c)',
    cv: 'Variationskoeffizient (CV)',
    wear: 'Tage mit Sensorwerten',
    active: 'Sensor aktiv',
    count: 'Anzahl Sensorwerte',
  },
  metricHead: { name: 'Kennzahl', value: 'Wert' },
  days: '{{n}} von {{of}} Tagen',
  deviceHead: { device: 'Gerät', kind: 'Art', serial: 'Seriennummer', from: 'Zugeordnet seit', until: 'bis' },
  kind: { cgm: 'Glukosesensor (CGM)', bgm: 'Blutzuckermessgerät', unknown: 'unbekannt' },
  fromStart: 'Beginn der Aufzeichnung',
  stillAssigned: 'heute (weiter zugeordnet)',
} as const;

/** Fills {{name}} placeholders. */
export function fill(template: string, vars: Record<string, string | number>): string {
  return template.replace(/\{\{(\w+)\}\}/g, (_, k: string) => String(vars[k] ?? ''));
}

const M = MESSAGES;

function percent(x: number): string {
  return `${new Intl.NumberFormat(M.locale, { minimumFractionDigits: 1, maximumFractionDigits: 1 }).format(x)} %`;
}

function dateTime(ms: number, timeZone: string): string {
  return new Intl.DateTimeFormat(M.locale, { timeZone, dateStyle: 'medium', timeStyle: 'short' }).format(ms);
}

export interface ReadingsViewInput {
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

function rangeLabels(unit: ShownUnit): Record<keyof TimesInRanges, string> {
  const g = (mgdl: number) => formatGlucose(mgdl, unit, M.locale);
  return {
    veryLow: fill(M.ranges.veryLow, { a: g(54), unit }),
    low: fill(M.ranges.low, { a: g(54), b: g(70), unit }),
    target: fill(M.ranges.target, { a: g(70), b: g(180), unit }),
    high: fill(M.ranges.high, { a: g(180), b: g(250), unit }),
    veryHigh: fill(M.ranges.veryHigh, { a: g(250), unit }),
  };
}

function metricRow(key: string, name: string, value: number, shown: string): Html {
  return html`<tr data-metric="${key}" data-value="${value}">
    <th scope="row">${name}</th>
    <td>${shown}</td>
  </tr>`;
}

/** The same numbers as $hddt-cgm-summary (data-value holds them unformatted). */
function metricsTable(m: CgmMetrics, unit: ShownUnit, days: number): Html {
  const labels = rangeLabels(unit);
  const tir = (Object.keys(labels) as Array<keyof TimesInRanges>).map((k) =>
    metricRow(`tir-${k}`, labels[k], m.timesInRanges[k], percent(m.timesInRanges[k])),
  );
  const fmt = new Intl.NumberFormat(M.locale, { maximumFractionDigits: 1, minimumFractionDigits: 1 });
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
      ${tir}${mean}${metricRow('gmiPercent', M.metricName.gmi, m.gmiPercent, percent(m.gmiPercent))}
      ${metricRow('cvPercent', M.metricName.cv, m.cvPercent, percent(m.cvPercent))}
      ${metricRow('daysOfWear', M.metricName.wear, m.daysOfWear, fill(M.days, { n: m.daysOfWear, of: days }))}
      ${metricRow('sensorActivePercent', M.metricName.active, m.sensorActivePercent, percent(m.sensorActivePercent))}
      ${metricRow('count', M.metricName.count, m.count, String(m.count))}
    </tbody>
  </table>`;
}

function trace(v: ReadingsViewInput, which: '24h' | '14d'): Html {
  const d = v.data;
  const day = which === '24h';
  const runs = day ? d.runs24h : d.runs14d;
  const fromMs = day ? d.from24hMs : d.from14dMs;
  const bg = d.bg.filter((p) => p.t >= fromMs);
  if (runs.length === 0 && bg.length === 0) return html`<p class="no-data">${M.noData}</p>`;
  const g = (mgdl: number) => formatGlucose(mgdl, v.unit, M.locale);
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
      locale: M.locale,
      tableSummary: M.tableSummary,
      label: fill(day ? M.dayLabel : M.fortnightLabel, { unit: v.unit, low: g(70), high: g(180) }),
    },
  };
  return traceChart(input);
}

function agp(v: ReadingsViewInput): Html {
  if (v.data.agp.samples === 0) return html`<p class="no-data">${M.noCgm}</p>`;
  const g = (mgdl: number) => formatGlucose(mgdl, v.unit, M.locale);
  return agpChart({
    profile: v.data.agp,
    unit: v.unit,
    text: {
      locale: M.locale,
      label: fill(M.agpLabel, { unit: v.unit, low: g(70), high: g(180) }),
      tableSummary: M.tableSummary,
      head: M.agpHead,
      none: M.agpNone,
    },
  });
}

export function readingsView(v: ReadingsViewInput): string {
  const m = v.data.metrics;
  return page(
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
        ${m ? metricsTable(m, v.unit, REPORT_DAYS) : html`<p class="no-data">${M.noCgm}</p>`}
      </section>
      <section id="agp">
        <h2>${M.agp}</h2>
        ${agp(v)}
      </section>`,
    { csrf: v.csrf },
  );
}

function deviceRow(d: DeviceEntry, timeZone: string): Html {
  return html`<tr data-device="${d.key}" data-from="${d.fromMs}" data-until="${d.untilMs ?? ''}">
    <td>${d.name ?? d.key}</td>
    <td>${d.kind ? M.kind[d.kind] : M.kind.unknown}</td>
    <td>${d.serialNumber ?? ''}</td>
    <td>${d.fromMs === 0 ? M.fromStart : dateTime(d.fromMs, timeZone)}</td>
    <td>${d.untilMs === null ? M.stillAssigned : dateTime(d.untilMs, timeZone)}</td>
  </tr>`;
}

export function devicesView(csrf: string, devices: DeviceEntry[], timeZone: string): string {
  if (devices.length === 0) return page(M.devicesTitle, html`<p>${M.noDevices}</p>`, { csrf });
  const h = M.deviceHead;
  return page(
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
        ${devices.map((d) => deviceRow(d, timeZone))}
      </tbody>
    </table>`,
    { csrf },
  );
}

export function deviceNotFoundView(csrf: string): string {
  return page(
    M.readingsTitle,
    html`<p class="error" data-error="not_found">${M.deviceNotFound}</p>
      <p><a href="/account/readings">${M.allDevices}</a></p>`,
    { csrf },
  );
}
